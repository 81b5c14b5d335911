"""The permanent customer portal's API: the access link, sign-in by e-mail and SMS (forged, expired and replayed
links included), the session cookie, CSRF, each permission, uploads, the profile, and isolation between two
customers of one account and between accounts."""

from __future__ import annotations

import datetime
import re
from types import SimpleNamespace

import pytest

from chalicelib import clock
from chalicelib.auth.tokens import issue_token
from chalicelib.settings import get_settings
from tests.reliability.audit import snapshot
from tests.support import events
from tests.support.api import ApiClient
from tests.support.events import sent_mails
from tests.support.jobs import drain_jobs
from tests.support.portal import (
    PortalClient,
    access_link_session,
    cookie_of,
    follow,
    mailed_sign_in_url,
    path_of,
    press_sign_in,
    sent_sms,
)


@pytest.fixture
def account_id(account) -> str:
    return account[0]


@pytest.fixture
def customer(api) -> dict:
    return api.post("/customers", {"name": "Erika Muster", "email": "erika@example.com",
                                   "phone": "0170 1234567"}).json


@pytest.fixture
def portal(api, account_id, customer) -> PortalClient:
    return access_link_session(api, account_id, customer["id"])


def _move_clock(monkeypatch, by: datetime.timedelta) -> None:
    moment = clock.now() + by
    monkeypatch.setattr(clock, "now", lambda: moment)


# --- the permanent access link ---

def test_the_access_link_is_shown_once_and_signs_in_with_a_safe_cookie(api, anonymous, account_id, customer) -> None:
    reply = api.post(f"/customers/{customer['id']}/portal-access")
    assert reply.status == 201, reply
    url = reply.json["url"]
    base = get_settings().public_base_url
    assert url.startswith(f"{base}/c/{account_id}/access/{account_id}.{customer['id']}.")
    record = api.get(f"/customers/{customer['id']}").json
    assert record["portal"] == {"enabled": True, "access_link": True,
                                "access_link_created_at": reply.json["created_at"], "last_sign_in_at": None,
                                "signed_in_by": None}
    assert url.rsplit(".", 1)[1] not in str(record)  # only a hash is kept, and never shown
    followed = anonymous.get(path_of(url))
    assert followed.status == 303 and followed.headers["Location"] == f"/c/{account_id}/home"
    cookie = followed.headers["Set-Cookie"]
    assert f"Path=/c/{account_id}" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "Max-Age=43200" in cookie and "Secure" not in cookie  # the local stage is plain HTTP
    record = api.get(f"/customers/{customer['id']}").json
    assert record["portal"]["signed_in_by"] == "access_link" and record["portal"]["last_sign_in_at"]
    history = [e["type"] for e in api.get(f"/customers/{customer['id']}/activity").json["items"]]
    assert history[:2] == ["portal_signed_in", "portal_access_created"]
    audit = api.get(f"/audit?customer_id={customer['id']}&action=portal_sign_in").json["items"]
    assert [(e["actor"], e["target"], e["ip"]) for e in audit] == [
        (f"customer:{customer['id']}", f"/c/{account_id}/signin/access_link", "127.0.0.1")]


def test_the_cookie_is_secure_on_a_deployed_stage(api, anonymous, account_id, customer, monkeypatch) -> None:
    from chalicelib.customer_portal import api as portal_api

    url = api.post(f"/customers/{customer['id']}/portal-access").json["url"]
    monkeypatch.setattr(portal_api, "get_settings", lambda: SimpleNamespace(stage="prod"))
    followed = anonymous.get(path_of(url))
    assert followed.status == 303 and "; Secure" in followed.headers["Set-Cookie"]


def test_a_new_access_link_replaces_the_old_one_and_ends_its_sessions(api, account_id, customer, portal) -> None:
    old_url = api.get(f"/customers/{customer['id']}/activity")  # (the first link is inside `portal`)
    assert old_url.status == 200
    first = api.post(f"/customers/{customer['id']}/portal-access").json["url"]
    assert portal.get("api/context").status == 401  # replacing the link ended the session it opened
    second = api.post(f"/customers/{customer['id']}/portal-access").json["url"]
    reply, dead = follow(api, account_id, first)
    assert reply.status == 303 and reply.headers["Location"] == f"/c/{account_id}?reason=link" and dead.cookie is None
    reply, alive = follow(api, account_id, second)
    assert reply.headers["Location"] == f"/c/{account_id}/home" and alive.get("api/context").status == 200


def test_revoking_access_ends_the_sessions_and_the_link(api, account_id, customer) -> None:
    url = api.post(f"/customers/{customer['id']}/portal-access").json["url"]
    _, portal = follow(api, account_id, url)
    assert portal.get("api/context").status == 200
    assert api.delete(f"/customers/{customer['id']}/portal-access").status == 204
    reply = portal.get("api/context")
    assert reply.status == 401 and reply.error_code == "unauthorized"
    assert follow(api, account_id, url)[1].cookie is None
    assert api.get(f"/customers/{customer['id']}").json["portal"]["access_link"] is False
    assert api.delete(f"/customers/{customer['id']}/portal-access").status == 204  # idempotent


def test_no_access_link_while_the_portal_is_off_and_none_for_another_account(api, make_account, customer) -> None:
    assert api.patch(f"/customers/{customer['id']}", {"portal_enabled": False}).status == 200
    reply = api.post(f"/customers/{customer['id']}/portal-access")
    assert reply.status == 409 and reply.error_code == "conflict"
    other = api.with_token(make_account()[1])
    for method in ("post", "delete"):
        reply = getattr(other, method)(f"/customers/{customer['id']}/portal-access")
        assert reply.status == 404 and reply.error_code == "not_found", reply


# --- sign-in by a one-time link ---

def test_sign_in_by_email_link_works_once_and_never_says_who_is_a_customer(
        api, anonymous, application, aws, account_id, customer) -> None:
    known = anonymous.post(f"/c/{account_id}/login", {"email": "erika@example.com"})
    unknown = anonymous.post(f"/c/{account_id}/login", {"email": "nobody@example.com"})
    assert known.status == unknown.status == 202
    assert known.body == unknown.body
    assert {k: v for k, v in known.headers.items() if k != "X-Request-Id"} == {
        k: v for k, v in unknown.headers.items() if k != "X-Request-Id"}
    url = mailed_sign_in_url(application, aws, "erika@example.com")
    assert url and url.startswith(f"{get_settings().public_base_url}/c/{account_id}/signin/")
    assert not [m for m in sent_mails() if "nobody@example.com" in m["to"]]
    reply, portal = follow(anonymous, account_id, url)
    assert reply.status == 303 and reply.headers["Location"] == f"/c/{account_id}/home"
    assert portal.context()["customer"]["name"] == "Erika Muster"
    assert api.get(f"/customers/{customer['id']}").json["portal"]["signed_in_by"] == "email"
    replayed, nobody = follow(anonymous, account_id, url)
    assert replayed.headers["Location"] == f"/c/{account_id}?reason=link" and nobody.cookie is None


def test_sign_in_by_sms_shows_in_the_outbox_and_signs_in(api, anonymous, application, aws, account_id,
                                                         customer) -> None:
    before = len(sent_sms())
    assert anonymous.post(f"/c/{account_id}/login", {"phone": "+49 (170) 123-4567"}).status == 202
    drain_jobs(application, aws)
    texts = sent_sms()[before:]
    assert [t["to"] for t in texts] == ["+491701234567"]
    url = re.search(r"https?://\S+/signin/\S+", texts[0]["body"]).group(0)
    reply, portal = follow(anonymous, account_id, url)
    assert reply.status == 303 and portal.get("api/context").status == 200
    assert api.get(f"/customers/{customer['id']}").json["portal"]["signed_in_by"] == "sms"


def test_forged_expired_and_foreign_sign_in_links_do_not_sign_in(
        anonymous, make_account, application, aws, account_id, customer, monkeypatch) -> None:
    anonymous.post(f"/c/{account_id}/login", {"email": "erika@example.com"})
    url = mailed_sign_in_url(application, aws, "erika@example.com")
    token = url.rsplit("/", 1)[1]
    secret = token.rsplit(".", 1)[1]
    forged = [
        token[:-1] + ("A" if token[-1] != "A" else "B"),  # another secret
        token.replace(customer["id"], "0" * 28),  # another customer
        "x" * 300, "a.b.c", f"{account_id}..{secret}", "%00", token + ".1",
    ]
    before = snapshot(account_id)
    page = anonymous.get(f"/c/{account_id}/signin/{token}")
    assert page.status == 200
    for bad in forged:
        # Opening it shows the very page a real link shows; pressing its button is refused.
        opened = anonymous.get(f"/c/{account_id}/signin/{bad}")
        assert (opened.status, opened.body) == (200, page.body), bad
        reply = press_sign_in(anonymous, f"/c/{account_id}/signin/{bad}")
        assert reply.status in (303, 404), (bad, reply)
        assert "Set-Cookie" not in reply.headers, bad
        if reply.status == 303:
            assert reply.headers["Location"] == f"/c/{account_id}?reason=link"
    assert snapshot(account_id) == before  # nothing used up, nothing written
    other_account = make_account()[0]
    reply = press_sign_in(anonymous, f"/c/{other_account}/signin/{token}")
    assert reply.headers["Location"] == f"/c/{other_account}?reason=link" and "Set-Cookie" not in reply.headers
    _move_clock(monkeypatch, datetime.timedelta(minutes=15, seconds=1))
    assert anonymous.get(f"/c/{account_id}/signin/{token}").body == page.body
    reply = press_sign_in(anonymous, f"/c/{account_id}/signin/{token}")
    assert reply.headers["Location"] == f"/c/{account_id}?reason=expired_link" and "Set-Cookie" not in reply.headers


def test_opening_a_sign_in_link_uses_nothing_up_and_its_button_signs_in_once(
        api, anonymous, application, aws, account_id, customer) -> None:
    """A mail scanner opens every link of a mail before the customer does: only the button uses the link up."""
    anonymous.post(f"/c/{account_id}/login", {"email": "erika@example.com"})
    path = path_of(mailed_sign_in_url(application, aws, "erika@example.com"))
    before = snapshot(account_id)
    for _ in range(2):
        opened = anonymous.get(path, headers={"user-agent": "MailScanner/1.0"})
        assert opened.status == 200 and "Set-Cookie" not in opened.headers
    assert snapshot(account_id) == before  # no session, no history, no audit entry, the link still unused
    # A browser's cross-site post (another site's form aimed at the link) uses up nothing either.
    foreign = anonymous.post(path, raw=b"", headers={"content-type": "application/x-www-form-urlencoded",
                                                     "sec-fetch-site": "cross-site"})
    assert foreign.status == 303 and foreign.headers["Location"] == f"/c/{account_id}?reason=link"
    assert "Set-Cookie" not in foreign.headers and snapshot(account_id) == before
    pressed = press_sign_in(anonymous, path)
    assert pressed.status == 303 and pressed.headers["Location"] == f"/c/{account_id}/home"
    cookie = pressed.headers["Set-Cookie"]
    assert f"Path=/c/{account_id};" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "Max-Age=43200" in cookie and "Secure" not in cookie  # the local stage is plain HTTP
    assert PortalClient(anonymous, account_id, cookie_of(pressed)).get("api/context").status == 200
    again = press_sign_in(anonymous, path)
    assert again.status == 303 and again.headers["Location"] == f"/c/{account_id}?reason=link"
    assert "Set-Cookie" not in again.headers
    # A client that posts JSON (or nothing) is a button press too; the used link stays used.
    assert anonymous.post(path).headers["Location"] == f"/c/{account_id}?reason=link"
    history = [e["type"] for e in api.get(f"/customers/{customer['id']}/activity").json["items"]]
    assert history.count("portal_signed_in") == 1
    audit = api.get(f"/audit?customer_id={customer['id']}&action=portal_sign_in").json["items"]
    assert [(e["actor"], e["target"]) for e in audit] == [
        (f"customer:{customer['id']}", f"/c/{account_id}/signin/email")]


def test_sign_in_requests_are_checked_and_rate_limited(anonymous, account_id, customer) -> None:
    for body in ({}, {"email": "a@example.com", "phone": "+491701"}, {"email": "not an address"},
                 {"phone": "abc"}, {"email": "a@example.com", "extra": 1}):
        reply = anonymous.post(f"/c/{account_id}/login", body)
        assert reply.status == 422 and reply.error_code == "validation_error", (body, reply)
    assert anonymous.post("/c/no-such-account/login", {"email": "a@example.com"}).status == 404
    for _ in range(5):
        assert anonymous.post(f"/c/{account_id}/login", {"email": "Erika@Example.com"}).status == 202
    reply = anonymous.post(f"/c/{account_id}/login", {"email": "erika@example.com"})
    assert reply.status == 429 and reply.error_code == "rate_limited" and int(reply.headers["Retry-After"]) > 0
    # Per client address: 20 in the window, whatever the addresses (this one has used 5 already).
    answers = [anonymous.post(f"/c/{account_id}/login", {"email": f"p{n}@example.com"}).status for n in range(16)]
    assert answers == [202] * 15 + [429]


# --- the session ---

def test_each_sign_in_rotates_the_session(api, anonymous, application, aws, account_id, customer, portal) -> None:
    anonymous.post(f"/c/{account_id}/login", {"email": "erika@example.com"})
    url = mailed_sign_in_url(application, aws, "erika@example.com")
    reply, again = follow(api, account_id, url, cookie=portal.cookie)
    assert again.cookie and again.cookie != portal.cookie
    assert portal.get("api/context").status == 401  # the browser's previous session ended
    assert again.get("api/context").status == 200
    # A cookie naming that session's id with another secret ends nothing.
    anonymous.post(f"/c/{account_id}/login", {"email": "erika@example.com"})
    url = mailed_sign_in_url(application, aws, "erika@example.com")
    forged = again.cookie.rsplit(".", 1)[0] + "." + "A" * 43
    follow(api, account_id, url, cookie=forged)
    assert again.get("api/context").status == 200


def test_sessions_end_when_idle_after_their_lifetime_and_at_sign_out(api, account_id, customer, portal,
                                                                     monkeypatch) -> None:
    real_now = clock.now
    start = real_now()
    monkeypatch.setattr(clock, "now", lambda: start + datetime.timedelta(minutes=59))
    assert portal.get("api/context").status == 200  # used within the hour: the idle clock starts again
    monkeypatch.setattr(clock, "now", lambda: start + datetime.timedelta(minutes=59 + 61))
    assert portal.get("api/context").status == 401
    monkeypatch.setattr(clock, "now", real_now)
    fresh = access_link_session(api, account_id, customer["id"])
    statuses = []
    for step in range(1, 16):  # used every 50 minutes: never idle, but over 12 hours after the sign-in
        moment = start + datetime.timedelta(minutes=50 * step)
        monkeypatch.setattr(clock, "now", lambda moment=moment: moment)
        statuses.append(fresh.get("api/context").status)
    assert statuses == [200] * 14 + [401]
    monkeypatch.setattr(clock, "now", real_now)
    last = access_link_session(api, account_id, customer["id"])
    assert last.post("logout", csrf=False).status == 403
    reply = last.post("logout")
    assert reply.status == 204 and "Max-Age=0" in reply.headers["Set-Cookie"]
    assert last.get("api/context").status == 401
    assert cookie_of(reply) == ""


def test_without_or_with_a_forged_cookie_the_api_answers_401(anonymous, account_id, portal) -> None:
    for cookie in (None, "", "garbage", portal.cookie[:-2] + "xx", portal.cookie + "x"):
        client = PortalClient(anonymous, account_id, cookie)
        reply = client.get("api/context")
        assert reply.status == 401 and reply.error_code == "unauthorized", (cookie, reply)


def test_every_change_needs_the_sessions_csrf_token(account_id, portal) -> None:
    changes = [("post", "api/uploads", {"filename": "a.pdf", "size": 3, "content_type": "application/pdf"}),
               ("put", "api/attributes", {}), ("post", "api/messages", {"body": "Hallo"}),
               ("post", "api/messages/read", None), ("delete", f"api/files/{'0' * 28}", None),
               ("post", "logout", None)]
    for method, path, body in changes:
        args = (body,) if body is not None else ()
        for headers in ({}, {"x-csrf-token": "wrong"}, {"x-csrf-token": ""}):
            reply = getattr(portal, method)(path, *args, csrf=False, headers=headers)
            assert reply.status == 403 and reply.error_code == "csrf_failed", (path, headers, reply)
    assert portal.post("api/messages", {"body": "Hallo"}).status == 201


def test_switching_the_portal_off_ends_the_sessions(api, account_id, customer, portal) -> None:
    assert api.patch(f"/customers/{customer['id']}", {"portal_enabled": False}).status == 200
    assert portal.get("api/context").status == 401
    assert api.patch(f"/customers/{customer['id']}", {"portal_enabled": True}).status == 200
    assert portal.get("api/context").status == 401  # switched on again, the old session stays ended
    fresh = access_link_session(api, account_id, customer["id"])
    assert api.patch("/account", {"portal": {"enabled": False}}).status == 200
    assert fresh.get("api/context").status == 401


# --- the home ---

def test_the_context_shows_open_requests_general_files_profile_and_permissions(api, application, aws, account_id,
                                                                                customer, portal) -> None:
    area = api.post("/attributes", {"name": "Ausweis", "type": "file"}).json["id"]
    city = api.post("/attributes", {"name": "Ort", "type": "text"}).json["id"]
    hidden = api.post("/attributes", {"name": "Intern", "type": "text", "in_portal": False}).json["id"]
    link = api.post(f"/customers/{customer['id']}/links", {"areas": [area], "attributes": [city]}).json
    revoked = api.post(f"/customers/{customer['id']}/links", {"areas": [area]}).json
    api.delete(f"/customers/{customer['id']}/links/{revoked['id']}")
    sent = api.post(f"/customers/{customer['id']}/files", {"filename": "Vertrag.pdf", "size": 4,
                                                           "content_type": "application/pdf", "area": "general",
                                                           "direction": "sent"}).json
    events.post_upload(sent, b"%PDF")
    upload = portal.post("api/uploads", {"filename": "Ausweis.png", "size": 3, "content_type": "image/png",
                                         "area": area, "link_id": link["id"]})
    assert upload.status == 201, upload
    events.post_upload(upload.json, b"png")
    general = portal.post("api/uploads", {"filename": "Brief.pdf", "size": 4, "content_type": "application/pdf"})
    assert general.status == 201, general
    events.post_upload(general.json, b"%PDF")
    events.drain(application, aws)
    context = portal.context()
    assert [r["id"] for r in context["requests"]] == [link["id"]]
    request = context["requests"][0]
    assert request["areas"][0]["id"] == area and [f["filename"] for f in request["areas"][0]["files"]] == [
        "Ausweis.png"]
    assert [f["name"] for f in request["attributes"]] == ["Ort"]
    assert {i["id"]: i["state"] for i in request["items"]} == {area: "received", city: "missing"}
    assert [f["filename"] for f in context["general"]["files"]] == ["Brief.pdf"]
    assert [f["filename"] for f in context["sent_files"]] == ["Vertrag.pdf"]
    assert context["sent_files"][0]["download_url"]
    assert city in {f["id"] for f in context["attributes"]} and hidden not in {f["id"] for f in context["attributes"]}
    assert all(context["permissions"].values()) and context["approvals"] == []
    assert context["messages"] == {"unread": 0, "last_at": None}
    # An area of no request, or a request of someone else: refused.
    reply = portal.post("api/uploads", {"filename": "a.pdf", "size": 3, "content_type": "application/pdf",
                                        "area": area})
    assert reply.status == 422 and reply.json["error"]["details"][0]["field"] == "area"
    reply = portal.post("api/uploads", {"filename": "a.pdf", "size": 3, "content_type": "application/pdf",
                                        "area": area, "link_id": revoked["id"]})
    assert reply.status == 404
    # The request's own field, and the profile.
    reply = portal.put(f"api/requests/{link['id']}/attributes", {city: "Bonn"})
    assert reply.status == 200, reply
    assert portal.put("api/attributes", {hidden: "x"}).status == 422
    reply = portal.put("api/attributes", {city: "Köln"})
    assert reply.status == 200 and api.get(f"/customers/{customer['id']}").json["attributes"][city] == "Köln"


def test_own_pending_uploads_can_be_deleted_reviewed_ones_not(api, application, aws, account_id, customer,
                                                              portal) -> None:
    files = []
    for name in ("a.pdf", "b.pdf"):
        upload = portal.post("api/uploads", {"filename": name, "size": 4, "content_type": "application/pdf"}).json
        events.post_upload(upload, b"%PDF")
        files.append(upload["file_id"])
    events.drain(application, aws)
    api.patch(f"/customers/{customer['id']}/files/{files[1]}", {"review": "checked"})
    assert portal.delete(f"api/files/{files[0]}").status == 204
    reply = portal.delete(f"api/files/{files[1]}")
    assert reply.status == 409 and reply.error_code == "conflict"


# --- permissions ---

@pytest.fixture
def sent_file(api, application, aws, customer) -> str:
    sent = api.post(f"/customers/{customer['id']}/files", {"filename": "Angebot.pdf", "size": 4,
                                                           "content_type": "application/pdf", "area": "general",
                                                           "direction": "sent"}).json
    events.post_upload(sent, b"%PDF")
    events.drain(application, aws)
    return sent["file_id"]


def _attempt(portal: PortalClient, permission: str, sent_file: str, own_file: str, field: str) -> int:
    if permission == "upload":
        return portal.post("api/uploads", {"filename": "a.pdf", "size": 3, "content_type": "application/pdf"}).status
    if permission == "edit_profile":
        return portal.put("api/attributes", {field: "Bonn"}).status
    if permission == "see_sent_files":
        return portal.get(f"api/files/{sent_file}").status
    if permission == "delete_pending_uploads":
        return portal.delete(f"api/files/{own_file}").status
    if permission == "message":
        return portal.post("api/messages", {"body": "Hallo"}).status
    raise AssertionError(permission)


@pytest.mark.parametrize("permission", ["upload", "edit_profile", "see_sent_files", "delete_pending_uploads",
                                        "message"])
def test_each_permission_is_enforced_by_the_api(api, application, aws, account_id, customer, portal, sent_file,
                                                permission) -> None:
    field = api.post("/attributes", {"name": "Ort", "type": "text"}).json["id"]
    own = portal.post("api/uploads", {"filename": "mine.pdf", "size": 4, "content_type": "application/pdf"}).json
    events.post_upload(own, b"%PDF")
    events.drain(application, aws)
    # Off for the account: refused with a code, and the context says so.
    assert api.patch("/account", {"portal": {"permissions": {permission: False}}}).status == 200
    reply_status = _attempt(portal, permission, sent_file, own["file_id"], field)
    assert reply_status == 403
    context = portal.context()
    assert context["permissions"][permission] is False
    assert sum(context["permissions"].values()) == 5  # the others untouched
    if permission == "see_sent_files":
        assert context["sent_files"] == []
    # On again for this customer only (an override), then back to the default.
    assert api.patch(f"/customers/{customer['id']}", {"portal_permissions": {permission: True}}).status == 200
    assert api.get(f"/customers/{customer['id']}").json["portal_permissions"] == {permission: True}
    assert _attempt(portal, permission, sent_file, own["file_id"], field) in (200, 201, 204)
    assert api.patch(f"/customers/{customer['id']}", {"portal_permissions": {permission: None}}).status == 200
    assert api.get(f"/customers/{customer['id']}").json["portal_permissions"] == {}
    assert portal.context()["permissions"][permission] is False


def test_a_refused_permission_answers_its_code(api, portal) -> None:
    api.patch("/account", {"portal": {"permissions": {"message": False}}})
    reply = portal.post("api/messages", {"body": "Hallo"})
    assert reply.status == 403 and reply.error_code == "permission_denied"
    assert reply.json["error"]["details"] == [{"permission": "message"}]


# --- isolation ---

def test_a_customer_reaches_only_their_own_data(api, make_account, application, aws, account_id, customer,
                                                portal, sent_file) -> None:
    other = api.post("/customers", {"name": "Otto Anders", "email": "otto@example.com"}).json
    other_link = api.post(f"/customers/{other['id']}/links", {"areas": ["general"]}).json
    other_sent = api.post(f"/customers/{other['id']}/files", {"filename": "Otto.pdf", "size": 4,
                                                              "content_type": "application/pdf", "area": "general",
                                                              "direction": "sent"}).json
    events.post_upload(other_sent, b"%PDF")
    events.drain(application, aws)
    api.post(f"/customers/{other['id']}/messages", {"body": "Nur für Otto"})
    for method, path, body in [
        ("get", f"api/files/{other_sent['file_id']}", None),
        ("delete", f"api/files/{other_sent['file_id']}", None),
        ("put", f"api/requests/{other_link['id']}/attributes", {}),
        ("post", f"api/requests/{other_link['id']}/items/general/not-applicable", {"comment": "x"}),
        ("post", "api/uploads", {"filename": "a.pdf", "size": 3, "content_type": "application/pdf",
                                 "area": "general", "link_id": other_link["id"]}),
    ]:
        args = (body,) if body is not None else ()
        reply = getattr(portal, method)(path, *args)
        assert reply.status == 404 and reply.error_code == "not_found", (path, reply)
    assert [m["body"] for m in portal.get("api/messages").json["items"]] == []
    context = portal.context()
    assert "Otto" not in str(context)
    # The session of one account is nothing on another account's portal, even with the same path shape.
    foreign = make_account()[0]
    stolen = PortalClient(api, foreign, portal.cookie, portal.csrf)
    assert stolen.get("api/context").status == 401
    # Staff of another account see nothing of this customer's portal.
    outsider = ApiClient(application.app, token=issue_token(foreign, "admin-user", "admin"))
    for method, path in [("get", f"/customers/{customer['id']}/messages"),
                         ("post", f"/customers/{customer['id']}/messages/read")]:
        assert getattr(outsider, method)(path).status == 404
    assert outsider.post(f"/customers/{customer['id']}/messages", {"body": "x"}).status == 404


# --- bulk on/off ---

def test_the_portal_is_switched_for_many_customers_as_a_job(api, make_account, application, aws, account_id,
                                                            customer, portal) -> None:
    group = api.post("/groups", {"name": "Mieter"}).json["id"]
    second = api.post("/customers", {"name": "Zweite", "groups": [group]}).json
    foreign = api.with_token(make_account()[1]).post("/customers", {"name": "Fremd"}).json
    reply = api.post("/customers/portal", {"enabled": False, "customer_ids": [customer["id"], foreign["id"]]})
    assert reply.status == 202 and reply.json["status"] == "pending" and reply.json["total"] == 2, reply
    drain_jobs(application, aws)
    job = api.get(f"/jobs/{reply.json['id']}").json
    assert (job["status"], job["done"], job["failed"]) == ("done", 1, 1)
    assert job["failures"] == [{"customer_id": foreign["id"], "code": "not_found"}]
    assert api.get(f"/customers/{customer['id']}").json["portal_enabled"] is False
    assert portal.get("api/context").status == 401
    reply = api.post("/customers/portal", {"enabled": False, "group_id": group})
    drain_jobs(application, aws)
    assert api.get(f"/jobs/{reply.json['id']}").json["done"] == 1
    assert api.get(f"/customers/{second['id']}").json["portal_enabled"] is False
    reply = api.post("/customers/portal", {"enabled": True, "all": True})
    drain_jobs(application, aws)
    assert api.get(f"/jobs/{reply.json['id']}").json["done"] == 2
    assert api.get(f"/customers/{second['id']}").json["portal_enabled"] is True
    history = [e["type"] for e in api.get(f"/customers/{second['id']}/activity").json["items"]]
    assert history.count("portal_switched") == 2
    for body in ({"enabled": True}, {"enabled": True, "all": True, "group_id": group}, {"all": True}):
        assert api.post("/customers/portal", body).status == 422


def test_a_redelivered_page_switches_nobody_twice(api, application, aws, customer) -> None:
    from tests.support.jobs import deliver_job, take_job_messages

    reply = api.post("/customers/portal", {"enabled": False, "customer_ids": [customer["id"]]})
    bodies = take_job_messages(aws)
    for body in bodies + bodies:
        deliver_job(application, body)
    job = api.get(f"/jobs/{reply.json['id']}").json
    assert (job["status"], job["done"], job["failed"]) == ("done", 1, 0)
    history = [e["type"] for e in api.get(f"/customers/{customer['id']}/activity").json["items"]]
    assert history.count("portal_switched") == 1


# --- messages ---

def _notices(application, aws, to: str) -> list[dict]:
    drain_jobs(application, aws)
    return [m for m in sent_mails() if to in m["to"] and m["subject"].startswith("Neue Nachricht")]


def test_messages_reach_both_sides_with_unread_counts(api, application, aws, account_id, customer, portal) -> None:
    assert portal.post("api/messages", {"body": "Wo finde ich das Formular?"}).status == 201
    record = api.get(f"/customers/{customer['id']}").json
    assert record["unread_messages"] == 1
    listed = api.get("/customers?q=Erika").json["items"][0]
    assert listed["unread_messages"] == 1
    reply = api.post(f"/customers/{customer['id']}/messages", {"body": "Im Anhang."})
    assert reply.status == 201 and reply.json["author"] == "staff"
    thread = api.get(f"/customers/{customer['id']}/messages").json["items"]
    assert [(m["author"], m["body"]) for m in thread] == [("staff", "Im Anhang."),
                                                          ("customer", "Wo finde ich das Formular?")]
    assert thread[1]["author_name"] == "Erika Muster"
    assert portal.get("api/messages").json["items"] == thread
    assert portal.context()["messages"]["unread"] == 1
    assert portal.post("api/messages/read").status == 204
    assert portal.context()["messages"] == {"unread": 0, "last_at": thread[0]["at"]}
    assert api.post(f"/customers/{customer['id']}/messages/read").status == 204
    assert api.get(f"/customers/{customer['id']}").json["unread_messages"] == 0
    history = [e for e in api.get(f"/customers/{customer['id']}/activity").json["items"] if e["type"] == "message_sent"]
    assert [e["data"]["author"] for e in history] == ["staff", "customer"]
    for body in ({"body": ""}, {"body": "x" * 5001}, {"body": "a\u202eb"}, {}):
        assert portal.post("api/messages", body).status == 422
        assert api.post(f"/customers/{customer['id']}/messages", body).status == 422


def test_each_side_is_mailed_at_most_once_per_ten_minutes(api, application, aws, account_id, customer, portal,
                                                          monkeypatch) -> None:
    from chalicelib.customer_portal import conversation
    from tests.support.jobs import take_job_messages

    api.patch("/account", {"notification_email": "team@kanzlei.example"})
    start = clock.now()
    monkeypatch.setattr(clock, "now", lambda: start)
    before = len(_notices(application, aws, "team@kanzlei.example"))
    portal.post("api/messages", {"body": "Erste Frage"})
    mails = _notices(application, aws, "team@kanzlei.example")
    assert len(mails) == before + 1 and "Erste Frage" in mails[-1]["body"]  # the first goes at once
    for minute, text in ((1, "Zweite Frage"), (4, "Dritte Frage")):
        moment = start + datetime.timedelta(minutes=minute)
        monkeypatch.setattr(clock, "now", lambda moment=moment: moment)
        portal.post("api/messages", {"body": text})
    # One notice is planned, due ten minutes after the first mail: a delivery before then mails nothing.
    take_job_messages(aws)
    assert conversation.deliver_notice(account_id, customer["id"], "staff") is False
    assert len(_notices(application, aws, "team@kanzlei.example")) == before + 1
    due = start + datetime.timedelta(minutes=10)
    monkeypatch.setattr(clock, "now", lambda: due)
    assert conversation.deliver_notice(account_id, customer["id"], "staff") is True
    assert conversation.deliver_notice(account_id, customer["id"], "staff") is False  # delivered twice: once
    mails = _notices(application, aws, "team@kanzlei.example")
    assert len(mails) == before + 2
    assert "Zweite Frage" in mails[-1]["body"] and "Dritte Frage" in mails[-1]["body"]
    assert "Erste Frage" not in mails[-1]["body"]
    # The customer's side has its own clock: staff's first answer goes to the customer at once.
    api.post(f"/customers/{customer['id']}/messages", {"body": "Antwort"})
    customer_mails = _notices(application, aws, "erika@example.com")
    assert customer_mails and "Antwort" in customer_mails[-1]["body"]
    assert f"/c/{account_id}" in customer_mails[-1]["body"]


def test_deleting_a_customer_deletes_their_messages_and_sessions_end(api, application, aws, account_id, customer,
                                                                      portal) -> None:
    import boto3

    portal.post("api/messages", {"body": "Frage"})
    api.post(f"/customers/{customer['id']}/messages", {"body": "Antwort"})
    drain_jobs(application, aws)
    assert api.delete(f"/customers/{customer['id']}").status == 202
    assert portal.get("api/context").status == 401
    drain_jobs(application, aws)
    table = boto3.resource("dynamodb").Table(get_settings().table_name)
    left = [item for item in table.scan()["Items"]
            if item["pk"].startswith(account_id) and item.get("entity") in ("message", "conversation")]
    assert left == []


def test_no_sign_in_link_for_a_customer_whose_portal_is_off(api, anonymous, application, aws, account_id) -> None:
    address = f"off-{account_id}@example.com"  # mailed by no other test of this module
    customer = api.post("/customers", {"name": "Olaf Off", "email": address, "portal_enabled": False}).json
    reply = anonymous.post(f"/c/{account_id}/login", {"email": address})
    assert (reply.status, reply.json) == (202, {"status": "sent_if_known"})
    assert mailed_sign_in_url(application, aws, address) is None
    assert api.patch(f"/customers/{customer['id']}", {"portal_enabled": True}).status == 200
    assert api.patch("/account", {"portal": {"enabled": False}}).status == 200
    assert anonymous.post(f"/c/{account_id}/login", {"email": address}).status == 202
    assert mailed_sign_in_url(application, aws, address) is None
    assert api.patch("/account", {"portal": {"enabled": True}}).status == 200
    assert anonymous.post(f"/c/{account_id}/login", {"email": address}).status == 202
    assert mailed_sign_in_url(application, aws, address) is not None  # the same request, the portal open


def test_a_merge_moves_the_duplicates_messages_and_unread_count_to_the_target(api, application, aws, account_id,
                                                                               customer, portal) -> None:
    import boto3

    target = api.post("/customers", {"name": "Erika Muster-Neu"}).json
    api.post(f"/customers/{target['id']}/messages", {"body": "Willkommen"})
    portal.post("api/messages", {"body": "Frage vom Duplikat"})
    api.post(f"/customers/{customer['id']}/messages", {"body": "Antwort ans Duplikat"})
    portal.post("api/messages", {"body": "Noch eine Frage"})
    assert api.get(f"/customers/{customer['id']}").json["unread_messages"] == 2
    reply = api.post(f"/customers/{target['id']}/merge", {"source_id": customer["id"], "take": {}})
    assert reply.status == 200, reply
    assert reply.json["unread_messages"] == 2
    thread = api.get(f"/customers/{target['id']}/messages").json["items"]
    assert [m["body"] for m in thread] == ["Noch eine Frage", "Antwort ans Duplikat", "Frage vom Duplikat",
                                           "Willkommen"]
    assert api.get(f"/customers/{customer['id']}/messages").status == 404
    table = boto3.resource("dynamodb").Table(get_settings().table_name)
    left = [item for item in table.scan()["Items"] if item["pk"].startswith(account_id)
            and item.get("entity") in ("message", "conversation") and customer["id"] in str(item.values())]
    assert left == []


def test_the_customers_archive_holds_the_portal_messages(api, application, aws, customer, portal) -> None:
    import io
    import json
    import zipfile

    from tests.api.test_exports import download, run

    portal.post("api/messages", {"body": "Frage zur Steuer"})
    api.post(f"/customers/{customer['id']}/messages", {"body": "Antwort der Kanzlei"})
    drain_jobs(application, aws)  # the mail notices the messages queued
    job = run(api, application, aws, f"/customers/{customer['id']}/export")
    document = json.loads(zipfile.ZipFile(io.BytesIO(download(job).content)).read("customer.json"))
    assert [(m["author"], m["body"]) for m in document["messages"]] == [
        ("customer", "Frage zur Steuer"), ("staff", "Antwort der Kanzlei")]
    assert all(set(m) == {"author", "at", "body"} and m["at"] for m in document["messages"])


def test_portal_state_writes_to_a_customer_being_deleted_or_gone_fail_by_name_and_write_nothing(
        api, account) -> None:
    """Every portal state write is conditioned on the customer being there and not closing: alone or with the
    history entry in its transaction, it fails as CustomerGoneError (a 404), never as a bare cancellation."""
    from chalicelib import ids
    from chalicelib.activity import service as activity
    from chalicelib.customers import portal_state

    account_id = account[0]
    customer = api.post("/customers", {"name": "Gerda Gone"}).json
    assert api.delete(f"/customers/{customer['id']}").status == 202  # closing until its job runs
    entry = activity.entry(account_id, customer["id"], "portal_access_created", "staff:someone")
    for write in (lambda: portal_state.set_access(account_id, customer["id"], "hash", "2026-01-01T00:00:00Z", [entry]),
                  lambda: portal_state.set_enabled(account_id, customer["id"], False, [entry]),
                  lambda: portal_state.mark_read(account_id, customer["id"]),
                  lambda: portal_state.mark_read(account_id, ids.new_id())):
        with pytest.raises(portal_state.CustomerGoneError):
            write()
    assert "portal_access_created" not in [item.type for item in activity.history(account_id, customer["id"])]
