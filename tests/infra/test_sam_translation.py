"""What CloudFormation will really create from the application stack: the packaged template (code URIs pointed at
S3, as `aws cloudformation package` writes them) run through aws-sam-translator, the library behind the
AWS::Serverless transform, offline; then cfn-lint over the result, and checks that the functions, event source
mappings, rules and permissions the app needs come out of it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from samtranslator.translator.transform import transform

from infra import package
from tests.support import packaging

BUCKET = "my-artifacts"
PREFIX = f"dossier-{packaging.STAGE}"


class NoManagedPolicies:
    """The transform looks up AWS managed policies only for templates that name them; the app's roles carry
    their own policies, so it must never need to (it would fail here)."""

    def load(self) -> dict[str, str]:
        return {}


@pytest.fixture(scope="module")
def translated(packaged_stage: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    template = packaging.cloudformation_package(packaged_stage / "app" / "sam.json", BUCKET, PREFIX)
    return transform(template, {}, NoManagedPolicies())


def resources_of(template: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    return {k: v["Properties"] for k, v in template["Resources"].items() if v["Type"] == kind}


def test_the_translated_template_is_plain_cloudformation_and_lints(translated: dict[str, Any],
                                                                   tmp_path: Path) -> None:
    assert "Transform" not in translated
    assert not [k for k, v in translated["Resources"].items() if v["Type"].startswith("AWS::Serverless::")]
    path = tmp_path / "translated.json"
    path.write_text(json.dumps(translated, indent=1))
    cfn_lint = Path(sys.executable).parent / "cfn-lint"
    result = subprocess.run([str(cfn_lint), str(path)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_function_runs_the_uploaded_code(translated: dict[str, Any], packaged_stage: Path) -> None:
    code_url = packaging.s3_url(BUCKET, PREFIX, packaged_stage / "app" / "deployment.zip")
    functions = resources_of(translated, "AWS::Lambda::Function")
    assert set(functions) == set(package.app_shape(package.load_app()).functions)
    for logical, function in functions.items():
        assert f"s3://{function['Code']['S3Bucket']}/{function['Code']['S3Key']}" == code_url, logical
        assert function["Runtime"] == "python3.11", logical
        (role,) = function["Role"]["Fn::GetAtt"][:1]
        assert translated["Resources"][role]["Type"] == "AWS::IAM::Role", logical


def test_each_queue_consumer_is_an_event_source_mapping_on_the_stages_queue(translated: dict[str, Any]) -> None:
    shape = package.app_shape(package.load_app())
    mappings = resources_of(translated, "AWS::Lambda::EventSourceMapping")
    assert shape.sqs_sources
    for source in shape.sqs_sources:
        (mapping,) = [m for m in mappings.values() if m["FunctionName"] == {"Ref": source.function}]
        assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
        assert (mapping["BatchSize"], mapping["MaximumBatchingWindowInSeconds"]) == (
            source.batch_size, source.batching_window_seconds)
        imported = mapping["EventSourceArn"]["Fn::Sub"][1]["QueueArn"]["Fn::ImportValue"]["Fn::Sub"]
        assert imported.startswith("dossier-${Stage}-") and imported.endswith("-queue-arn"), imported


def test_each_schedule_is_a_rule_allowed_to_invoke_its_function(translated: dict[str, Any]) -> None:
    rules = resources_of(translated, "AWS::Events::Rule")
    permissions = resources_of(translated, "AWS::Lambda::Permission")
    assert {rule["ScheduleExpression"] for rule in rules.values()} >= {"cron(0 2 * * ? *)"}
    for logical, rule in rules.items():
        (target,) = rule["Targets"]
        function = target["Arn"]["Fn::GetAtt"][0]
        assert translated["Resources"][function]["Type"] == "AWS::Lambda::Function"
        assert any(p["Principal"] == "events.amazonaws.com" and p["SourceArn"] == {"Fn::GetAtt": [logical, "Arn"]}
                   for p in permissions.values()), logical


def test_the_api_stage_is_throttled_and_may_invoke_the_handler_and_the_authorizer(translated: dict[str, Any]) -> None:
    (stage,) = resources_of(translated, "AWS::ApiGateway::Stage").values()
    assert stage["StageName"] == "api"
    assert stage["MethodSettings"] == [{"HttpMethod": "*", "ResourcePath": "/*",
                                        "ThrottlingBurstLimit": {"Ref": "ThrottlingBurstLimit"},
                                        "ThrottlingRateLimit": {"Ref": "ThrottlingRateLimit"}}]
    invoked_by_api_gateway = {json.dumps(p["FunctionName"]) for p in
                              resources_of(translated, "AWS::Lambda::Permission").values()
                              if p["Principal"] == "apigateway.amazonaws.com"}
    assert invoked_by_api_gateway == {json.dumps({"Ref": "APIHandler"}),
                                      json.dumps({"Fn::GetAtt": ["StaffAuthorizer", "Arn"]})}


def test_logs_and_alarms_name_functions_that_exist_after_the_transform(translated: dict[str, Any]) -> None:
    functions = set(resources_of(translated, "AWS::Lambda::Function"))
    for logical, group in resources_of(translated, "AWS::Logs::LogGroup").items():
        assert group["LogGroupName"]["Fn::Sub"].removeprefix("/aws/lambda/${").removesuffix("}") in functions, logical
    alarms = resources_of(translated, "AWS::CloudWatch::Alarm")
    watched = {d["Value"]["Ref"] for a in alarms.values() for d in a["Dimensions"] if d["Name"] == "FunctionName"}
    assert watched == functions
