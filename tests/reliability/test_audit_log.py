"""The audit log: every state-changing staff route of the OpenAPI document writes exactly one entry per successful
call, in the same transaction as its change; downloads are recorded; entries are never editable.

The walk reads the published document, so a route added later is walked too: it needs a body in `BODIES` (the
test says so) and real path ids from the schema fuzzing's `real_path_parameters`.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.reliability.test_schema_fuzzing import real_path_parameters
from tests.support import events, jobs
from tests.support.api import ApiClient
from tests.support.world import one_of_each

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x01" * 200

#: A body that succeeds, per state-changing staff route that needs one ("{name}": an id of the world).
BODIES: dict[tuple[str, str], Any] = {
    ("PATCH", "/account"): {"name": "Kanzlei Prüfung"},
    ("PATCH", "/account/permissions"): {"exports_all": True},
    ("POST", "/account/logo"): {"filename": "logo.png", "size": len(PNG), "content_type": "image/png"},
    ("PUT", "/account/logo"): {"logo_id": "{logo}"},
    ("POST", "/groups"): {"name": "Neue Gruppe"},
    ("PATCH", "/groups/{id}"): {"name": "Umbenannt"},
    ("POST", "/attributes"): {"name": "Steuer-ID", "type": "text"},
    ("PUT", "/attributes/order"): {"ids": ["{attribute}"]},
    ("PATCH", "/attributes/{id}"): {"name": "Personalausweis"},
    ("POST", "/customers"): {"name": "Erika Neu"},
    ("PATCH", "/customers/{id}"): {"notes": "Geprüft"},
    ("POST", "/customers/{id}/merge"): {"source_id": "{duplicate}"},
    ("POST", "/customers/{id}/files"): {"filename": "b.pdf", "size": 5, "content_type": "application/pdf"},
    ("PATCH", "/customers/{id}/files/{file_id}"): {"review": "checked"},
    ("POST", "/customers/{id}/links"): {"areas": ["general"]},
    ("PATCH", "/customers/{id}/links/{link_id}/items/{item_id}"): {"state": "missing"},
    ("POST", "/customers/{id}/messages"): {"body": "Bitte noch den Ausweis."},
    ("POST", "/exports"): {"format": "csv"},
    ("POST", "/audit/export"): {},
    ("POST", "/templates"): {"name": "Jahresabschluss", "items": [{"attribute_id": "general"}]},
    ("PATCH", "/templates/{id}"): {"name": "Jahresabschluss 2025"},
    ("POST", "/requests/bulk"): {"template_id": "{template}", "customer_ids": ["{customer}"]},
    ("POST", "/webhooks"): {"url": "http://127.0.0.1:9/neu", "events": ["customer.created"]},
    ("PATCH", "/webhooks/{id}"): {"enabled": False},
    ("POST", "/users"): {"email": "neu@example.com", "name": "Neu", "role": "member"},
    ("PATCH", "/users/{id}"): {"status": "disabled"},
    ("POST", "/customers/portal"): {"enabled": True, "customer_ids": ["{customer}"]},
    ("POST", "/customers/{id}/approvals"): {"file_id": "{file}", "message": "Bitte freigeben."},
}


#: Creates whose entry names what they made, and the reply's field with its id.
CREATES = {("POST", "/customers"): "id", ("POST", "/customers/{id}/links"): "id",
           ("POST", "/customers/{id}/files"): "file_id"}


def fill(template: Any, values: dict[str, str]) -> Any:
    text = json.dumps(template)
    for name, value in values.items():
        text = text.replace("{" + name + "}", value)
    return json.loads(text)


@pytest.fixture(scope="module")
def world(aws: Any, application: Any) -> dict[str, Any]:
    from chalicelib.accounts.service import create_account
    from chalicelib.auth.tokens import issue_token
    from tests.conftest import new_account_id

    events.take_messages(aws)
    account_id = new_account_id("audit")
    create_account(account_id, name="Audit", plan="team")
    api = ApiClient(application.app, token=issue_token(account_id, "auditor", "admin"))
    real = one_of_each(api, application, aws, customer_name="Anna Akte")
    real["duplicate"] = api.post("/customers", {"name": "Anna Akte (doppelt)"}).json["id"]
    assert api.patch(f"/customers/{real['customer']}", {"email": "anna@example.com"}).status == 200
    logo = api.post("/account/logo", BODIES[("POST", "/account/logo")]).json
    events.post_upload(logo, PNG)
    real["logo"] = logo["logo_id"]
    return {"api": api, "real": real, "account": account_id}


def entries(api: ApiClient) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    cursor = ""
    while True:
        page = api.get(f"/audit?limit=200{cursor}").json
        found += page["items"]
        if not page["next_cursor"]:
            return found
        cursor = f"&cursor={page['next_cursor']}"


def state_changing_staff_operations(api: ApiClient) -> list[tuple[str, str]]:
    """Every POST/PUT/PATCH/DELETE the document publishes for staff; deletes last, the deepest paths first."""
    document = api.get("/openapi.json").json
    found = [(method.upper(), path) for path, operations in document["paths"].items()
             for method, operation in operations.items()
             if method in ("post", "put", "patch", "delete") and operation.get("security")]
    changes = [op for op in found if op[0] != "DELETE"]
    deletes = sorted((op for op in found if op[0] == "DELETE"), key=lambda op: -op[1].count("/"))
    return changes + deletes


def test_every_state_changing_staff_route_writes_exactly_one_entry_per_successful_call(world, application,
                                                                                        aws) -> None:
    api, real = world["api"], world["real"]
    operations = state_changing_staff_operations(api)
    assert len(operations) >= 40, operations
    walked, problems = [], []
    for method, path in operations:
        before = entries(api)
        values = {**real, **real_path_parameters(path, {"real": real, "api": api})}
        target = fill(path, values)
        reply = api.request(method, target, fill(BODIES.get((method, path)), values))
        after = entries(api)
        jobs.drain_jobs(application, aws)
        events.drain(application, aws)
        if not 200 <= reply.status < 300:
            problems.append(f"{method} {path} failed, so its entry cannot be checked (give it a body in BODIES or "
                            f"real ids in real_path_parameters): {reply}")
            continue
        new = after[: len(after) - len(before)]
        # A create names what it made once the service knows its id (a customer, link or file).
        made = CREATES.get((method, path))
        created = f"{target}/{reply.json[made]}" if made else target
        if len(new) != 1 or (new[0]["actor"], new[0]["target"], new[0]["ip"]) != ("auditor", created, "127.0.0.1"):
            problems.append(f"{method} {path} wrote {new}")
            continue
        if path == "/customers" and new[0]["customer_id"] != reply.json["id"]:
            problems.append(f"{method} {path}: the entry names not the new customer: {new[0]}")
        if path.startswith("/customers/{id}") and new[0]["customer_id"] != values["id"]:
            problems.append(f"{method} {path}: the entry names no customer: {new[0]}")
        walked.append((method, path, new[0]["action"]))
    assert not problems, "\n".join(problems)
    assert len({action for _, _, action in walked}) == len(walked), "each route has its own action name"


def test_a_failed_change_writes_no_entry_and_reads_write_none(api) -> None:
    customer = api.post("/customers", {"name": "Max"}).json
    before = entries(api)
    assert api.patch(f"/customers/{customer['id']}", {"status": "exploded"}).status == 422
    assert api.delete("/customers/00000000000000000000000000ff").status == 404
    assert api.get("/customers").status == 200 and api.get(f"/customers/{customer['id']}").status == 200
    assert entries(api) == before


def test_downloads_of_files_and_exports_are_recorded(api, application, aws) -> None:
    customer = api.post("/customers", {"name": "Max"}).json["id"]
    presigned = api.post(f"/customers/{customer}/files",
                         {"filename": "a.pdf", "size": 9, "content_type": "application/pdf"}).json
    events.post_upload(presigned, b"%PDF-1.7 ")
    events.drain(application, aws)
    export = api.post("/exports", {"format": "csv"}).json["id"]
    jobs.drain_jobs(application, aws)
    file_path, export_path = f"/customers/{customer}/files/{presigned['file_id']}", f"/exports/{export}"
    before = len(entries(api))
    assert api.get(file_path).json["download_url"]
    assert api.get(export_path).json["download_url"]
    after = entries(api)
    recorded = after[: len(after) - before]
    assert [(e["action"], e["target"]) for e in recorded] == [("get_export", export_path), ("get_file", file_path)]
    assert recorded[1]["customer_id"] == customer
    # Lists hand out no download URLs, so listing (the console polls the exports) records nothing.
    assert api.get("/exports").json["items"][0]["download_url"] is None
    assert api.get(f"/customers/{customer}/files").json["items"][0].get("download_url") is None
    assert entries(api) == after


def test_a_signature_image_handed_out_is_recorded(api) -> None:
    from tests.support.samples import png_base64

    signed = api.post("/attributes", {"name": "Unterschrift", "type": "signature"}).json["id"]
    customer = api.post("/customers", {"name": "Max", "attributes": {signed: png_base64()}}).json["id"]
    before = len(entries(api))
    path = f"/customers/{customer}/signatures/{signed}"
    assert api.get(path).json["download_url"]
    after = entries(api)
    recorded = after[: len(after) - before]
    assert [(e["action"], e["target"], e["customer_id"]) for e in recorded] == [
        ("customer_signature", path, customer)]
    # The customer record shows only the reference: reading it records nothing.
    assert "download_url" not in api.get(f"/customers/{customer}").json["attributes"][signed]
    assert entries(api) == after


def test_asking_for_an_export_that_is_not_done_records_nothing(api) -> None:
    export = api.post("/exports", {"format": "csv"}).json["id"]
    before = entries(api)
    for _ in range(3):  # the console polls while the job runs
        reply = api.get(f"/exports/{export}").json
        assert (reply["status"], reply["download_url"]) == ("pending", None)
    assert entries(api) == before


def test_a_created_customer_is_named_by_its_entry(api) -> None:
    customer = api.post("/customers", {"name": "Neu Angelegt"}).json["id"]
    about = api.get(f"/audit?customer_id={customer}").json["items"]
    assert [(e["action"], e["target"]) for e in about] == [("create_customer", f"/customers/{customer}")]


def test_the_log_filters_pages_and_cannot_be_edited(api) -> None:
    from chalicelib.auth.tokens import issue_token

    customers = [api.post("/customers", {"name": f"K{n}"}).json["id"] for n in range(3)]
    bob = api.with_token(issue_token(api.get("/account").json["id"], "bob", "member"))
    assert bob.patch(f"/customers/{customers[0]}", {"notes": "von Bob"}).status == 200
    assert [e["actor"] for e in api.get("/audit?actor=bob").json["items"]] == ["bob"]
    about = api.get(f"/audit?customer_id={customers[0]}").json["items"]
    assert [e["action"] for e in about] == ["update_customer", "create_customer"]
    assert len(api.get("/audit?action=create_customer").json["items"]) == 3
    first = api.get("/audit?action=create_customer&limit=2").json
    rest = api.get(f"/audit?action=create_customer&limit=2&cursor={first['next_cursor']}").json
    assert [e["at"] for e in first["items"] + rest["items"]] == sorted(
        (e["at"] for e in first["items"] + rest["items"]), reverse=True)
    assert len(first["items"] + rest["items"]) == 3 and rest["next_cursor"] is None
    today = about[0]["at"][:10]
    assert len(api.get(f"/audit?from={today}&to={today}").json["items"]) == 4
    assert api.get("/audit?to=2000-01-01").json["items"] == []
    assert api.get("/audit?from=yesterday").status == 422
    assert (bob.get("/audit").status, bob.get("/audit").error_code) == (403, "forbidden")
    for method in ("PATCH", "PUT", "DELETE", "POST"):
        assert api.request(method, "/audit", {}).status in (404, 405)


def test_an_entry_and_its_change_commit_together(api, account) -> None:
    """The storage layer writes the pending entry in the change's transaction: if the entry cannot be written,
    the change is not either; a write whose condition fails keeps the entry for the next write."""
    from chalicelib.storage import keys
    from chalicelib.storage.dynamo import ConditionFailedError, Put, TransactionCancelledError, companion_write
    from chalicelib.storage.tables import main_table

    table = main_table()
    change = {**keys.key(f"{account[0]}#TEST", "change"), "value": 1}
    entry = Put({**keys.key(f"{account[0]}#TEST", "entry")}, condition="attribute_exists(pk)")  # cannot succeed
    token = companion_write.set(entry)
    try:
        with pytest.raises(TransactionCancelledError):
            table.put(change)
        assert table.get(keys.key(f"{account[0]}#TEST", "change")) is None
        companion_write.set(Put({**keys.key(f"{account[0]}#TEST", "entry")}))
        with pytest.raises(ConditionFailedError):
            table.put(change, condition="attribute_exists(pk)")
        assert companion_write.get() is not None
        table.put(change)
        assert companion_write.get() is None
        assert table.get(keys.key(f"{account[0]}#TEST", "entry")) is not None
    finally:
        companion_write.reset(token)


def test_a_merge_moves_the_entries_and_a_deletion_keeps_them_without_the_customer(api, application, aws) -> None:
    target = api.post("/customers", {"name": "Erika Muster"}).json["id"]
    source = api.post("/customers", {"name": "Erika Muster (doppelt)"}).json["id"]
    assert api.patch(f"/customers/{source}", {"notes": "vor dem Zusammenführen"}).status == 200
    assert api.post(f"/customers/{target}/merge", {"source_id": source}).status == 200
    about_target = api.get(f"/audit?customer_id={target}").json["items"]
    assert [(e["action"], e["target"]) for e in about_target] == [
        ("merge_customers", f"/customers/{target}/merge"), ("update_customer", f"/customers/{source}"),
        ("create_customer", f"/customers/{source}"), ("create_customer", f"/customers/{target}")]
    assert api.get(f"/audit?customer_id={source}").json["items"] == []

    assert api.delete(f"/customers/{target}").status == 202
    jobs.drain_jobs(application, aws)
    events.drain(application, aws)
    assert api.get(f"/audit?customer_id={target}").json["items"] == []
    kept = [e for e in entries(api) if e["action"] in ("delete_customer", "merge_customers", "update_customer")]
    assert [(e["action"], e["target"], e["customer_id"]) for e in kept] == [
        ("delete_customer", "/customers/deleted", None), ("merge_customers", "/customers/deleted/merge", None),
        ("update_customer", f"/customers/{source}", None)]


def test_a_create_refused_at_the_plan_limit_writes_no_entry(make_account, application) -> None:
    _, token = make_account("solo")
    api = ApiClient(application.app, token=token)
    for n in range(10):
        assert api.post("/customers", {"name": f"K{n}"}).status == 201
    before = entries(api)
    refused = api.post("/customers", {"name": "Einer zu viel"})
    assert refused.error_code == "plan_limit", refused
    assert entries(api) == before
