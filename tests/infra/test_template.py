"""infra/template.yaml: it lints, and the local stack provisions exactly what it describes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from infra.local import provision as p

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def template() -> dict:
    return p.load_template()


def _resolved(template: dict, logical: str) -> dict:
    resolver = p.Resolver(template, {"Stage": "local", "PortalOrigin": "*"}, region=os.environ["AWS_REGION"])
    # GetAtt of queues resolves to the ARNs moto gives them (same account and region as here).
    for name, spec in template["Resources"].items():
        if spec["Type"] == "AWS::SQS::Queue":
            queue_name = resolver.resolve(spec["Properties"]["QueueName"])
            resolver.physical[name] = {
                "Arn": f"arn:aws:sqs:{os.environ['AWS_REGION']}:{p.LOCAL_ACCOUNT_ID}:{queue_name}",
                "Ref": queue_name,
            }
    return resolver.properties(logical)


def test_cfn_lint_passes() -> None:
    cfn_lint = Path(sys.executable).parent / "cfn-lint"
    result = subprocess.run([str(cfn_lint), str(p.TEMPLATE_PATH)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_template_has_what_production_needs(template: dict) -> None:
    resources = template["Resources"]
    table = resources["DossierTable"]["Properties"]
    assert table["BillingMode"] == "PAY_PER_REQUEST"
    assert table["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"] is True
    assert table["TimeToLiveSpecification"]["Enabled"] is True
    for bucket in ("UploadsBucket", "ExportsBucket"):
        props = resources[bucket]["Properties"]
        assert all(props["PublicAccessBlockConfiguration"].values())
        assert props["BucketEncryption"]
    assert resources["UploadsBucket"]["Properties"]["VersioningConfiguration"] == {"Status": "Enabled"}
    expiry = [r for r in resources["ExportsBucket"]["Properties"]["LifecycleConfiguration"]["Rules"]
              if "ExpirationInDays" in r]
    assert expiry and expiry[0]["ExpirationInDays"] == 30
    events = resources["EventsQueue"]["Properties"]
    assert events["RedrivePolicy"]["maxReceiveCount"] >= 5
    config = json.loads((ROOT / ".chalice" / "config.json").read_text())
    handler_timeout = config["lambda_functions"]["handle_upload_events"]["lambda_timeout"]
    assert events["VisibilityTimeout"] >= 6 * handler_timeout
    jobs = resources["JobsQueue"]["Properties"]
    assert jobs["RedrivePolicy"]["maxReceiveCount"] >= 5
    assert jobs["VisibilityTimeout"] >= 6 * config["lambda_functions"]["handle_jobs"]["lambda_timeout"]


def test_provisioned_table_matches_the_template(aws, template: dict) -> None:
    import boto3

    props = _resolved(template, "DossierTable")
    client = boto3.client("dynamodb")
    table = client.describe_table(TableName=props["TableName"])["Table"]
    assert table["KeySchema"] == props["KeySchema"]
    assert sorted(table["AttributeDefinitions"], key=lambda a: a["AttributeName"]) == sorted(
        props["AttributeDefinitions"], key=lambda a: a["AttributeName"])
    indexes = {i["IndexName"]: (i["KeySchema"], i["Projection"]) for i in table["GlobalSecondaryIndexes"]}
    assert indexes == {i["IndexName"]: (i["KeySchema"], i["Projection"]) for i in props["GlobalSecondaryIndexes"]}
    assert table["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
    ttl = client.describe_time_to_live(TableName=props["TableName"])["TimeToLiveDescription"]
    assert ttl == {"TimeToLiveStatus": "ENABLED", "AttributeName": props["TimeToLiveSpecification"]["AttributeName"]}
    backups = client.describe_continuous_backups(TableName=props["TableName"])["ContinuousBackupsDescription"]
    assert backups["PointInTimeRecoveryDescription"]["PointInTimeRecoveryStatus"] == "ENABLED"


@pytest.mark.parametrize("logical", ["UploadsBucket", "ExportsBucket"])
def test_provisioned_buckets_match_the_template(aws, template: dict, logical: str) -> None:
    import boto3

    props = _resolved(template, logical)
    s3 = boto3.client("s3")
    name = props["BucketName"]
    assert s3.get_public_access_block(Bucket=name)["PublicAccessBlockConfiguration"] == props[
        "PublicAccessBlockConfiguration"]
    rules = s3.get_bucket_encryption(Bucket=name)["ServerSideEncryptionConfiguration"]["Rules"]
    assert [r["ApplyServerSideEncryptionByDefault"] for r in rules] == [
        r["ServerSideEncryptionByDefault"] for r in props["BucketEncryption"]["ServerSideEncryptionConfiguration"]]
    lifecycle = s3.get_bucket_lifecycle_configuration(Bucket=name)["Rules"]
    assert [(r["ID"], r.get("Expiration"), r.get("AbortIncompleteMultipartUpload"),
             r.get("NoncurrentVersionExpiration")) for r in lifecycle] == [
        (r["ID"], r.get("Expiration"), r.get("AbortIncompleteMultipartUpload"), r.get("NoncurrentVersionExpiration"))
        for r in p.lifecycle_rules(props)]
    versioning = s3.get_bucket_versioning(Bucket=name).get("Status")
    assert versioning == props.get("VersioningConfiguration", {}).get("Status")
    if "CorsConfiguration" in props:
        cors = s3.get_bucket_cors(Bucket=name)["CORSRules"]
        assert cors == p.cors_rules(props)
        assert "POST" in cors[0]["AllowedMethods"]
    if "NotificationConfiguration" in props:
        configured = s3.get_bucket_notification_configuration(Bucket=name)["QueueConfigurations"]
        got = sorted((c["QueueArn"], tuple(c["Events"]), json.dumps(c["Filter"], sort_keys=True)) for c in configured)
        want = sorted((c["QueueArn"], tuple(c["Events"]), json.dumps(c["Filter"], sort_keys=True))
                      for c in p.queue_notifications(props))
        assert got == want
        assert {e for c in configured for e in c["Events"]} == {"s3:ObjectCreated:*", "s3:ObjectRemoved:*"}


@pytest.mark.parametrize("logical", ["EventsQueue", "EventsDeadLetterQueue", "JobsQueue", "JobsDeadLetterQueue"])
def test_provisioned_queues_match_the_template(aws, template: dict, logical: str) -> None:
    import boto3

    props = _resolved(template, logical)
    sqs = boto3.client("sqs")
    url = sqs.get_queue_url(QueueName=props["QueueName"])["QueueUrl"]
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    for name, value in p.queue_attributes(props).items():
        if name == "RedrivePolicy":
            assert json.loads(attributes[name]) == json.loads(value)
        else:
            assert attributes[name] == value, name


def test_the_event_queue_policy_admits_only_the_uploads_bucket(aws, template: dict) -> None:
    import boto3

    props = _resolved(template, "EventsQueue")
    sqs = boto3.client("sqs")
    url = sqs.get_queue_url(QueueName=props["QueueName"])["QueueUrl"]
    policy = json.loads(sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["Policy"])["Attributes"]["Policy"])
    statement = policy["Statement"][0]
    assert statement["Principal"] == {"Service": "s3.amazonaws.com"}
    assert statement["Action"] == "sqs:SendMessage"
    bucket = _resolved(template, "UploadsBucket")["BucketName"]
    assert statement["Condition"]["ArnLike"]["aws:SourceArn"] == f"arn:aws:s3:::{bucket}"


def test_the_local_environment_names_what_the_template_provisions(aws, template: dict) -> None:
    from infra.local.environment import local_environment

    environment = local_environment(moto=5000, api=8000)
    assert environment["DOSSIER_TABLE_NAME"] == aws.outputs["TableName"]
    assert environment["DOSSIER_UPLOADS_BUCKET"] == aws.outputs["UploadsBucketName"]
    assert environment["DOSSIER_EXPORTS_BUCKET"] == aws.outputs["ExportsBucketName"]
    assert environment["DOSSIER_JOBS_QUEUE_URL"].rsplit("/", 1)[1] == aws.outputs["JobsQueueUrl"].rsplit("/", 1)[1]


def test_unsupported_intrinsics_fail_loudly(template: dict) -> None:
    resolver = p.Resolver(template, {"Stage": "x"}, region="eu-central-1")
    with pytest.raises(ValueError, match="Fn::ImportValue"):
        resolver.resolve({"Fn::ImportValue": "x"})


def test_import_app_needs_no_environment_and_makes_no_client() -> None:
    code = (
        "import app, sys; from chalicelib import aws; "
        "assert not aws._clients, aws._clients; "
        "assert 'boto3' not in sys.modules, 'boto3 imported at import time'; print('ok')"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env={"PATH": os.environ["PATH"]},
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"


def test_both_buckets_refuse_requests_without_tls(template: dict) -> None:
    policies = {spec["Properties"]["Bucket"]["Ref"]: spec["Properties"]["PolicyDocument"]
                for spec in template["Resources"].values() if spec["Type"] == "AWS::S3::BucketPolicy"}
    assert set(policies) == {"UploadsBucket", "ExportsBucket"}
    for bucket, document in policies.items():
        denials = [s for s in document["Statement"] if s["Effect"] == "Deny"
                   and s.get("Condition", {}).get("Bool", {}).get("aws:SecureTransport") == "false"]
        assert denials and denials[0]["Principal"] == "*" and denials[0]["Action"] == "s3:*", bucket
        resources = json.dumps(denials[0]["Resource"])
        assert f"{bucket}.Arn" in resources and "/*" in resources, bucket


def test_the_portal_origin_has_no_default_and_the_local_stack_names_it(template: dict) -> None:
    parameter = template["Parameters"]["PortalOrigin"]
    assert "Default" not in parameter
    stack_source = (ROOT / "infra" / "local" / "stack.py").read_text()
    assert '"PortalOrigin": "*"' in stack_source
