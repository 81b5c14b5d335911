"""Events that come late (a dead-letter queue redriven days later) never cost a customer's file: what
recognises an upload lives as long as its events can arrive, and an object nothing recognises any more is
quarantined, not deleted."""

from __future__ import annotations

import datetime

import boto3
import pytest

from chalicelib import clock
from chalicelib.files.ledger import EVENT_HORIZON_SECONDS
from chalicelib.settings import get_settings
from infra.local.provision import load_template
from tests.support import events
from tests.support.ttl import sweep_expired

CONTENT = b"%PDF-1.7 Steuerbescheid 2025"


@pytest.fixture
def uploaded(api, anonymous, aws, account) -> dict:
    """An upload stored under a valid policy whose S3 event has not been handled (it went to the DLQ)."""
    customer = api.post("/customers", {"name": "Late Event"}).json
    token = api.post(f"/customers/{customer['id']}/links", {"areas": ["general"], "expires_in_days": 60}
                     ).json["url"].rsplit("/p/", 1)[1]
    events.take_messages(aws)
    form = anonymous.post(f"/p/{token}/uploads", {"filename": "bescheid.pdf", "size": len(CONTENT),
                                                  "content_type": "application/pdf"}).json
    events.post_upload(form, CONTENT)
    bodies = [m["Body"] for m in events.take_messages(aws)]
    assert bodies
    return {"account_id": account[0], "customer": customer, "form": form, "bodies": bodies}


def _later(monkeypatch, days: float) -> datetime.datetime:
    moment = clock.now() + datetime.timedelta(days=days)
    monkeypatch.setattr(clock, "now", lambda: moment)
    return moment


def _object(key: str) -> bytes:
    return boto3.client("s3").get_object(Bucket=get_settings().uploads_bucket, Key=key)["Body"].read()


def test_a_redrive_after_the_reservation_policy_expired_keeps_and_counts_the_file_once(
        api, application, uploaded, monkeypatch) -> None:
    moment = _later(monkeypatch, days=13)  # within the DLQ's 14 days
    sweep_expired(uploaded["account_id"], moment.timestamp())
    for _ in range(2):  # redriven, then redriven again
        reply = events.deliver(application, uploaded["bodies"])
        assert not reply.get("batchItemFailures"), reply
    key = uploaded["form"]["fields"]["key"]
    assert _object(key) == CONTENT
    [file] = api.get(f"/customers/{uploaded['customer']['id']}/files").json["items"]
    assert (file["id"], file["reject_reason"], file["size"]) == (uploaded["form"]["file_id"], None, len(CONTENT))
    assert api.get("/account").json["used_bytes"] == len(CONTENT)
    assert api.get(f"/customers/{uploaded['customer']['id']}").json["status"] == "partial"


def test_an_object_nothing_recognises_any_more_is_quarantined_not_deleted(api, application, uploaded,
                                                                          monkeypatch) -> None:
    moment = _later(monkeypatch, days=EVENT_HORIZON_SECONDS / 86400 + 2)
    sweep_expired(uploaded["account_id"], moment.timestamp())
    events.deliver(application, uploaded["bodies"])
    [file] = api.get(f"/customers/{uploaded['customer']['id']}/files").json["items"]
    assert file["reject_reason"] == "unexpected_upload"
    listed = boto3.client("s3").list_objects_v2(Bucket=get_settings().uploads_bucket,
                                               Prefix=f"quarantine/{uploaded['form']['fields']['key']}/")
    [kept] = [item["Key"] for item in listed["Contents"]]
    assert _object(kept) == CONTENT, "an operator can restore the bytes"
    assert api.get("/account").json["used_bytes"] == 0


def test_what_recognises_an_upload_outlives_the_dead_letter_queues() -> None:
    resources = load_template()["Resources"]
    retention = max(int(r["Properties"]["MessageRetentionPeriod"]) for r in resources.values()
                    if r["Type"] == "AWS::SQS::Queue" and "MessageRetentionPeriod" in r.get("Properties", {}))
    assert retention >= 14 * 86400
    assert EVENT_HORIZON_SECONDS >= retention + 86400
