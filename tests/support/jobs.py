"""Driving export jobs in-process: deliver the jobs queue to the app's handler like the Lambda event source,
and fire the daily schedule like EventBridge."""

from __future__ import annotations

from typing import Any

from infra.local.pump import QueuePump
from tests.support.clients import client


def jobs_queue_url(aws: Any) -> str:
    return aws.outputs["JobsQueueUrl"]


def drain_jobs(application: Any, aws: Any, max_batches: int = 50) -> int:
    """Run every queued export job (one message per batch, as Lambda is configured); the number run."""
    pump = QueuePump(client("sqs"), jobs_queue_url(aws), application.handle_jobs, "handle_jobs",
                     batch_size=1)
    delivered = 0
    for _ in range(max_batches):
        received = pump.poll_once()
        if not received:
            return delivered
        delivered += received
    raise AssertionError("the jobs queue did not drain")


def queued_jobs(aws: Any) -> int:
    attributes = client("sqs").get_queue_attributes(
        QueueUrl=jobs_queue_url(aws), AttributeNames=["ApproximateNumberOfMessages"])["Attributes"]
    return int(attributes["ApproximateNumberOfMessages"])


def scheduled_event(time: str) -> dict[str, Any]:
    """What EventBridge sends a scheduled function."""
    return {
        "version": "0", "id": "89d1a02d-5ec7-412e-82f5-13505f849b41", "detail-type": "Scheduled Event",
        "source": "aws.events", "account": "123456789012", "time": time, "region": "eu-central-1",
        "resources": ["arn:aws:events:eu-central-1:123456789012:rule/dossier-dev-run_scheduled_exports"],
        "detail": {},
    }


def run_schedule(application: Any, time: str) -> Any:
    from chalice.local import LambdaContext

    return application.run_scheduled_exports(scheduled_event(time), LambdaContext("run_scheduled_exports", 512))


def take_job_messages(aws: Any) -> list[str]:
    """Remove and return the bodies of every queued job message (to deliver them by hand)."""
    sqs = client("sqs")
    taken = []
    while True:
        batch = sqs.receive_message(QueueUrl=jobs_queue_url(aws), MaxNumberOfMessages=10,
                                    WaitTimeSeconds=0).get("Messages", [])
        if not batch:
            return taken
        for message in batch:
            sqs.delete_message(QueueUrl=jobs_queue_url(aws), ReceiptHandle=message["ReceiptHandle"])
            taken.append(message["Body"])


def deliver_job(application: Any, body: str) -> dict[str, Any]:
    """Hand one job message to the handler, as one SQS delivery (a redelivery is another call); its reply."""
    from chalice.local import LambdaContext

    event = {"Records": [{"messageId": "job", "receiptHandle": "r", "body": body, "attributes": {},
                          "messageAttributes": {}, "md5OfBody": "", "eventSource": "aws:sqs",
                          "eventSourceARN": "arn:aws:sqs:eu-central-1:123456789012:jobs", "awsRegion": "eu-central-1"}]}
    return application.handle_jobs(event, LambdaContext("handle_jobs", 1024)) or {}
