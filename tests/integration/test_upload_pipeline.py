"""The upload pipeline under moto, end to end in-process: presign → POST to S3 → queue → handler → records.

S3 delivers at least once, out of order, and (moto) twice for multipart uploads; whatever arrives, the
effect must be that of exactly one delivery in order.
"""

from __future__ import annotations

import concurrent.futures
import json
import random

import boto3
import pytest

from tests.support import events
from tests.support.uploads import presign, upload


@pytest.fixture
def customer(api) -> dict:
    api.patch("/account", {"notification_email": "kanzlei@example.com", "branding": {"company_name": "Kanzlei"}})
    reply = api.post("/customers", {"name": "Anna Schmidt", "email": "anna@example.com"})
    assert reply.status == 201
    return reply.json


@pytest.fixture
def link(api, customer) -> str:
    reply = api.post(f"/customers/{customer['id']}/links", {"areas": ["general"]})
    assert reply.status == 201, reply
    return reply.json["url"].rsplit("/p/", 1)[1]


def state(api, customer_id: str) -> tuple[int, dict, list[dict]]:
    used = api.get("/account").json["used_bytes"]
    customer = api.get(f"/customers/{customer_id}").json
    files = api.get(f"/customers/{customer_id}/files").json["items"]
    return used, customer, files


def test_an_upload_is_recorded_counted_and_moves_the_customer_to_partial(api, anonymous, application, aws, customer,
                                                                          link) -> None:
    mails_before = len(events.sent_mails())
    first = upload(anonymous, link, b"%PDF-1.7 erster Beleg")
    second = upload(anonymous, link, b"%PDF-1.7 zweiter Beleg, etwas laenger")
    assert events.drain(application, aws) >= 2

    used, after, files = state(api, customer["id"])
    assert used == 21 + 37
    assert after["status"] == "partial"
    assert (after["files_count"], after["bytes"]) == (2, 58)
    assert after["last_upload_at"] is not None
    assert {f["id"] for f in files} == {first["file_id"], second["file_id"]}
    assert all(f["review"] == "pending" and f["direction"] == "received" for f in files)

    history = [e["type"] for e in api.get(f"/customers/{customer['id']}/activity").json["items"]]
    assert history.count("file_received") == 2
    assert history.count("status_changed") == 1

    mails = events.sent_mails()[mails_before:]
    staff = [m for m in mails if m["to"] == ["kanzlei@example.com"]]
    assert len(staff) == 1, "one mail per customer per batch, not one per file"
    assert "Anna Schmidt" in staff[0]["subject"] and "2 neue Dateien" in staff[0]["subject"]


def test_redelivered_and_reordered_events_count_once(api, anonymous, application, aws, customer, link) -> None:
    upload(anonymous, link, b"A" * 100, filename="a.pdf")
    messages = events.take_messages(aws)
    bodies = [m["Body"] for m in messages]
    replay = bodies * 3
    random.Random(7).shuffle(replay)
    for body in replay:
        events.deliver(application, [body])
    used, after, files = state(api, customer["id"])
    assert used == 100
    assert after["files_count"] == 1 and after["bytes"] == 100 and len(files) == 1


def test_a_removal_that_overtakes_its_creation_counts_nothing(api, anonymous, application, aws, customer, link) -> None:
    presigned = presign(anonymous, link, 50).json
    events.post_upload(presigned, b"B" * 50)
    key = presigned["fields"]["key"]
    boto3.client("s3").delete_object(Bucket=aws.outputs["UploadsBucketName"], Key=key)
    records = events.object_events(events.take_messages(aws))
    created = [r for r in records if r["eventName"].startswith("ObjectCreated")]
    removed = [r for r in records if r["eventName"].startswith("ObjectRemoved")]
    assert created and removed
    events.deliver(application, [json.dumps({"Records": removed})])
    events.deliver(application, [json.dumps({"Records": created})])
    used, after, files = state(api, customer["id"])
    assert used == 0 and after["files_count"] == 0 and files == []
    assert after["status"] == "open"


def test_a_double_created_event_for_one_object_counts_once(api, anonymous, application, aws, customer, link) -> None:
    upload(anonymous, link, b"C" * 10)
    records = events.object_events(events.take_messages(aws))
    created = [r for r in records if r["eventName"].startswith("ObjectCreated")]
    reply = events.deliver(application, [json.dumps({"Records": created + created})])
    assert reply["batchItemFailures"] == []
    used, after, _ = state(api, customer["id"])
    assert used == 10 and after["files_count"] == 1


@pytest.mark.parametrize(
    "declared,content,content_type,reason",
    [
        (10, b"D" * 11, None, "larger_than_declared"),
        (10, b"E" * 10, "image/png", "type_differs"),
    ],
)
def test_an_object_that_breaks_its_reservation_is_deleted_and_recorded_rejected(
        api, anonymous, application, aws, customer, link, declared, content, content_type, reason) -> None:
    presigned = presign(anonymous, link, declared).json
    events.post_upload(presigned, content, content_type=content_type)
    events.drain(application, aws)
    used, after, files = state(api, customer["id"])
    assert used == 0 and after["files_count"] == 0 and after["status"] == "open"
    assert len(files) == 1
    assert files[0]["review"] == "rejected" and files[0]["reject_reason"] == reason
    s3 = boto3.client("s3")
    listing = s3.list_objects_v2(Bucket=aws.outputs["UploadsBucketName"], Prefix=presigned["fields"]["key"])
    assert listing.get("KeyCount", 0) == 0
    history = api.get(f"/customers/{customer['id']}/activity").json["items"]
    assert history[0]["type"] == "file_rejected" and history[0]["data"]["reason"] == reason


def test_an_object_nobody_reserved_is_deleted(api, application, aws, customer) -> None:
    key = f"files/{api.get('/account').json['id']}/{customer['id']}/{'0' * 28}"
    bucket = aws.outputs["UploadsBucketName"]
    boto3.client("s3").put_object(Bucket=bucket, Key=key, Body=b"sneaky", ContentType="application/pdf")
    events.drain(application, aws)
    assert boto3.client("s3").list_objects_v2(Bucket=bucket, Prefix=key).get("KeyCount", 0) == 0
    used, after, files = state(api, customer["id"])
    assert used == 0 and after["files_count"] == 0
    assert [f["reject_reason"] for f in files] == ["unexpected_upload"]


def test_s3_test_events_and_malformed_messages(application, aws) -> None:
    reply = events.deliver(application, [
        json.dumps({"Service": "Amazon S3", "Event": "s3:TestEvent", "Bucket": "b"}),
        "not json",
        json.dumps({"Records": [{"eventName": "ObjectCreated:Put"}]}),
    ])
    assert [f["itemIdentifier"] for f in reply["batchItemFailures"]] == ["m1", "m2"]


def test_a_deleted_file_frees_its_quota_once(api, anonymous, application, aws, customer, link) -> None:
    stored = upload(anonymous, link, b"F" * 64)
    events.drain(application, aws)
    assert api.delete(f"/customers/{customer['id']}/files/{stored['file_id']}").status == 204
    messages = events.take_messages(aws)
    for _ in range(2):
        events.deliver(application, [m["Body"] for m in messages])
    used, after, files = state(api, customer["id"])
    assert used == 0 and after["files_count"] == 0 and after["bytes"] == 0 and files == []


def test_concurrent_deliveries_of_the_same_events_count_once(api, anonymous, application, aws, customer, link) -> None:
    for n in range(5):
        upload(anonymous, link, bytes([65 + n]) * (10 + n), filename=f"f{n}.pdf")
    bodies = [m["Body"] for m in events.take_messages(aws)]
    with concurrent.futures.ThreadPoolExecutor(max_workers=6) as pool:
        list(pool.map(lambda body: events.deliver(application, [body]), bodies * 3))
    used, after, files = state(api, customer["id"])
    assert used == sum(10 + n for n in range(5))
    assert after["files_count"] == 5 and len(files) == 5


def test_progress_shows_the_required_areas_still_missing(api, anonymous, application, aws, customer) -> None:
    passport = api.post("/attributes", {"name": "Ausweis", "type": "file", "required": True}).json["id"]
    payslip = api.post("/attributes", {"name": "Gehaltsnachweis", "type": "file", "required": True}).json["id"]
    optional = api.post("/attributes", {"name": "Sonstiges", "type": "file"}).json["id"]
    link = api.post(f"/customers/{customer['id']}/links", {"areas": [passport, optional]}).json
    token = link["url"].rsplit("/p/", 1)[1]
    assert sorted(api.get(f"/customers/{customer['id']}").json["missing_areas"]) == sorted([passport, payslip])
    assert link["missing_areas"] == [passport]

    upload(anonymous, token, b"%PDF ausweis", area=passport)
    events.drain(application, aws)
    assert api.get(f"/customers/{customer['id']}").json["missing_areas"] == [payslip]
    [listed] = api.get(f"/customers/{customer['id']}/links").json["items"]
    assert listed["missing_areas"] == []
    listed_customer = api.get("/customers").json["items"][0]
    assert listed_customer["missing_areas"] == [payslip]
