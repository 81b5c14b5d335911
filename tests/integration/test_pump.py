"""The local pump delivers like Lambda's SQS event source: same event shape, partial batch failures."""

from __future__ import annotations

import json
import time

import boto3

from infra.local.pump import Doorbell, QueuePump


def _queue(name: str) -> str:
    sqs = boto3.client("sqs")
    return sqs.create_queue(QueueName=name, Attributes={"VisibilityTimeout": "0"})["QueueUrl"]


def test_the_pump_deletes_only_the_messages_the_handler_did_not_report_failed(aws) -> None:
    sqs = boto3.client("sqs")
    url = _queue("pump-partial")
    for n in range(3):
        sqs.send_message(QueueUrl=url, MessageBody=json.dumps({"n": n}))
    seen: list[dict] = []

    def handler(event, context):
        seen.extend(event["Records"])
        assert context.aws_request_id and context.function_name == "under-test"
        failed = [r["messageId"] for r in event["Records"] if json.loads(r["body"])["n"] == 1]
        return {"batchItemFailures": [{"itemIdentifier": m} for m in failed]}

    pump = QueuePump(sqs, url, handler, "under-test", wait_seconds=0)
    while pump.poll_once():
        if len({json.loads(r["body"])["n"] for r in seen}) == 3:
            break
    record = seen[0]
    assert record["eventSource"] == "aws:sqs" and record["eventSourceARN"].endswith(":pump-partial")
    assert {"messageId", "receiptHandle", "body", "attributes", "awsRegion"} <= set(record)

    left = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=0).get("Messages", [])
    assert [json.loads(m["Body"])["n"] for m in left] == [1]


def test_a_crashing_handler_leaves_the_whole_batch_for_a_retry(aws) -> None:
    sqs = boto3.client("sqs")
    url = _queue("pump-crash")
    sqs.send_message(QueueUrl=url, MessageBody="{}")
    sqs.send_message(QueueUrl=url, MessageBody="{}")

    def handler(event, context):
        raise RuntimeError("boom")

    pump = QueuePump(sqs, url, handler, "crashing", wait_seconds=0)
    assert pump.poll_once() == 2
    left = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=0).get("Messages", [])
    assert len(left) == 2


class _CountingSqs:
    """The SQS client, counting the pump's receives."""

    def __init__(self, sqs) -> None:
        self._sqs = sqs
        self.receives = 0

    def receive_message(self, **arguments):
        self.receives += 1
        return self._sqs.receive_message(**arguments)

    def __getattr__(self, name):
        return getattr(self._sqs, name)


def _wait_until(condition, seconds: float = 10) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.01)
    return False


def test_a_pump_with_a_doorbell_rests_until_it_rings_and_stops_at_once(aws) -> None:
    """The local stack's pumps do not poll idle queues (an idle stack costs no CPU), yet see a message as soon
    as the request that sent it has been applied."""
    sqs = _CountingSqs(boto3.client("sqs"))
    url = _queue("pump-doorbell")
    seen: list[str] = []
    pump = QueuePump(sqs, url, lambda event, context: seen.extend(r["body"] for r in event["Records"]),
                     "doorbell", wait_seconds=0)
    pump.doorbell = Doorbell()
    pump.idle_with_doorbell_seconds = 60
    pump.start()
    try:
        assert _wait_until(lambda: sqs.receives == 1)
        time.sleep(0.6)  # without a doorbell the pump polls every 0.2 s
        assert sqs.receives == 1
        sqs.send_message(QueueUrl=url, MessageBody="rung")
        pump.doorbell.ring()
        assert _wait_until(lambda: seen == ["rung"], seconds=5)
    finally:
        started = time.monotonic()
        pump.stop()
    assert time.monotonic() - started < 5  # the stop rings too: no waiting out the 60 s rest
    assert pump._thread is not None and not pump._thread.is_alive()
