"""The local event pump: what the Lambda SQS event source does on AWS.

It long-polls a queue, hands each batch to the very handler Lambda calls (the Chalice event handler,
with the same event shape), and deletes only the messages the handler did not report as failed
(`batchItemFailures`). Failed messages reappear after the queue's visibility timeout and reach the
dead-letter queue after `maxReceiveCount` receives, as on AWS.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from chalice.local import LambdaContext

from chalicelib.observability import logger

Handler = Callable[[dict[str, Any], Any], Any]


def lambda_event(messages: list[dict[str, Any]], queue_arn: str, region: str) -> dict[str, Any]:
    return {
        "Records": [
            {
                "messageId": message["MessageId"],
                "receiptHandle": message["ReceiptHandle"],
                "body": message["Body"],
                "attributes": message.get("Attributes", {}),
                "messageAttributes": message.get("MessageAttributes", {}),
                "md5OfBody": message.get("MD5OfBody", ""),
                "eventSource": "aws:sqs",
                "eventSourceARN": queue_arn,
                "awsRegion": region,
            }
            for message in messages
        ]
    }


class Doorbell:
    """Rung after every request that may have changed data (infra/local/moto_server.py). A pump that found
    nothing rests until it rings instead of polling an idle queue again and again."""

    def __init__(self) -> None:
        self._condition = threading.Condition()
        self._rings = 0

    def rings(self) -> int:
        with self._condition:
            return self._rings

    def ring(self) -> None:
        with self._condition:
            self._rings += 1
            self._condition.notify_all()

    def wait_after(self, seen: int, timeout: float) -> None:
        """Return once it has rung since `seen` (a `rings()` value), or after `timeout` seconds."""
        with self._condition:
            self._condition.wait_for(lambda: self._rings != seen, timeout)


class PollingPump:
    """A thread that calls `poll_once` until stopped, resting `idle_seconds` whenever a poll found nothing; what
    the queue pump and the stream pump share. With a `doorbell`, it rests until the doorbell rings or
    `idle_with_doorbell_seconds` pass: data may also become due without a request (a failed message's visibility
    timeout running out)."""

    idle_seconds: float = 0.2
    idle_with_doorbell_seconds: float = 1.0
    join_seconds: float = 5

    def __init__(self, function_name: str) -> None:
        self.function_name = function_name
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.doorbell: Doorbell | None = None

    def poll_once(self) -> int:
        raise NotImplementedError

    def source(self) -> dict[str, str]:
        """What the pump reads, for its log lines."""
        raise NotImplementedError

    def _rest(self, seen: int) -> None:
        if self.doorbell is None:
            self._stop.wait(self.idle_seconds)
        else:
            self.doorbell.wait_after(seen, self.idle_with_doorbell_seconds)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                # Read before polling: a change made while the poll runs must not wait for the next ring.
                seen = self.doorbell.rings() if self.doorbell is not None else 0
                if not self.poll_once():
                    self._rest(seen)
            except Exception:
                if self._stop.is_set():
                    return
                logger.exception("pump failed to poll", extra=self.source())
                self._stop.wait(1)

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name=f"pump-{self.function_name}", daemon=True)
        self._thread.start()

    def request_stop(self) -> None:
        """Ask the pump to stop after the batch in hand (returns at once)."""
        self._stop.set()
        if self.doorbell is not None:
            self.doorbell.ring()

    def stop(self) -> None:
        self.request_stop()
        if self._thread is not None:
            self._thread.join(timeout=self.join_seconds)


class QueuePump(PollingPump):
    def __init__(self, sqs: Any, queue_url: str, handler: Handler, function_name: str,
                 batch_size: int = 10, wait_seconds: int = 0, idle_seconds: float = 0.2) -> None:
        super().__init__(function_name)
        self.sqs = sqs
        self.queue_url = queue_url
        self.handler = handler
        self.batch_size = batch_size
        #: Server-side long poll; 0 against the local moto server, which serves one request at a time.
        self.wait_seconds = wait_seconds
        self.idle_seconds = idle_seconds
        self.join_seconds = wait_seconds + 5
        self.queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])[
            "Attributes"
        ]["QueueArn"]

    def source(self) -> dict[str, str]:
        return {"queue": self.queue_url}

    def poll_once(self) -> int:
        """Receive one batch and deliver it; the number of messages received."""
        reply = self.sqs.receive_message(
            QueueUrl=self.queue_url,
            MaxNumberOfMessages=self.batch_size,
            WaitTimeSeconds=self.wait_seconds,
            AttributeNames=["All"],
            MessageAttributeNames=["All"],
        )
        messages = reply.get("Messages", [])
        if not messages:
            return 0
        event = lambda_event(messages, self.queue_arn, self.sqs.meta.region_name)
        try:
            result = self.handler(event, LambdaContext(self.function_name, 512, max_runtime_ms=30_000)) or {}
            failed = {item["itemIdentifier"] for item in result.get("batchItemFailures", [])}
        except Exception:
            # A crashed invocation fails the whole batch, as on Lambda.
            logger.exception("event handler crashed; the batch will be retried", extra={"queue": self.queue_url})
            failed = {m["MessageId"] for m in messages}
        done = [m for m in messages if m["MessageId"] not in failed]
        if done:
            self.sqs.delete_message_batch(
                QueueUrl=self.queue_url,
                Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(done)],
            )
        return len(messages)
