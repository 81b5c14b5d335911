"""A customer's history, merging a duplicate into a customer, and deleting a customer: what moves, what
goes, what the counters say afterwards, and that a crash half way loses nothing (a rerun finishes)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import boto3
import pytest

from chalicelib import aws as clients
from chalicelib.storage import keys
from chalicelib.storage.tables import main_table
from tests.support import events, jobs
from tests.support.faults import client_error
from tests.support.staff import activity, create_customer, define_attribute, error_fields, link_token
from tests.support.uploads import presigned, upload


def upload_too_large(anonymous, token: str) -> str:
    """An upload larger than it declared: the event handler deletes the object and records the file rejected."""
    presigned_form = presigned(anonymous, token, 5)
    events.post_upload(presigned_form, b"%PDF more than five bytes")
    return presigned_form["file_id"]


def items_naming(customer_id: str, only: tuple[str, ...] | None = None) -> list[dict]:
    """Every item of the table that holds the customer id anywhere (or in the attributes `only`): in a key, an
    index key or a value."""
    def mentions(value: Any) -> bool:
        if isinstance(value, dict):
            return any(mentions(v) for v in value.values())
        if isinstance(value, list):
            return any(mentions(v) for v in value)
        return isinstance(value, str) and customer_id in value

    client = clients.client("dynamodb")
    found = []
    for page in client.get_paginator("scan").paginate(TableName=main_table().name):
        found += [item for item in page["Items"]
                  if mentions({k: v for k, v in item.items() if only is None or k in only})]
    return found


def objects_under(aws, prefix: str) -> list[str]:
    listing = boto3.client("s3").list_objects_v2(Bucket=aws.outputs["UploadsBucketName"], Prefix=prefix)
    return [o["Key"] for o in listing.get("Contents", [])]


@contextlib.contextmanager
def crash_on(operation: str, call: int) -> Iterator[list[int]]:
    """The process dies at the `call`-th `operation` (e.g. "TransactWriteItems") of the DynamoDB client: that
    call raises, every other one goes through. Yields [calls seen]."""
    seen = [0]

    def hook(**_: Any) -> None:
        seen[0] += 1
        if seen[0] == call:
            raise client_error("InternalServerError", operation, "the process died here")

    client = clients.client("dynamodb")
    name = f"before-call.{client.meta.service_model.endpoint_prefix}.{operation}"
    client.meta.events.register(name, hook, unique_id=f"crash-{operation}")
    try:
        yield seen
    finally:
        client.meta.events.unregister(name, unique_id=f"crash-{operation}")


# --- activity ---


def test_activity_is_paginated_newest_first(api) -> None:
    customer = create_customer(api, "Viel Verlauf")
    for n in range(13):
        reply = api.patch(f"/customers/{customer['id']}", {"notes": f"Notiz {n}",
                                                           "status": ("open", "partial", "complete")[n % 3]})
        assert reply.status == 200, reply
    everything = api.get(f"/customers/{customer['id']}/activity?limit=200").json
    assert everything["next_cursor"] is None
    entries = everything["items"]
    assert len(entries) == 1 + 13 + 12  # created, 13 note changes, 12 status changes (the first keeps "open")
    assert entries[-1]["type"] == "customer_created" and entries[-1]["actor"] == "staff:admin-user"
    assert all(entries[i]["at"] >= entries[i + 1]["at"] for i in range(len(entries) - 1))
    assert {e["type"] for e in entries} == {"customer_created", "customer_updated", "status_changed"}
    notes = [e for e in entries if e["type"] == "customer_updated"]
    assert all(e["data"] == {"changes": {"notes": {"changed": True}}} for e in notes), "notes stay internal"

    for limit in (1, 4, 7):
        paged: list[dict] = []
        cursor = None
        while True:
            reply = api.get(f"/customers/{customer['id']}/activity?limit={limit}"
                            + (f"&cursor={cursor}" if cursor else ""))
            assert reply.status == 200, reply
            assert len(reply.json["items"]) <= limit
            paged += reply.json["items"]
            cursor = reply.json["next_cursor"]
            if cursor is None:
                break
        assert paged == entries, f"limit {limit}"

    other = create_customer(api, "Anderer")
    first = api.get(f"/customers/{customer['id']}/activity?limit=5").json["next_cursor"]
    for cursor in (first, "kaputt"):
        reply = api.get(f"/customers/{other['id']}/activity?limit=5&cursor={cursor}")
        assert (reply.status, reply.error_code) == (422, "validation_error")


# --- merge ---


@pytest.fixture
def duplicates(api, anonymous, application, aws) -> dict[str, Any]:
    """A target and a source (its duplicate), each with groups, values, links, files and history."""
    tax_id = define_attribute(api, "Steuer-ID", "text")
    marital = define_attribute(api, "Familienstand", "select", options=["ledig", "verheiratet"])
    city = define_attribute(api, "Ort", "text")
    receipts = define_attribute(api, "Belege", "file")
    first, second = api.post("/groups", {"name": "Privat"}).json, api.post("/groups", {"name": "Online"}).json

    target = create_customer(api, "Anna Schmidt", email="anna@alt.example", phone="+49 1", notes="Stammkundin",
                             groups=[first["id"]], attributes={tax_id["id"]: "111", marital["id"]: "ledig"})
    source = create_customer(api, "Anna Schmidt-Meyer", email="anna@neu.example", company="Meyer KG",
                             notes="Dublette", groups=[second["id"]],
                             attributes={marital["id"]: "verheiratet", city["id"]: "Bonn"})
    target_link = link_token(api, target["id"])
    source_links = [link_token(api, source["id"], areas=["general", receipts["id"]]) for _ in range(3)]
    revoked = api.get(f"/customers/{source['id']}/links").json["items"][0]  # newest first: the third
    assert api.delete(f"/customers/{source['id']}/links/{revoked['id']}").status == 204
    target_files = [upload(anonymous, target_link, b"%PDF T1")["file_id"]]
    source_files = [upload(anonymous, source_links[0], b"%PDF S-eins")["file_id"],
                    upload(anonymous, source_links[1], b"%PDF S-zwei-lang", area=receipts["id"])["file_id"]]
    rejected = upload_too_large(anonymous, source_links[0])
    events.drain(application, aws)
    api.patch(f"/customers/{source['id']}", {"phone": "+49 2"})
    return {
        "target": api.get(f"/customers/{target['id']}").json,
        "source": api.get(f"/customers/{source['id']}").json,
        "target_history": activity(api, target["id"]),
        "source_history": activity(api, source["id"]),
        "target_files": target_files, "source_files": source_files, "rejected": rejected,
        "source_links": source_links, "groups": (first["id"], second["id"]),
        "attributes": {"tax_id": tax_id["id"], "marital": marital["id"], "city": city["id"],
                       "receipts": receipts["id"]},
        "customers_count": api.get("/account").json["customers_count"],
        "used_bytes": api.get("/account").json["used_bytes"],
    }


TAKE = {"email": "source", "company": "source", "notes": "source", "phone": "target", "status": "target"}


def merge(api, target_id: str, source_id: str, take: dict | None = None):
    return api.post(f"/customers/{target_id}/merge", {"source_id": source_id, "take": take or {}})


def assert_merged(api, anonymous, dup: dict[str, Any], merged: dict) -> None:
    """Everything the source had is the target's now; the source is gone without a trace."""
    target, source, attrs = dup["target"], dup["source"], dup["attributes"]
    assert merged["id"] == target["id"] and merged["number"] == target["number"]
    assert merged["name"] == "Anna Schmidt"
    assert merged["email"] == "anna@neu.example" and merged["company"] == "Meyer KG"
    assert merged["notes"] == "Dublette" and merged["phone"] == "+49 1"
    assert merged["status"] == target["status"]
    assert merged["attributes"] == {attrs["tax_id"]: "111", attrs["marital"]: "verheiratet", attrs["city"]: "Bonn"}
    assert merged["groups"] == sorted(dup["groups"])
    assert merged["files_count"] == target["files_count"] + source["files_count"] == 3
    assert merged["bytes"] == target["bytes"] + source["bytes"]
    assert merged["links_count"] == target["links_count"] + source["links_count"] == 3
    assert merged["last_upload_at"] == max(target["last_upload_at"], source["last_upload_at"])
    assert api.get(f"/customers/{target['id']}").json == merged

    files = api.get(f"/customers/{target['id']}/files?limit=200").json["items"]
    assert {f["id"] for f in files} == {*dup["target_files"], *dup["source_files"], dup["rejected"]}
    areas = {f["id"]: f["area"] for f in files}
    assert areas[dup["source_files"][1]] == attrs["receipts"]
    assert len(api.get(f"/customers/{target['id']}/links").json["items"]) == 4
    for token in dup["source_links"][:2]:
        context = anonymous.get(f"/p/{token}/context")
        assert context.status == 200 and context.json["customer"]["name"] == "Anna Schmidt"

    entries = activity(api, target["id"])
    assert entries[0]["type"] == "customer_merged"
    assert entries[0]["data"]["source_id"] == source["id"]
    assert entries[0]["data"]["taken_from_source"] == sorted(
        ["company", "email", "notes", f"attributes.{attrs['marital']}"])
    ids_before = {(e["at"], e["type"], str(e["data"])) for e in dup["target_history"] + dup["source_history"]}
    assert ids_before <= {(e["at"], e["type"], str(e["data"])) for e in entries}, "no history is lost"
    assert len(entries) == len(dup["target_history"]) + len(dup["source_history"]) + 1

    assert api.get(f"/customers/{source['id']}").status == 404
    assert api.get(f"/customers/{source['id']}/activity").status == 404
    assert api.get("/account").json["customers_count"] == dup["customers_count"] - 1
    assert api.get("/account").json["used_bytes"] == dup["used_bytes"]
    for q in ("meyer", "@neu.example", "schmidt"):
        assert [c["id"] for c in api.get(f"/customers?q={q}").json["items"]] == [target["id"]], q
    assert api.get("/customers?q=@alt.example").json["items"] == []
    for group in dup["groups"]:
        assert [c["id"] for c in api.get(f"/customers?group={group}").json["items"]] == [target["id"]]
    # Moved files keep their S3 keys (under the source's prefix); nothing else may name the source.
    assert items_naming(source["id"], only=("pk", "sk", "gsi1pk", "gsi1sk", "id", "customer_id")) == []
    account_id = api.get("/account").json["id"]
    stored = main_table().get(keys.customer(account_id, target["id"]))
    assert "receiving_merge" not in stored and "closing" not in stored, "the target is free again"


def test_a_merge_takes_fields_as_asked_and_moves_everything(api, anonymous, duplicates) -> None:
    take = {**TAKE, f"attributes.{duplicates['attributes']['marital']}": "source"}
    reply = merge(api, duplicates["target"]["id"], duplicates["source"]["id"], take)
    assert reply.status == 200, reply
    assert_merged(api, anonymous, duplicates, reply.json)


def test_uploads_through_a_moved_link_land_on_the_target(api, anonymous, application, aws, duplicates) -> None:
    target = duplicates["target"]
    take = {**TAKE, f"attributes.{duplicates['attributes']['marital']}": "source"}
    assert merge(api, target["id"], duplicates["source"]["id"], take).status == 200
    file_id = upload(anonymous, duplicates["source_links"][0], b"%PDF nach dem Merge")["file_id"]
    events.drain(application, aws)
    after = api.get(f"/customers/{target['id']}").json
    assert after["files_count"] == 4
    assert file_id in {f["id"] for f in api.get(f"/customers/{target['id']}/files").json["items"]}


def test_a_deleted_moved_file_is_uncounted_on_the_target(api, application, aws, duplicates) -> None:
    target, moved = duplicates["target"], duplicates["source_files"][0]
    assert merge(api, target["id"], duplicates["source"]["id"]).status == 200
    assert api.delete(f"/customers/{target['id']}/files/{moved}").status == 204
    events.drain(application, aws)
    after = api.get(f"/customers/{target['id']}").json
    assert after["files_count"] == 2
    assert api.get("/account").json["used_bytes"] == duplicates["used_bytes"] - len(b"%PDF S-eins")


def test_by_default_the_target_keeps_its_values_and_gains_the_missing_ones(api, duplicates) -> None:
    target, source, attrs = duplicates["target"], duplicates["source"], duplicates["attributes"]
    reply = merge(api, target["id"], source["id"], {f"attributes.{attrs['tax_id']}": "source"})
    assert reply.status == 200, reply
    merged = reply.json
    for name in ("name", "email", "company", "phone", "notes", "status", "portal_enabled"):
        assert merged[name] == target[name], name
    # Taking a value the source lacks clears it; values only the source has come along.
    assert merged["attributes"] == {attrs["marital"]: "ledig", attrs["city"]: "Bonn"}


@pytest.mark.parametrize("crash_at", [("TransactWriteItems", 3), ("TransactWriteItems", 5), ("UpdateItem", 1),
                                      ("UpdateItem", 4), ("BatchWriteItem", 1), ("TransactWriteItems", 6)])
def test_a_merge_that_dies_half_way_is_finished_by_a_rerun(api, anonymous, application, aws, duplicates,
                                                           crash_at) -> None:
    """The merge's writes, in order: both customers are flagged (a transaction), links move (a transaction
    each: 3), files move (a transaction per 25: 1), history moves (UpdateItem each), the source's
    memberships and index entries go (BatchWriteItem), the target takes its merged profile as the source
    goes (a transaction)."""
    target, source = duplicates["target"], duplicates["source"]
    take = {**TAKE, f"attributes.{duplicates['attributes']['marital']}": "source"}
    with crash_on(*crash_at) as seen:
        crashed = merge(api, target["id"], source["id"], take)
    assert seen[0] >= crash_at[1], "the crash happened"
    assert crashed.status == 500, crashed
    # Half way, nothing is lost: every file is with one of the two.
    halves = [api.get(f"/customers/{c}/files?limit=200").json.get("items", []) for c in (target["id"], source["id"])]
    assert {f["id"] for half in halves for f in half} >= {*duplicates["target_files"], *duplicates["source_files"]}

    # Meanwhile the source takes no changes and cannot be merged elsewhere or deleted.
    other = create_customer(api, "Dritte")
    assert merge(api, other["id"], source["id"]).status == 409
    assert merge(api, source["id"], other["id"]).status == 409
    assert merge(api, other["id"], target["id"]).status == 409
    assert api.delete(f"/customers/{source['id']}").status == 409
    assert api.delete(f"/customers/{target['id']}").status == 409, "the target waits for the merge to finish"
    assert api.patch(f"/customers/{source['id']}", {"name": "Neu"}).status == 409
    assert api.delete(f"/customers/{other['id']}").status == 202
    assert jobs.drain_jobs(application, aws) == 1

    reply = merge(api, target["id"], source["id"], take)
    assert reply.status == 200, reply
    assert_merged(api, anonymous, duplicates, reply.json)


@pytest.mark.parametrize("body,field", [
    ({}, "source_id"),
    ({"source_id": ""}, "source_id"),
    ({"source_id": 5}, "source_id"),
    ({"source_id": "{source}", "take": {"number": "source"}}, "take.number"),
    ({"source_id": "{source}", "take": {"id": "source"}}, "take.id"),
    ({"source_id": "{source}", "take": {"files_count": "source"}}, "take.files_count"),
    ({"source_id": "{source}", "take": {"attributes.nope": "source"}}, "take.attributes.nope"),
    ({"source_id": "{source}", "take": {"name": "both"}}, "take.name"),
    ({"source_id": "{source}", "take": ["name"]}, "take"),
    ({"source_id": "{source}", "extra": True}, "extra"),
])
def test_invalid_merges_change_nothing(api, body, field) -> None:
    target, source = create_customer(api, "Ziel"), create_customer(api, "Quelle", email="q@example.com")
    body = {k: (v.format(source=source["id"]) if isinstance(v, str) else v) for k, v in body.items()}
    reply = api.post(f"/customers/{target['id']}/merge", body)
    assert (reply.status, reply.error_code) == (422, "validation_error"), reply
    assert field in error_fields(reply)
    assert api.get(f"/customers/{target['id']}").json == target
    assert api.get(f"/customers/{source['id']}").json == source
    assert api.patch(f"/customers/{source['id']}", {"name": "Quelle 2"}).status == 200, "the source is not closing"


def test_a_customer_cannot_be_merged_into_itself(api) -> None:
    customer = create_customer(api, "Allein")
    reply = merge(api, customer["id"], customer["id"])
    assert (reply.status, reply.error_code) == (400, "validation_error"), reply
    assert error_fields(reply) == ["source_id"]
    assert api.get(f"/customers/{customer['id']}").json == customer


def test_merging_with_unknown_or_foreign_customers_is_not_found(api, make_account) -> None:
    mine, theirs = create_customer(api, "Meins"), create_customer(api, "Auch meins")
    foreign = api.with_token(make_account()[1])
    stranger = create_customer(foreign, "Fremd")
    for target, source in ((mine["id"], stranger["id"]), (stranger["id"], mine["id"]), (mine["id"], "0" * 28),
                           (mine["id"], "nope"), ("0" * 28, mine["id"])):
        reply = merge(api, target, source)
        assert (reply.status, reply.error_code) == (404, "not_found"), (target, source, reply)
    assert merge(foreign, stranger["id"], mine["id"]).status == 404
    assert merge(foreign, mine["id"], theirs["id"]).status == 404
    assert api.get(f"/customers/{mine['id']}").json == mine
    assert api.get(f"/customers/{theirs['id']}").json == theirs
    assert foreign.get(f"/customers/{stranger['id']}").json == stranger


# --- delete ---


@pytest.fixture
def doomed(api, anonymous, application, aws) -> dict[str, Any]:
    """A customer with groups, values, links (one revoked), stored and rejected files, a pending upload and
    history, next to a neighbour that must stay untouched."""
    group = api.post("/groups", {"name": "Alle"}).json
    city = define_attribute(api, "Ort", "text")
    neighbour = create_customer(api, "Nachbar Schmidt", groups=[group["id"]])
    neighbour_link = link_token(api, neighbour["id"])
    upload(anonymous, neighbour_link, b"%PDF Nachbar")
    customer = create_customer(api, "Dora Schmidt", email="dora@example.com", company="Dora GmbH",
                               groups=[group["id"]], attributes={city["id"]: "Köln"})
    tokens = [link_token(api, customer["id"]) for _ in range(2)]
    first_link = api.get(f"/customers/{customer['id']}/links").json["items"][-1]
    api.delete(f"/customers/{customer['id']}/links/{first_link['id']}")
    upload(anonymous, tokens[1], b"%PDF eins")
    upload(anonymous, tokens[1], b"%PDF zwei, etwas laenger")
    upload_too_large(anonymous, tokens[1])
    presigned(anonymous, tokens[1], 99)  # reserved, never uploaded
    events.drain(application, aws)
    account = api.get("/account").json
    before = api.get(f"/customers/{customer['id']}").json
    assert before["files_count"] == 2 and before["links_count"] == 1
    return {"customer": before, "neighbour": api.get(f"/customers/{neighbour['id']}").json, "tokens": tokens,
            "group": group["id"], "account": account, "prefix": f"files/{account['id']}/{customer['id']}/",
            "neighbour_files": api.get(f"/customers/{neighbour['id']}/files").json["items"]}


def assert_deleted(api, anonymous, application, aws, doomed: dict[str, Any]) -> None:
    customer = doomed["customer"]
    for token in doomed["tokens"]:
        assert anonymous.get(f"/p/{token}/context").status == 404
        assert anonymous.post(f"/p/{token}/uploads", {"filename": "a.pdf", "size": 5,
                                                      "content_type": "application/pdf"}).status == 404
    assert objects_under(aws, doomed["prefix"]) == []
    events.drain(application, aws)
    account = api.get("/account").json
    assert account["used_bytes"] == doomed["account"]["used_bytes"] - customer["bytes"]
    assert account["customers_count"] == doomed["account"]["customers_count"] - 1
    assert items_naming(customer["id"]) == [], "no item of the customer remains"
    for path in ("", "/activity", "/files", "/links"):
        assert api.get(f"/customers/{customer['id']}{path}").status == 404, path
    assert api.patch(f"/customers/{customer['id']}", {"name": "Zurück"}).status == 404
    assert api.delete(f"/customers/{customer['id']}").status == 404
    assert [c["id"] for c in api.get("/customers?q=schmidt").json["items"]] == [doomed["neighbour"]["id"]]
    assert [c["id"] for c in api.get(f"/customers?group={doomed['group']}").json["items"]] == [
        doomed["neighbour"]["id"]]
    neighbour = doomed["neighbour"]
    assert api.get(f"/customers/{neighbour['id']}").json == neighbour
    assert api.get(f"/customers/{neighbour['id']}/files").json["items"] == doomed["neighbour_files"]


def test_deleting_a_customer_leaves_nothing_of_it(api, anonymous, application, aws, doomed) -> None:
    customer = doomed["customer"]
    reply = api.delete(f"/customers/{customer['id']}")
    assert (reply.status, reply.json) == (202, {"id": customer["id"], "status": "deleting"})
    # Gone for every request at once; the rest goes in the background.
    assert api.get(f"/customers/{customer['id']}").status == 404
    assert api.delete(f"/customers/{customer['id']}").status == 404
    assert customer["id"] not in [c["id"] for c in api.get("/customers?q=schmidt").json["items"]]
    for token in doomed["tokens"]:
        assert anonymous.get(f"/p/{token}/context").status == 404
    assert jobs.drain_jobs(application, aws) == 1
    assert_deleted(api, anonymous, application, aws, doomed)


@pytest.mark.parametrize("crash_at", [("TransactWriteItems", 1), ("UpdateItem", 1), ("BatchWriteItem", 1),
                                      ("TransactWriteItems", 2)])
def test_a_deletion_that_dies_half_way_is_finished_by_its_redelivery(api, anonymous, application, aws, doomed,
                                                                     crash_at) -> None:
    """The deletion job's writes, in order: the open link is revoked (a transaction), stored files are flagged
    (UpdateItem each) and their objects deleted, the customer's entries go (BatchWriteItem), the customer goes
    (a transaction). A job that dies is reported failed, and SQS delivers it again."""
    customer = doomed["customer"]
    assert api.delete(f"/customers/{customer['id']}").status == 202
    [body] = jobs.take_job_messages(aws)
    with crash_on(*crash_at) as seen:
        reply = jobs.deliver_job(application, body)
    assert seen[0] >= crash_at[1]
    assert reply["batchItemFailures"] == [{"itemIdentifier": "job"}]
    # Half way the customer is closed: no portal, no changes, no merge.
    for token in doomed["tokens"]:
        assert anonymous.get(f"/p/{token}/context").status == 404
    assert api.patch(f"/customers/{customer['id']}", {"name": "Noch da"}).status == 404
    assert merge(api, doomed["neighbour"]["id"], customer["id"]).status in (404, 409)
    events.drain(application, aws)  # events of objects deleted before the crash

    assert jobs.deliver_job(application, body)["batchItemFailures"] == []
    assert jobs.deliver_job(application, body)["batchItemFailures"] == [], "a late redelivery finds nothing to do"
    assert_deleted(api, anonymous, application, aws, doomed)


def test_history_the_s3_events_record_during_a_delete_goes_too(api, anonymous, application, aws, doomed) -> None:
    """The objects' removal events may be handled while the deletion is still running (on AWS they are,
    within a second): what they record for the customer must not outlive it."""
    customer = doomed["customer"]
    assert api.delete(f"/customers/{customer['id']}").status == 202
    client = clients.client("dynamodb")
    name = f"before-call.{client.meta.service_model.endpoint_prefix}.TransactWriteItems"
    calls: list[int] = []

    def handle_events_before_the_customer_goes(**_: Any) -> None:
        calls.append(1)
        if len(calls) == 2:  # the job's second transaction (after revoking the link) removes the customer
            assert events.drain(application, aws) >= 2

    client.meta.events.register(name, handle_events_before_the_customer_goes, unique_id="events-during-delete")
    try:
        assert jobs.drain_jobs(application, aws) == 1
    finally:
        client.meta.events.unregister(name, unique_id="events-during-delete")
    assert len(calls) >= 4, "the events were handled (one transaction each) before the customer went"
    assert_deleted(api, anonymous, application, aws, doomed)


def test_customers_of_another_account_cannot_be_deleted(api, make_account) -> None:
    mine = create_customer(api, "Meins")
    foreign = api.with_token(make_account()[1])
    for bad in (mine["id"], "0" * 28, "nope"):
        assert foreign.delete(f"/customers/{bad}").status == 404
    assert api.get(f"/customers/{mine['id']}").json == mine
