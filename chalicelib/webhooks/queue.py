"""The deliveries queue: one message per event and endpoint (handled by `deliver_webhooks`)."""

from __future__ import annotations

from collections.abc import Sequence

from chalicelib import aws
from chalicelib.settings import get_settings
from chalicelib.webhooks.models import DeliveryMessage

_BATCH = 10  # SQS takes at most 10 messages per SendMessageBatch


def queue_url() -> str:
    url = get_settings().webhooks_queue_url
    if not url:
        raise RuntimeError("DOSSIER_WEBHOOKS_QUEUE_URL is not set: webhook deliveries have nowhere to go")
    return url


def send(messages: Sequence[DeliveryMessage]) -> None:
    """Queue every message; raises if SQS refused any (the caller's batch is then retried whole, and the
    repeated messages carry the same event ids)."""
    sqs = aws.client("sqs")
    for start in range(0, len(messages), _BATCH):
        chunk = messages[start:start + _BATCH]
        reply = sqs.send_message_batch(QueueUrl=queue_url(), Entries=[
            {"Id": str(i), "MessageBody": message.model_dump_json()} for i, message in enumerate(chunk)])
        if reply.get("Failed"):
            raise RuntimeError(f"SQS refused {len(reply['Failed'])} webhook deliveries: {reply['Failed'][0]}")


def retry_later(receipt_handle: str, delay_seconds: int) -> None:
    """Make a received message visible again only after `delay_seconds` (at most 12 hours)."""
    aws.client("sqs").change_message_visibility(QueueUrl=queue_url(), ReceiptHandle=receipt_handle,
                                                VisibilityTimeout=min(delay_seconds, 43_200))
