"""Faults in the event handler: throttling, transaction conflicts and S3 errors.

A record that meets a fault is reported failed (`batchItemFailures`), stays in the queue and is handled
again; after `maxReceiveCount` receives it lands in the dead-letter queue, and `make redrive`
(infra/local/redrive.py) moves it back, where it applies exactly once. The queues' visibility timeout is
0 in this module, so SQS hands a failed message out again at once instead of after three minutes.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from chalicelib import aws as app_aws
from infra.local.environment import REGION, STAGE
from infra.local.provision import load_template
from infra.local.pump import QueuePump
from infra.local.redrive import dead_letter_routes, move_messages, redrive
from tests.reliability.audit import audit
from tests.support import events, faults, jobs, staff

#: What `make redrive` reports when no dead-letter queue holds anything: every queue the template gives one.
NOTHING_MOVED = {f"dossier-local-{name}": 0 for name in ("events", "jobs", "webhooks", "mail-feedback")}


@pytest.fixture(scope="module", autouse=True)
def immediate_redelivery(aws: Any) -> Iterator[None]:
    sqs = boto3.client("sqs")
    urls = [aws.outputs["EventsQueueUrl"], aws.outputs["JobsQueueUrl"]]
    before = [sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["VisibilityTimeout"])["Attributes"]
              for url in urls]
    for url in urls:
        sqs.set_queue_attributes(QueueUrl=url, Attributes={"VisibilityTimeout": "0"})
    yield
    for url, attributes in zip(urls, before, strict=True):
        sqs.set_queue_attributes(QueueUrl=url, Attributes=attributes)


@pytest.fixture(autouse=True)
def no_leftover_events(aws: Any) -> None:
    events.take_messages(aws)  # S3's test event, queued when the bucket's notifications were configured


def max_receives(queue: str) -> int:
    return int(load_template()["Resources"][queue]["Properties"]["RedrivePolicy"]["maxReceiveCount"])


def queued(url: str) -> int:
    attributes = boto3.client("sqs").get_queue_attributes(
        QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"])
    return sum(int(v) for v in attributes["Attributes"].values())


@pytest.fixture
def customer(api) -> str:
    return api.post("/customers", {"name": "Jonas Weber"}).json["id"]


def upload(api, customer: str, content: bytes, name: str = "beleg.pdf") -> dict:
    return staff.upload_file(api, customer, content, name, direction="received")


def account_of(api) -> str:
    return api.get("/account").json["id"]


def stored_files(account_id: str) -> list[dict]:
    return audit(account_id).stored


# --- the faults ----------------------------------------------------------------------------------------


def throttled(operation: str) -> Callable[[], Exception]:
    return lambda: faults.client_error("ProvisionedThroughputExceededException", operation, "throttled")


def throttling(operation: str) -> Callable[[], Exception]:
    return lambda: faults.client_error("ThrottlingException", operation, "rate exceeded")


def transaction_conflict() -> Exception:
    return ClientError({"Error": {"Code": "TransactionCanceledException", "Message": "conflict"},
                        "CancellationReasons": [{"Code": "TransactionConflict"}] + [{"Code": "None"}] * 4},
                       "TransactWriteItems")


def s3_error(code: str) -> Callable[[], Exception]:
    return lambda: ClientError({"Error": {"Code": code, "Message": "injected"},
                                "ResponseMetadata": {"HTTPStatusCode": 503 if code == "SlowDown" else 500}},
                               "HeadObject")


FAULTS = {
    # name: (service, operation, error, times) — times high enough that the first delivery fails
    "throttled read": ("dynamodb", "BatchGetItem", throttled("BatchGetItem"), 2),
    "throttled transaction": ("dynamodb", "TransactWriteItems", throttling("TransactWriteItems"), 2),
    # The pipeline itself tries a conflicted transaction three times; the fourth conflict fails the delivery.
    "transaction conflict": ("dynamodb", "TransactWriteItems", transaction_conflict, 4),
    "S3 slow down": ("s3", "HeadObject", s3_error("SlowDown"), 2),
    "S3 internal error": ("s3", "HeadObject", s3_error("InternalError"), 1),
}


@pytest.mark.parametrize("fault", FAULTS, ids=list(FAULTS))
def test_a_record_that_meets_a_fault_is_retried_not_lost(api, application, aws, customer, fault) -> None:
    service, operation, error, times = FAULTS[fault]
    account_id = account_of(api)
    content = b"%PDF-1.7 Lohnsteuerbescheinigung"
    upload(api, customer, content)
    pump = QueuePump(boto3.client("sqs"), aws.outputs["EventsQueueUrl"], application.handle_upload_events,
                     "handle_upload_events")

    with faults.failing(service, operation, error, times=times) as injected:
        assert pump.poll_once() == 1
        # The first delivery failed: nothing is recorded and the message is still there.
        assert stored_files(account_id) == []
        assert queued(aws.outputs["EventsQueueUrl"]) == 1
        events.drain(application, aws)

    assert injected == [times]
    found = audit(account_id)
    assert found.problems == []
    assert [f["size"] for f in found.stored] == [len(content)]
    assert found.account["used_bytes"] == len(content)
    assert len(found.activity("file_received")) == 1
    assert queued(aws.outputs["EventsDeadLetterQueueUrl"]) == 0


def test_a_removal_that_meets_a_fault_uncounts_once(api, application, aws, customer) -> None:
    account_id = account_of(api)
    stored = upload(api, customer, b"%PDF-1.7 Mietvertrag")
    events.drain(application, aws)
    assert api.delete(f"/customers/{customer}/files/{stored['file_id']}").status == 204

    with faults.failing("dynamodb", "TransactWriteItems", throttling("TransactWriteItems"), times=2) as injected:
        events.drain(application, aws)

    assert injected == [2]
    found = audit(account_id)
    assert found.problems == [] and found.stored == [] and found.objects == {}
    assert found.account["used_bytes"] == 0 and found.customers[customer]["files_count"] == 0
    assert len(found.activity("file_deleted")) == 1


def test_a_rejection_whose_delete_fails_is_retried_and_recorded_once(api, application, aws, customer) -> None:
    """An object larger than its reservation must go; if S3 refuses the delete, the record is retried."""
    account_id = account_of(api)
    presigned = api.post(f"/customers/{customer}/files", {"filename": "klein.pdf", "size": 4,
                                                          "content_type": "application/pdf"}).json
    events.post_upload(presigned, b"%PDF-1.7 viel mehr als vier Bytes")
    error = lambda: faults.client_error("InternalError", "DeleteObject")  # noqa: E731

    with faults.failing("s3", "DeleteObject", error, times=2) as injected:
        events.drain(application, aws)

    assert injected == [2]
    found = audit(account_id)
    assert found.problems == [] and found.objects == {} and found.account["used_bytes"] == 0
    [record] = found.of("file")
    assert (record["state"], record["reject_reason"]) == ("rejected", "larger_than_declared")
    assert len(found.activity("file_rejected")) == 1


def test_one_poisoned_record_fails_alone(api, application, aws, customer) -> None:
    account_id = account_of(api)
    uploads = [upload(api, customer, bytes([65 + n]) * (10 + n), f"teil-{n}.pdf") for n in range(3)]
    poisoned = uploads[1]["fields"]["key"]
    failures = []

    def fail_one_key(params: dict[str, Any], **_: Any) -> None:
        if params.get("Key") == poisoned:
            failures.append(params["Key"])
            raise s3_error("InternalError")()

    client_events = app_aws.client("s3").meta.events  # the app's own client, as faults.failing does
    client_events.register("before-parameter-build.s3.HeadObject", fail_one_key, unique_id="poison-one-key")
    try:
        events.drain(application, aws)
    finally:
        client_events.unregister("before-parameter-build.s3.HeadObject", unique_id="poison-one-key")

    assert len(failures) == max_receives("EventsQueue")
    found = audit(account_id, settled=False)
    assert sorted(f["id"] for f in found.stored) == sorted(u["file_id"] for u in (uploads[0], uploads[2]))
    assert queued(aws.outputs["EventsDeadLetterQueueUrl"]) == 1

    assert redrive(boto3.client("sqs"), STAGE, REGION)["dossier-local-events"] == 1
    events.drain(application, aws)
    found = audit(account_id)
    assert found.problems == [] and len(found.stored) == 3


def test_a_message_in_the_dead_letter_queue_applies_exactly_once_after_redrive(api, application, aws,
                                                                               customer) -> None:
    account_id = account_of(api)
    content = b"%PDF-1.7 Grundsteuerbescheid"
    upload(api, customer, content)
    dead_letters = aws.outputs["EventsDeadLetterQueueUrl"]

    with faults.failing("dynamodb", "TransactWriteItems", throttling("TransactWriteItems")) as injected:
        events.drain(application, aws)

    assert injected == [max_receives("EventsQueue")], "one delivery per receive, up to maxReceiveCount"
    assert queued(aws.outputs["EventsQueueUrl"]) == 0 and queued(dead_letters) == 1
    assert stored_files(account_id) == [] and audit(account_id, settled=False).account["used_bytes"] == 0

    # Keep a copy, to redrive the same event a second time later (an operator running it twice).
    sqs = boto3.client("sqs")
    [copy] = sqs.receive_message(QueueUrl=dead_letters, MaxNumberOfMessages=1, VisibilityTimeout=0)["Messages"]

    moved = redrive(sqs, STAGE, REGION)
    assert moved == {**NOTHING_MOVED, "dossier-local-events": 1}
    assert queued(dead_letters) == 0
    events.drain(application, aws)
    once = audit(account_id)
    assert once.problems == [] and len(once.stored) == 1 and once.account["used_bytes"] == len(content)

    sqs.send_message(QueueUrl=dead_letters, MessageBody=copy["Body"])
    assert redrive(sqs, STAGE, REGION)["dossier-local-events"] == 1
    events.drain(application, aws)
    again = audit(account_id)
    assert again.problems == [] and len(again.stored) == 1 and again.account["used_bytes"] == len(content)
    assert len(again.activity("file_received")) == 1 and len(again.activity("status_changed")) == 1


def test_an_export_job_that_keeps_failing_is_redriven_and_runs_once(api, application, aws) -> None:
    export_id = api.post("/exports", {"format": "csv"}).json["id"]
    with faults.failing("dynamodb", "GetItem", throttled("GetItem")) as injected:
        assert jobs.drain_jobs(application, aws) == max_receives("JobsQueue")
    assert injected == [max_receives("JobsQueue")]
    assert queued(aws.outputs["JobsDeadLetterQueueUrl"]) == 1
    assert api.get(f"/exports/{export_id}").json["status"] == "pending"

    assert redrive(boto3.client("sqs"), STAGE, REGION) == {**NOTHING_MOVED, "dossier-local-jobs": 1}
    assert jobs.drain_jobs(application, aws) == 1
    assert api.get(f"/exports/{export_id}").json["status"] == "done"


def test_the_redrive_follows_the_templates_dead_letter_routes(aws) -> None:
    routes = {(r.source, r.dead_letter) for r in dead_letter_routes()}
    assert routes == {("EventsQueue", "EventsDeadLetterQueue"), ("JobsQueue", "JobsDeadLetterQueue"),
                      ("WebhooksQueue", "WebhooksDeadLetterQueue"),
                      ("MailFeedbackQueue", "MailFeedbackDeadLetterQueue")}
    sqs = boto3.client("sqs")
    dead_letters, source = aws.outputs["JobsDeadLetterQueueUrl"], aws.outputs["JobsQueueUrl"]
    bodies = [json.dumps({"n": n}) for n in range(23)]
    for body in bodies:
        sqs.send_message(QueueUrl=dead_letters, MessageBody=body)
    assert move_messages(sqs, dead_letters, source) == 23
    received = []
    while batch := sqs.receive_message(QueueUrl=source, MaxNumberOfMessages=10).get("Messages", []):
        received += [m["Body"] for m in batch]
        sqs.delete_message_batch(QueueUrl=source, Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]}
                                                           for i, m in enumerate(batch)])
    assert sorted(received) == sorted(bodies)
    assert queued(dead_letters) == 0
