"""Driving the upload pipeline in-process: POST like a browser, deliver S3's events like Lambda does."""

from __future__ import annotations

import json
from typing import Any

import requests

from infra.local.pump import QueuePump
from tests.support.clients import client


def post_upload(presigned: dict[str, Any], content: bytes, content_type: str | None = None,
                filename: str = "upload.bin") -> requests.Response:
    """What the portal page does: every policy field, then the file, last. `content_type` overrides the
    field (a lying client); moto does not enforce the policy, the event handler must."""
    fields = dict(presigned["fields"])
    if content_type is not None:
        fields["Content-Type"] = content_type
    reply = requests.post(presigned["url"], data=fields,
                          files={"file": (filename, content, fields.get("Content-Type"))}, timeout=30)
    assert reply.status_code in (200, 201, 204), reply.text
    return reply


def events_queue_url(aws: Any) -> str:
    return aws.outputs["EventsQueueUrl"]


def drain(application: Any, aws: Any, max_batches: int = 100) -> int:
    """Deliver every queued S3 event to the app's handler (as the Lambda event source would); the number
    of messages delivered."""
    sqs = client("sqs")
    pump = QueuePump(sqs, events_queue_url(aws), application.handle_upload_events, "handle_upload_events")
    delivered = 0
    for _ in range(max_batches):
        received = pump.poll_once()
        if not received:
            return delivered
        delivered += received
    raise AssertionError("the events queue did not drain")


def take_messages(aws: Any, sqs: Any = None) -> list[dict[str, Any]]:
    """Remove and return every queued event message (to replay, reorder or duplicate them); `sqs`: a client to
    reuse."""
    sqs = sqs or client("sqs")
    url = events_queue_url(aws)
    taken = []
    while True:
        batch = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=0).get("Messages", [])
        if not batch:
            return taken
        for message in batch:
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
        taken.extend(batch)


def object_events(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The S3 records of taken messages (TestEvents left out)."""
    return [record for m in messages for record in json.loads(m["Body"]).get("Records", [])]


def deliver(application: Any, bodies: list[str]) -> dict[str, Any]:
    """Hand exactly these message bodies to the handler as one SQS batch; its reply."""
    from chalice.local import LambdaContext

    event = {"Records": [
        {"messageId": f"m{i}", "receiptHandle": f"r{i}", "body": body, "attributes": {}, "messageAttributes": {},
         "md5OfBody": "", "eventSource": "aws:sqs", "eventSourceARN": "arn:aws:sqs:eu-central-1:123456789012:q",
         "awsRegion": "eu-central-1"}
        for i, body in enumerate(bodies)
    ]}
    return application.handle_upload_events(event, LambdaContext("handle_upload_events", 512)) or {}


def sent_mails() -> list[dict[str, Any]]:
    """Every mail moto's SES recorded in this process."""
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.ses.models import ses_backends

    backend = ses_backends[DEFAULT_ACCOUNT_ID]["eu-central-1"]
    return [{"to": m.destinations["ToAddresses"], "subject": m.subject, "body": m.body}
            for m in backend.sent_messages]
