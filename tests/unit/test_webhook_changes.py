"""Which stream records announce which webhook events (records as Lambda hands them over)."""

from __future__ import annotations

from typing import Any

import pytest

from chalicelib.storage.dynamo import serialize
from chalicelib.webhooks.changes import ACTIVITY_EVENTS, events_of

ACCOUNT = "acme"
CUSTOMER = "01a0000000000000000000000001"


def record(name: str, new: dict[str, Any] | None = None, old: dict[str, Any] | None = None) -> dict[str, Any]:
    images: dict[str, Any] = {"ApproximateCreationDateTime": 1_796_000_000, "SequenceNumber": "1",
                              "StreamViewType": "NEW_AND_OLD_IMAGES"}
    if new is not None:
        images["NewImage"] = serialize(new)
    if old is not None:
        images["OldImage"] = serialize(old)
    return {"eventID": "e1", "eventName": name, "eventSource": "aws:dynamodb", "dynamodb": images}


def activity(kind: str, **data: Any) -> dict[str, Any]:
    return {"pk": f"{ACCOUNT}#ACTIVITY", "sk": "2026-12-06T10:00:00.000Z#a1", "entity": "activity", "id": "a1",
            "customer_id": CUSTOMER, "at": "2026-12-06T10:00:00.000Z", "kind": kind, "actor": "staff:u1",
            "data": data}


def item(entity: str, **fields: Any) -> dict[str, Any]:
    return {"pk": f"{ACCOUNT}#{entity.upper()}", "sk": fields["id"], "entity": entity, **fields}


def test_an_inserted_activity_entry_is_its_event_with_a_stable_id() -> None:
    event, = events_of(record("INSERT", activity("file_received", file_id="f1", size=9)))
    assert (event.id, event.account_id, event.type, event.timestamp) == (
        "evt_a1", ACCOUNT, "file.received", "2026-12-06T10:00:00.000Z")
    assert event.data == {"file_id": "f1", "size": 9, "customer_id": CUSTOMER, "actor": "staff:u1",
                          "activity": "file_received"}
    assert events_of(record("INSERT", activity("file_received", file_id="f1", size=9)))[0].id == event.id


@pytest.mark.parametrize("kind", ["link_created", "link_sent", "link_revoked", "file_sent", "file_deleted"])
def test_activity_nobody_subscribes_to_is_not_announced(kind) -> None:
    assert kind not in ACTIVITY_EVENTS
    assert events_of(record("INSERT", activity(kind))) == []


def test_moving_or_removing_history_announces_nothing() -> None:
    moved = activity("customer_created")
    assert events_of(record("MODIFY", {**moved, "customer_id": "other"}, moved)) == []
    assert events_of(record("REMOVE", None, moved)) == []


def test_a_customer_flagged_for_deletion_is_deleted_once() -> None:
    customer = item("customer", id=CUSTOMER, number=7, name="Erika")
    event, = events_of(record("MODIFY", {**customer, "closing": "delete"}, customer))
    assert (event.type, event.data, event.id) == ("customer.deleted", {"customer_id": CUSTOMER, "number": 7},
                                                   f"evt_{CUSTOMER}_deleted")
    assert event.timestamp == "2026-11-30T00:53:20.000Z"  # the record's ApproximateCreationDateTime
    again = {**customer, "closing": "delete"}
    assert events_of(record("MODIFY", {**again, "files_count": 0}, again)) == []
    assert events_of(record("MODIFY", {**customer, "closing": "merge"}, customer)) == []


def test_a_links_first_submission_completes_it() -> None:
    link = item("link", id="l1", customer_id=CUSTOMER)
    event, = events_of(record("MODIFY", {**link, "submitted_at": "2026-12-06T11:00:00.000Z"}, link))
    assert (event.type, event.timestamp, event.data) == ("link.completed", "2026-12-06T11:00:00.000Z",
                                                         {"link_id": "l1", "customer_id": CUSTOMER})
    submitted = {**link, "submitted_at": "2026-12-06T11:00:00.000Z"}
    assert events_of(record("MODIFY", {**submitted, "submitted_at": "2026-12-07T09:00:00.000Z"}, submitted)) == []


def test_an_export_that_became_done_is_announced_once() -> None:
    running = item("export", id="x1", status="running", format="csv", trigger="manual", kind="customers")
    done = {**running, "status": "done", "rows": 12, "size": 3000, "finished_at": "2026-12-06T12:00:00.000Z"}
    event, = events_of(record("MODIFY", done, running))
    assert (event.type, event.timestamp) == ("export.done", "2026-12-06T12:00:00.000Z")
    assert event.data == {"export_id": "x1", "format": "csv", "trigger": "manual", "rows": 12, "size": 3000}
    assert events_of(record("MODIFY", done, done)) == []
    assert events_of(record("MODIFY", {**running, "status": "failed"}, running)) == []


@pytest.mark.parametrize("entity", ["search", "membership", "account", "reservation", "webhook", "webhook_delivery"])
def test_other_items_announce_nothing(entity) -> None:
    other = {"pk": f"{ACCOUNT}#X", "sk": "1", "entity": entity, "id": "1", "status": "done", "closing": "delete",
             "submitted_at": "x"}
    assert events_of(record("INSERT", other)) == []
    before = {**other, "status": "running", "closing": None, "submitted_at": None}
    assert events_of(record("MODIFY", other, before)) == []


def test_the_repository_reads_a_stream_record_as_the_items_fields_without_keys() -> None:
    from chalicelib.webhooks.repository import stored_change

    before = {**item("customer", id="c1", number=7), "gsi1pk": f"{ACCOUNT}#SEARCH#k", "gsi1sk": "c1"}
    change = stored_change(record("MODIFY", {**before, "closing": "delete"}, before))
    assert change is not None
    assert (change.write, change.entity, change.account_id) == ("MODIFY", "customer", ACCOUNT)
    assert change.new == {"entity": "customer", "id": "c1", "number": 7, "closing": "delete"}
    assert change.old == {"entity": "customer", "id": "c1", "number": 7}
    assert change.approximate_time.startswith("2026-")
    assert stored_change(record("REMOVE", None, before)) is None, "a removal leaves no item to announce"
