"""The local pump delivers like Lambda's SQS event source: same event shape, partial batch failures."""

from __future__ import annotations

import json

import boto3

from infra.local.pump import QueuePump


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
