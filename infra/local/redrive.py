"""`make redrive`: move every message of the dead-letter queues back to the queue it came from.

A message lands in a dead-letter queue after `maxReceiveCount` failed deliveries (infra/template.yaml).
Once the cause is fixed, redriving hands it to the handler again; the handlers are idempotent, so a
message that was in fact applied before (or is redriven twice) still takes effect exactly once.

SQS's own `StartMessageMoveTask` is not in moto, so this receives, sends and deletes: each batch is sent
to the source queue before it is deleted from the dead-letter queue, so a crash in between duplicates
messages (harmless, see above) but never loses one. Which queue feeds which dead-letter queue is read
from the template's `RedrivePolicy`, the same definition that deploys to AWS.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from typing import Any

from infra.local.provision import load_template, resource_names

_BATCH = 10


@dataclass(frozen=True)
class DeadLetterRoute:
    source: str  #: logical id of the queue the messages came from
    dead_letter: str  #: logical id of its dead-letter queue


def dead_letter_routes(template: dict[str, Any] | None = None) -> list[DeadLetterRoute]:
    """Every queue of the template that has a dead-letter queue, with it."""
    template = template or load_template()
    routes = []
    for logical, resource in template["Resources"].items():
        policy = resource.get("Properties", {}).get("RedrivePolicy") if resource["Type"] == "AWS::SQS::Queue" else None
        if policy:
            target = policy["deadLetterTargetArn"]
            routes.append(DeadLetterRoute(source=logical, dead_letter=target["Fn::GetAtt"][0]))
    return routes


def move_messages(sqs: Any, from_url: str, to_url: str) -> int:
    """Move every message visible in `from_url` to `to_url` (body and attributes); the number moved."""
    moved = 0
    while True:
        messages = sqs.receive_message(QueueUrl=from_url, MaxNumberOfMessages=_BATCH, WaitTimeSeconds=0,
                                       MessageAttributeNames=["All"]).get("Messages", [])
        if not messages:
            return moved
        entries = []
        for i, message in enumerate(messages):
            entry: dict[str, Any] = {"Id": str(i), "MessageBody": message["Body"]}
            if message.get("MessageAttributes"):
                entry["MessageAttributes"] = message["MessageAttributes"]
            entries.append(entry)
        reply = sqs.send_message_batch(QueueUrl=to_url, Entries=entries)
        sent = {item["Id"] for item in reply.get("Successful", [])}
        if sent:
            sqs.delete_message_batch(QueueUrl=from_url, Entries=[
                {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(messages) if str(i) in sent])
        if reply.get("Failed"):
            # The unsent ones stay in the dead-letter queue (visible again after its visibility timeout).
            raise RuntimeError(f"could not send {len(reply['Failed'])} messages to {to_url}: {reply['Failed']}")
        moved += len(sent)


def redrive(sqs: Any, stage: str, region: str) -> dict[str, int]:
    """Move every dead-letter queue's messages back to their source queue; queue name → messages moved."""
    names = resource_names(stage, region)
    moved = {}
    for route in dead_letter_routes():
        source_url = sqs.get_queue_url(QueueName=names[route.source])["QueueUrl"]
        dead_letter_url = sqs.get_queue_url(QueueName=names[route.dead_letter])["QueueUrl"]
        moved[names[route.source]] = move_messages(sqs, dead_letter_url, source_url)
    return moved


def main(argv: list[str] | None = None) -> int:
    argparse.ArgumentParser(prog="python -m infra.local.redrive", description=__doc__.splitlines()[0]).parse_args(argv)
    from infra.local import environment, statefile

    def move_back() -> int:
        import boto3

        sqs = boto3.session.Session(region_name=environment.REGION).client("sqs")
        for queue, count in redrive(sqs, environment.STAGE, environment.REGION).items():
            print(f"{queue}: {count} message{'s' if count != 1 else ''} moved back from its dead-letter queue")
        return 0

    return statefile.against_running_stack(move_back)


if __name__ == "__main__":
    sys.exit(main())
