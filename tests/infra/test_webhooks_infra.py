"""The infrastructure of webhooks: the table's stream, the deliveries queue and its DLQ, the packaged stream
event source, in the template, the local stack and `make package` output alike."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import boto3

from chalicelib.webhooks import delivery
from infra import cfn
from infra.local.environment import REGION
from infra.local.provision import LOCAL_ACCOUNT_ID
from tests.infra.test_package import app_resolver
from tests.support.packaging import STAGE


def test_the_table_streams_both_images_and_the_deliveries_queue_outlasts_every_retry() -> None:
    infra = cfn.load(cfn.INFRA_TEMPLATE)
    table = infra["Resources"]["DossierTable"]["Properties"]
    assert table["StreamSpecification"] == {"StreamViewType": "NEW_AND_OLD_IMAGES"}
    queue = infra["Resources"]["WebhooksQueue"]["Properties"]
    assert queue["RedrivePolicy"]["maxReceiveCount"] == delivery.MAX_ATTEMPTS
    assert queue["RedrivePolicy"]["deadLetterTargetArn"] == {"Fn::GetAtt": ["WebhooksDeadLetterQueue", "Arn"]}
    # A message lives through all its back-offs (plus a visibility timeout per attempt) before SQS could drop it.
    assert queue["MessageRetentionPeriod"] > sum(delivery.BACKOFF_SECONDS) + delivery.MAX_ATTEMPTS * queue[
        "VisibilityTimeout"]


def test_the_local_table_has_the_stream_the_template_asks_for(aws: Any) -> None:
    description = boto3.client("dynamodb").describe_table(TableName=aws.outputs["TableName"])["Table"]
    assert description["StreamSpecification"] == {"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"}
    attributes = boto3.client("sqs").get_queue_attributes(QueueUrl=aws.outputs["WebhooksQueueUrl"],
                                                          AttributeNames=["RedrivePolicy"])["Attributes"]
    assert json.loads(attributes["RedrivePolicy"])["maxReceiveCount"] == delivery.MAX_ATTEMPTS


def test_the_packaged_stream_handler_reads_its_stages_table_stream(packaged_stage: Path) -> None:
    template = json.loads((packaged_stage / "app" / "sam.json").read_text())
    event, = template["Resources"]["AnnounceChanges"]["Properties"]["Events"].values()
    assert event["Type"] == "DynamoDB"
    properties = app_resolver(template).resolve(event["Properties"])
    table_arn = f"arn:aws:dynamodb:{REGION}:{LOCAL_ACCOUNT_ID}:table/dossier-{STAGE}"
    assert properties["Stream"].startswith(table_arn + "/stream/")
    assert properties["StartingPosition"] == "TRIM_HORIZON"
    assert properties["BisectBatchOnFunctionError"] is True
    deliver, = template["Resources"]["DeliverWebhooks"]["Properties"]["Events"].values()
    queue = app_resolver(template).resolve(deliver["Properties"])["Queue"]
    assert queue == f"arn:aws:sqs:{REGION}:{LOCAL_ACCOUNT_ID}:dossier-{STAGE}-webhooks"
