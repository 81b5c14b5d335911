"""Isolation between accounts: another account's id behaves exactly like an unknown id, and changes nothing.

Account A (the victim) has one of everything; account B (the intruder, an admin) names A's ids in every
route that takes an id, and in every body field that does. Each request runs under
tests/support/isolation.py's guard, so every DynamoDB key the app touches must belong to B; the test then
checks the reply is the one an unknown id gets and that nothing of A changed (every item, every object).
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from chalicelib import ids
from tests.reliability.audit import snapshot
from tests.support import events, jobs
from tests.support.api import ApiClient
from tests.support.isolation import IsolationViolation, confined_to
from tests.support.portal import (
    access_link_session,
    follow,
    fresh_sign_in_token,
    mailed_sign_in_url,
    press_sign_in,
)
from tests.support.samples import png_base64
from tests.support.webhooks import Webhooks, receiver
from tests.support.world import one_of_each


@pytest.fixture(scope="module")
def victim(aws: Any, application: Any) -> dict[str, str]:
    """Account A with a group, an upload area, a customer with a link and a stored file, and an export."""
    from chalicelib.accounts.service import create_account
    from chalicelib.auth.tokens import issue_token
    from tests.conftest import new_account_id

    events.take_messages(aws)
    account_id = new_account_id("victim")
    create_account(account_id, name="Victim")
    api = ApiClient(application.app, token=issue_token(account_id, "victim-admin", "admin"))
    ids_: dict[str, str] = {"account": account_id}
    ids_.update(one_of_each(api, application, aws, customer_name="Anna Opfer"))
    ids_["other_customer"] = api.post("/customers", {"name": "Anna Opfer (doppelt)"}).json["id"]
    ids_["template"] = api.post("/templates", {"name": "Vorlage", "items": [{"attribute_id": "general"}]}).json["id"]
    return ids_


@pytest.fixture(scope="module")
def intruder(aws: Any, application: Any) -> tuple[ApiClient, str, str]:
    """Account B: an admin client, its account id and one customer of its own."""
    from chalicelib.accounts.service import create_account
    from chalicelib.auth.tokens import issue_token
    from tests.conftest import new_account_id

    account_id = new_account_id("intruder")
    create_account(account_id, name="Intruder")
    api = ApiClient(application.app, token=issue_token(account_id, "intruder-admin", "admin"))
    return api, account_id, api.post("/customers", {"name": "Ida Eigen"}).json["id"]


#: Every staff route that takes an id in its path, with a body that would be valid for a real id.
ID_ROUTES: list[tuple[str, str, Any]] = [
    ("GET", "/attributes/{attribute}", None),
    ("PATCH", "/attributes/{attribute}", {"name": "Gekapert"}),
    ("DELETE", "/attributes/{attribute}", None),
    ("PATCH", "/groups/{group}", {"name": "Gekapert"}),
    ("DELETE", "/groups/{group}", None),
    ("GET", "/customers/{customer}", None),
    ("PATCH", "/customers/{customer}", {"name": "Gekapert"}),
    ("DELETE", "/customers/{customer}", None),
    ("POST", "/customers/{customer}/merge", {"source_id": "{other_customer}"}),
    ("GET", "/customers/{customer}/activity", None),
    ("POST", "/customers/{customer}/export", None),
    ("GET", "/customers/{customer}/files", None),
    ("POST", "/customers/{customer}/files", {"filename": "x.pdf", "size": 5, "content_type": "application/pdf"}),
    ("GET", "/customers/{customer}/files/{file}", None),
    ("PATCH", "/customers/{customer}/files/{file}", {"review": "checked"}),
    ("DELETE", "/customers/{customer}/files/{file}", None),
    ("GET", "/customers/{customer}/links", None),
    ("POST", "/customers/{customer}/links", {"areas": ["general"]}),
    ("DELETE", "/customers/{customer}/links/{link}", None),
    ("POST", "/customers/{customer}/links/{link}/send", None),
    ("PATCH", "/customers/{customer}/links/{link}/items/{item_id}", {"state": "accepted_na"}),
    ("GET", "/templates/{template}", None),
    ("PATCH", "/templates/{template}", {"name": "Gekapert"}),
    ("DELETE", "/templates/{template}", None),
    ("GET", "/exports/{export}", None),
    ("GET", "/jobs/{job}", None),
    ("GET", "/webhooks/{webhook}", None),
    ("PATCH", "/webhooks/{webhook}", {"enabled": False}),
    ("DELETE", "/webhooks/{webhook}", None),
    ("POST", "/webhooks/{webhook}/test", None),
    ("PATCH", "/users/{user}", {"role": "admin"}),
    ("DELETE", "/users/{user}", None),
    ("GET", "/webhooks/{webhook}/deliveries", None),
    ("POST", "/customers/{customer}/portal-access", None),
    ("DELETE", "/customers/{customer}/portal-access", None),
    ("GET", "/customers/{customer}/messages", None),
    ("POST", "/customers/{customer}/messages", {"body": "Gekapert"}),
    ("POST", "/customers/{customer}/messages/read", None),
    ("GET", "/customers/{customer}/approvals", None),
    ("GET", "/customers/{customer}/approvals/{approval}", None),
    ("POST", "/customers/{customer}/approvals", {"file_id": "{file}", "message": "Gekapert"}),
    ("GET", "/customers/{customer}/signatures/{signature}", None),
    ("GET", "/customers/{customer}/links/{link}/signatures/{signature}", None),
]

#: Ids of A named in the body of B's own requests (B's own customer in the path).
BODY_IDS: list[tuple[str, str, Any]] = [
    ("POST", "/customers", {"name": "Neu", "groups": ["{group}"]}),
    ("PATCH", "/customers/{own}", {"groups": ["{group}"]}),
    ("PATCH", "/customers/{own}", {"attributes": {"{attribute}": "wert"}}),
    ("PATCH", "/customers/{own}", {"attributes": {"{signature}": png_base64()}}),
    ("GET", "/customers/{own}/signatures/{signature}", None),
    ("POST", "/customers/{own}/merge", {"source_id": "{customer}"}),
    ("POST", "/customers/{own}/links", {"areas": ["{attribute}"]}),
    ("POST", "/customers/{own}/links", {"attributes": ["{attribute}"]}),
    ("POST", "/customers/{own}/links", {"template_id": "{template}"}),
    ("POST", "/requests/bulk", {"template_id": "{template}", "customer_ids": ["{own}"]}),
    ("POST", "/templates", {"name": "x", "items": [{"attribute_id": "{attribute}"}]}),
    ("POST", "/customers/{own}/files", {"filename": "x.pdf", "size": 5, "content_type": "application/pdf",
                                        "area": "{attribute}"}),
    ("GET", "/customers?group={group}", None),
    ("PUT", "/account/logo", {"logo_id": "{file}"}),
    ("POST", "/customers/portal", {"enabled": False, "group_id": "{group}"}),
]


def fill(template: Any, values: dict[str, str]) -> Any:
    text = json.dumps(template)
    for name, value in values.items():
        text = text.replace("{" + name + "}", value)
    return json.loads(text)


def unknown_ids(victim: dict[str, str]) -> dict[str, str]:
    """Ids of the same shapes that exist nowhere."""
    return {name: ids.new_id() for name in victim if name != "account"}


def attempt(intruder_api: ApiClient, intruder_id: str, method: str, path: str, body: Any,
            values: dict[str, str]) -> Any:
    with confined_to(intruder_id):
        return intruder_api.request(method, fill(path, values), fill(body, values))


def test_every_staff_route_with_an_id_is_covered(application) -> None:
    covered = {(method, path.split("?")[0]) for method, path, _ in ID_ROUTES}
    names = {"attribute": "id", "group": "id", "customer": "id", "export": "id", "file": "file_id", "link": "link_id",
             "webhook": "id", "template": "id", "job": "id", "user": "id", "approval": "approval_id",
             "signature": "attribute_id"}
    routes = set()
    for path, methods in application.app.routes.items():
        for method, entry in methods.items():
            if "{" in path and entry.authorizer is not None:
                routes.add((method, path))
    normalised = set()
    for method, path in covered:
        for name, parameter in names.items():
            path = path.replace("{" + name + "}", "{" + parameter + "}")
        normalised.add((method, path))
    assert routes == normalised, f"routes without an isolation case: {routes - normalised}"


@pytest.mark.parametrize(("method", "path", "body"), ID_ROUTES, ids=[f"{m} {p}" for m, p, _ in ID_ROUTES])
def test_another_accounts_id_in_the_path_is_not_found_and_changes_nothing(
        victim, intruder, method, path, body) -> None:
    intruder_api, intruder_id, _ = intruder
    before = snapshot(victim["account"])
    reply = attempt(intruder_api, intruder_id, method, path, body, victim)
    assert (reply.status, reply.error_code) == (404, "not_found"), reply
    unknown = attempt(intruder_api, intruder_id, method, path, body, unknown_ids(victim))
    assert (unknown.status, unknown.error_code) == (reply.status, reply.error_code), "unlike an unknown id"
    assert snapshot(victim["account"]) == before


@pytest.mark.parametrize(("method", "path", "body"), BODY_IDS, ids=[f"{m} {p} {b}" for m, p, b in BODY_IDS])
def test_another_accounts_id_in_a_body_behaves_like_an_unknown_id(victim, intruder, method, path, body) -> None:
    intruder_api, intruder_id, own = intruder
    before = snapshot(victim["account"])
    reply = attempt(intruder_api, intruder_id, method, path, body, {**victim, "own": own})
    unknown = attempt(intruder_api, intruder_id, method, path, body, {**unknown_ids(victim), "own": own})
    assert (reply.status, reply.error_code) == (unknown.status, unknown.error_code), (reply, unknown)
    if reply.status == 200 and method == "GET":
        assert reply.json["items"] == unknown.json["items"] == []
    else:
        assert 400 <= reply.status < 500, reply
    assert snapshot(victim["account"]) == before


def test_a_whole_working_day_of_one_account_stays_within_it(intruder, application, aws) -> None:
    """Routes, the portal, the event handler and export jobs of account B: every key they use is B's."""
    api, account_id, own = intruder
    anonymous = ApiClient(application.app)
    events.take_messages(aws)
    hooks = Webhooks(application, aws)
    with confined_to(account_id) as guard:
        group = api.post("/groups", {"name": "Team", "is_default": True}).json["id"]
        area = api.post("/attributes", {"name": "Vertrag", "type": "file", "required": True}).json["id"]
        field = api.post("/attributes", {"name": "Steuer-ID", "type": "text", "scope": "request"}).json["id"]
        customer = api.post("/customers", {"name": "Karl Klein", "email": "karl@example.com",
                                           "groups": [group]}).json["id"]
        assert api.get("/customers?q=klein").json["items"][0]["id"] == customer
        assert api.get(f"/customers?group={group}&status=open").status == 200
        link = api.post(f"/customers/{customer}/links", {"areas": [area], "attributes": [field]}).json
        token = link["url"].rsplit("/p/", 1)[1]
        assert anonymous.get(f"/p/{token}/context").status == 200
        assert anonymous.put(f"/p/{token}/attributes", {field: "12345678901"}).status == 200
        presigned = anonymous.post(f"/p/{token}/uploads", {"filename": "vertrag.pdf", "size": 12,
                                                            "content_type": "application/pdf", "area": area}).json
        events.post_upload(presigned, b"%PDF vertrag")
        events.drain(application, aws)
        files = api.get(f"/customers/{customer}/files").json["items"]
        assert [f["id"] for f in files] == [presigned["file_id"]]
        assert api.patch(f"/customers/{customer}/files/{files[0]['id']}", {"review": "checked"}).status == 200
        assert api.get(f"/customers/{customer}/activity").status == 200
        signed = api.post("/attributes", {"name": "Unterschrift", "type": "signature"}).json["id"]
        assert api.patch(f"/customers/{customer}", {"attributes": {signed: png_base64()}}).status == 200
        assert api.get(f"/customers/{customer}/signatures/{signed}").status == 200
        assert api.post(f"/customers/{own}/merge", {"source_id": customer}).status == 200
        export = api.post(f"/customers/{own}/export").json["id"]
        jobs.drain_jobs(application, aws)
        assert api.get(f"/exports/{export}").json["status"] == "done"
        assert api.delete(f"/customers/{own}/files/{files[0]['id']}").status == 204
        events.drain(application, aws)
        assert api.get("/account").json["used_bytes"] == 0
        # The permanent portal: the access link, sign-in by mail (a job), the home, messages and their notices.
        portal = access_link_session(api, account_id, own)
        assert portal.post("api/uploads", {"filename": "a.pdf", "size": 3,
                                           "content_type": "application/pdf"}).status == 201
        assert portal.post("api/messages", {"body": "Frage"}).status == 201
        assert api.post(f"/customers/{own}/messages", {"body": "Antwort"}).status == 201
        assert api.patch(f"/customers/{own}", {"email": "own@example.com"}).status == 200
        assert anonymous.post(f"/c/{account_id}/login", {"email": "own@example.com"}).status == 202
        assert follow(anonymous, account_id, mailed_sign_in_url(application, aws, "own@example.com"))[1].cookie
        assert api.post("/customers/portal", {"enabled": True, "all": True}).status == 202
        jobs.drain_jobs(application, aws)
        # A template sent to a group as a bulk job, followed to its end.
        template = api.post("/templates", {"name": "Jahresabschluss", "items": [{"attribute_id": area}]}).json["id"]
        bulk = api.post("/requests/bulk", {"template_id": template, "group_id": group, "send_email": True},
                        headers={"Idempotency-Key": "tag-1"}).json["id"]
        jobs.drain_jobs(application, aws)
        assert api.get(f"/jobs/{bulk}").json["status"] == "done"
        hooks.run()  # the day's changes so far, announced to nobody
        with receiver() as site:
            hook = api.post("/webhooks", {"url": site.url, "events": ["customer.updated"]}).json["id"]
            assert api.patch(f"/customers/{own}", {"notes": "per Webhook gemeldet"}).status == 200
            hooks.run()
            assert [e["type"] for e in site.events()] == ["customer.updated"]
            assert api.get(f"/webhooks/{hook}/deliveries").json["items"][0]["ok"] is True
    assert guard.calls > 50 and guard.violations == []


def test_another_accounts_sign_in_link_opens_the_same_page_and_signs_in_no_one(victim, intruder, application) -> None:
    """A real one-time sign-in link of account A, opened and pressed on account B's portal: the page every token gets
    and a refusal like a forged link's, reading nothing of A and using nothing up."""
    from chalicelib.auth.tokens import issue_token

    _, intruder_id, _ = intruder
    victim_api = ApiClient(application.app, token=issue_token(victim["account"], "victim-admin", "admin"))
    assert victim_api.patch(f"/customers/{victim['customer']}",
                            {"phone": "+491705550101", "portal_enabled": True}).status == 200
    token = fresh_sign_in_token(victim["account"], "+491705550101")
    anonymous = ApiClient(application.app)
    before = snapshot(victim["account"])
    with confined_to(intruder_id):
        opened = anonymous.get(f"/c/{intruder_id}/signin/{token}")
        forged = anonymous.get(f"/c/{intruder_id}/signin/{'A' * 43}")
        pressed = press_sign_in(anonymous, f"/c/{intruder_id}/signin/{token}")
    assert opened.status == 200 and opened.body == forged.body
    assert pressed.status == 303 and pressed.headers["Location"] == f"/c/{intruder_id}?reason=link"
    assert "Set-Cookie" not in pressed.headers
    assert snapshot(victim["account"]) == before


def test_the_guard_fails_a_test_that_reads_another_accounts_key(victim, intruder) -> None:
    from chalicelib.customers.repository import CustomerRepository
    from chalicelib.files.repository import FileRepository

    _, intruder_id, _ = intruder
    with pytest.raises(IsolationViolation, match="left account"), confined_to(intruder_id) as guard:
        with pytest.raises(IsolationViolation):
            CustomerRepository().get(victim["account"], victim["customer"])
        with pytest.raises(IsolationViolation):
            FileRepository().event_state(victim["account"], victim["customer"], victim["file"])
        with pytest.raises(IsolationViolation):
            list(FileRepository().all_items(victim["account"]))
    assert {v.split(":", 1)[0] for v in guard.violations} == {"GetItem", "BatchGetItem", "Query"}
    assert all(victim["account"] in v for v in guard.violations)


def test_the_audit_log_shows_only_the_accounts_own_entries(victim, intruder, application) -> None:
    from chalicelib.auth.tokens import issue_token

    intruder_api, intruder_id, _ = intruder
    victim_api = ApiClient(application.app, token=issue_token(victim["account"], "victim-admin", "admin"))
    victim_cursor = victim_api.get("/audit?limit=1").json["next_cursor"]
    assert victim_cursor, "the victim's log has more than one entry"
    with confined_to(intruder_id):
        own = intruder_api.get("/audit?limit=200")
        about_the_victims_customer = intruder_api.get(f"/audit?customer_id={victim['customer']}")
        with_the_victims_cursor = intruder_api.get(f"/audit?cursor={victim_cursor}")
    assert own.status == 200 and own.json["items"], own
    victim_ids = {value for name, value in victim.items() if name != "account"}
    actors = {entry["actor"] for entry in own.json["items"]}
    # Staff, and the intruder's own customers signing in to its portal (the working day above).
    assert {actor for actor in actors if not actor.startswith("customer:")} == {"intruder-admin"}
    assert not any(actor.split(":", 1)[1] in victim_ids for actor in actors if actor.startswith("customer:"))
    assert not any(part in victim_ids for entry in own.json["items"] for part in entry["target"].split("/"))
    assert (about_the_victims_customer.status, about_the_victims_customer.json["items"]) == (200, [])
    assert (with_the_victims_cursor.status, with_the_victims_cursor.error_code) == (422, "validation_error")
