"""`make package`: what it writes lints, and means what production needs once deployed.

`chalice package` downloads Lambda wheels, which is slow: the stage is packaged once per test run
(tests/infra/conftest.py) and every test reads that output. Templates are evaluated offline
(infra.cfn.StackResolver) for the stage in an example account, with the infra stack's exports computed from
infra/template.yaml.
"""

from __future__ import annotations

import copy
import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from infra import cfn, package
from infra.local.environment import REGION
from infra.local.provision import LOCAL_ACCOUNT_ID, resource_names
from tests.support.packaging import STAGE

ROOT = Path(__file__).resolve().parents[2]
CONFIG = json.loads((ROOT / ".chalice" / "config.json").read_text())

#: Stack parameters as an operator would pass them (docs/deploy.md).
EXAMPLE_PARAMETERS = {
    "Stage": STAGE,
    "AlarmTopicArn": f"arn:aws:sns:{REGION}:{LOCAL_ACCOUNT_ID}:dossier-alarms",
    "PublicBaseUrl": "https://dossier.example.com",
    "StaffOrigin": "https://staff.example.com",
    "MailSender": "no-reply@example.com",
    "JwtIssuer": f"https://cognito-idp.{REGION}.amazonaws.com/{REGION}_AbCdEf123",
    "JwtAudience": "4tq2examplec1ient1d",
    "JwksUrl": f"https://cognito-idp.{REGION}.amazonaws.com/{REGION}_AbCdEf123/.well-known/jwks.json",
    "OidcDomain": f"https://dossier-{STAGE}-{LOCAL_ACCOUNT_ID}.auth.{REGION}.amazoncognito.com",
}


@pytest.fixture(scope="session")
def packaged(packaged_stage: Path) -> dict[str, Any]:
    return {"dir": packaged_stage, "manifest": json.loads((packaged_stage / "manifest.json").read_text()),
            "template": json.loads((packaged_stage / "app" / "sam.json").read_text())}


@pytest.fixture(scope="session")
def template(packaged: dict[str, Any]) -> dict[str, Any]:
    return packaged["template"]


def infra_exports(stage: str) -> dict[str, str]:
    """What the dossier-<stage>-infra stack exports, in the example account."""
    infra = cfn.load(cfn.INFRA_TEMPLATE)
    resolver = cfn.StackResolver(infra, {"Stage": stage}, region=REGION)
    for logical, name in resource_names(stage, REGION).items():
        kind = infra["Resources"][logical]["Type"]
        if kind == "AWS::SQS::Queue":
            url = f"https://sqs.{REGION}.amazonaws.com/{LOCAL_ACCOUNT_ID}/{name}"
            resolver.physical[logical] = {"Ref": url, "Arn": f"arn:aws:sqs:{REGION}:{LOCAL_ACCOUNT_ID}:{name}"}
        elif kind == "AWS::S3::Bucket":
            resolver.physical[logical] = {"Ref": name, "Arn": f"arn:aws:s3:::{name}"}
        elif kind == "AWS::DynamoDB::Table":
            arn = f"arn:aws:dynamodb:{REGION}:{LOCAL_ACCOUNT_ID}:table/{name}"
            resolver.physical[logical] = {"Ref": name, "Arn": arn, "StreamArn": f"{arn}/stream/2026-01-01T00:00:00.000"}
    return {resolver.resolve(spec["Export"]["Name"]): resolver.resolve(spec["Value"])
            for spec in infra["Outputs"].values() if "Export" in spec}


def app_resolver(template: dict[str, Any]) -> cfn.StackResolver:
    resolver = cfn.StackResolver(template, dict(EXAMPLE_PARAMETERS), region=REGION, exports=infra_exports(STAGE))
    for logical, spec in template["Resources"].items():
        if spec["Type"] == "AWS::Serverless::Function":
            name = f"dossier-{STAGE}-{logical}-A1b2C3d4"
            arn = f"arn:aws:lambda:{REGION}:{LOCAL_ACCOUNT_ID}:function:{name}"
            resolver.physical[logical] = {"Ref": name, "Arn": arn}
        elif spec["Type"] == "AWS::Serverless::Api":
            resolver.physical[logical] = {"Ref": "abc123defg", "RootResourceId": "root"}
    return resolver


def functions(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {k: v for k, v in template["Resources"].items() if v["Type"] == "AWS::Serverless::Function"}


def swagger(template: dict[str, Any]) -> dict[str, Any]:
    return template["Resources"]["RestAPI"]["Properties"]["DefinitionBody"]


# --- lint ----------------------------------------------------------------------------------------------


def test_cfn_lint_passes_on_every_template_in_dist_and_infra(packaged: dict[str, Any]) -> None:
    stage_dir = packaged["dir"]
    written = sorted(p for p in stage_dir.rglob("*") if p.suffix in (".json", ".yaml") and p.name != "manifest.json")
    listed = sorted(stage_dir / stack["template"] for stack in packaged["manifest"]["stacks"])
    assert written == listed, "every template in dist/ is a stack of the manifest"
    # infra/app-merge.yaml is a fragment, not a template: it is linted as part of app/sam.json.
    templates = [*listed, cfn.INFRA_TEMPLATE, cfn.IDENTITY_TEMPLATE]
    cfn_lint = Path(sys.executable).parent / "cfn-lint"
    result = subprocess.run([str(cfn_lint), *map(str, templates)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_manifest_lists_the_stacks_in_deployment_order(packaged: dict[str, Any]) -> None:
    names = [stack["name"] for stack in packaged["manifest"]["stacks"]]
    assert names == [f"dossier-{STAGE}-infra", f"dossier-{STAGE}-identity", f"dossier-{STAGE}"]
    assert (packaged["dir"] / "app" / "deployment.zip").stat().st_size > 0


# --- settings: the environment every function gets -------------------------------------------------------


def test_the_packaged_environment_and_the_settings_model_agree(packaged: dict[str, Any],
                                                               template: dict[str, Any]) -> None:
    from chalicelib.settings import Settings

    names = Settings.environment_names()
    assert set(package.SETTINGS_LEFT_UNSET) <= names, "SETTINGS_LEFT_UNSET names settings that do not exist"
    assert functions(template)
    for logical, spec in functions(template).items():
        packaged_names = {n for n in spec["Properties"]["Environment"]["Variables"] if n.startswith("DOSSIER_")}
        assert packaged_names <= names, (logical, packaged_names - names)
        unaccounted = names - packaged_names - set(package.SETTINGS_LEFT_UNSET)
        assert not unaccounted, f"{logical}: wire {sorted(unaccounted)} or list them in SETTINGS_LEFT_UNSET"
        assert not packaged_names & set(package.SETTINGS_LEFT_UNSET), logical


def test_every_function_reads_valid_production_settings(template: dict[str, Any]) -> None:
    from chalicelib.settings import Settings

    resolver = app_resolver(template)
    for spec in functions(template).values():
        environment = resolver.resolve(spec["Properties"]["Environment"]["Variables"])
        settings = Settings.from_environ({**environment, "AWS_REGION": REGION})
        assert settings.stage == STAGE
        assert settings.auth_mode == "jwks", "deployed stages verify tokens against the identity provider"
        assert (settings.jwt_issuer, settings.jwt_audience, settings.jwks_url) == (
            EXAMPLE_PARAMETERS["JwtIssuer"], EXAMPLE_PARAMETERS["JwtAudience"], EXAMPLE_PARAMETERS["JwksUrl"])
        assert settings.table_name == f"dossier-{STAGE}"
        assert settings.uploads_bucket == f"dossier-{STAGE}-uploads-{LOCAL_ACCOUNT_ID}"
        assert settings.exports_bucket == f"dossier-{STAGE}-exports-{LOCAL_ACCOUNT_ID}"
        assert settings.jobs_queue_url == f"https://sqs.{REGION}.amazonaws.com/{LOCAL_ACCOUNT_ID}/dossier-{STAGE}-jobs"
        assert settings.public_base_url == EXAMPLE_PARAMETERS["PublicBaseUrl"]
        assert settings.staff_origin == EXAMPLE_PARAMETERS["StaffOrigin"]
        assert settings.mail_sender == EXAMPLE_PARAMETERS["MailSender"]
        assert settings.oidc_domain == EXAMPLE_PARAMETERS["OidcDomain"], "the console signs in there"


def test_config_names_the_table_the_infra_stack_creates() -> None:
    for stage, stage_config in CONFIG["stages"].items():
        assert stage_config["environment_variables"]["DOSSIER_TABLE_NAME"] == resource_names(stage, REGION)[
            "DossierTable"], stage


def test_no_secret_is_in_the_config_or_the_template(packaged: dict[str, Any]) -> None:
    from chalicelib.settings import LOCAL_DEVELOPMENT_KEY

    texts = [(packaged["dir"] / "app" / "sam.json").read_text(), (ROOT / ".chalice" / "config.json").read_text()]
    for text in texts:
        assert "DOSSIER_JWT_SECRET" not in text
        assert LOCAL_DEVELOPMENT_KEY not in text
    for stage_config in CONFIG["stages"].values():
        assert stage_config["environment_variables"]["DOSSIER_AUTH_MODE"] == "jwks"


def test_the_template_deploys_only_as_its_own_stage(template: dict[str, Any]) -> None:
    stage = template["Parameters"]["Stage"]
    assert (stage["Default"], stage["AllowedValues"]) == (STAGE, [STAGE])
    assert "dossier-dev" not in json.dumps(template), "the prod template names a dev resource"


# --- event sources -------------------------------------------------------------------------------------


def test_sqs_event_sources_read_the_stages_queue_and_report_partial_failures(template: dict[str, Any]) -> None:
    shape = package.app_shape(package.load_app())
    assert shape.sqs_sources, "app.py consumes at least the events queue"
    infra = cfn.load(cfn.INFRA_TEMPLATE)
    resolver = app_resolver(template)
    for source in shape.sqs_sources:
        function = template["Resources"][source.function]["Properties"]
        event = function["Events"][source.event]
        assert event["Type"] == "SQS"
        properties = resolver.resolve(event["Properties"])
        queue = package.queue_for(infra, source.queue_name)
        queue_name = queue.name_pattern.replace("${Stage}", STAGE)
        assert properties["Queue"] == f"arn:aws:sqs:{REGION}:{LOCAL_ACCOUNT_ID}:{queue_name}"
        assert properties["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
        assert properties["BatchSize"] == source.batch_size <= 10
        assert 1 <= properties["MaximumBatchingWindowInSeconds"] <= 5
        assert queue.visibility_timeout >= package.VISIBILITY_TIMEOUT_FACTOR * function["Timeout"]


def test_a_function_timeout_longer_than_its_queue_allows_stops_packaging() -> None:
    config = copy.deepcopy(CONFIG)
    infra = cfn.load(cfn.INFRA_TEMPLATE)
    app = package.load_app()
    package.check_timeouts(STAGE, app, config, infra)  # as configured: fits
    visibility = package.queue_for(infra, "dossier-dev-events").visibility_timeout
    config["lambda_functions"]["handle_upload_events"]["lambda_timeout"] = visibility // 6 + 1
    with pytest.raises(package.PackagingError, match="VisibilityTimeout"):
        package.check_timeouts(STAGE, app, config, infra)


def test_a_queue_the_infra_stack_does_not_define_stops_packaging() -> None:
    infra = cfn.load(cfn.INFRA_TEMPLATE)
    assert package.queue_for(infra, "dossier-dev-events").logical == "EventsQueue"
    assert package.queue_for(infra, "dossier-prod-events-dlq").logical == "EventsDeadLetterQueue"
    with pytest.raises(package.PackagingError, match="matches 0 queues"):
        package.queue_for(infra, "dossier-dev-invoices")


def test_functions_added_later_are_wired_by_name() -> None:
    from chalice import Chalice

    later = Chalice(app_name="dossier")

    @later.on_sqs_message(queue="dossier-dev-events", batch_size=5, maximum_batching_window_in_seconds=3,
                          name="handle_more_events")
    def handle_more_events(event: Any) -> None: ...

    @later.schedule("rate(1 hour)", name="reconcile")
    def reconcile(event: Any) -> None: ...

    merge = package.merge_template(STAGE, later, CONFIG, cfn.load(cfn.INFRA_TEMPLATE))
    resources = merge["Resources"]
    assert "RestAPI" not in resources and "Api5xxAlarm" not in resources, "no routes, no API"
    for logical in ("HandleMoreEvents", "Reconcile"):
        assert "DOSSIER_UPLOADS_BUCKET" in resources[logical]["Properties"]["Environment"]["Variables"]
        assert f"{logical}ErrorsAlarm" in resources and f"{logical}ThrottlesAlarm" in resources
        assert resources[f"{logical}LogGroup"]["Properties"]["LogGroupName"] == {
            "Fn::Sub": f"/aws/lambda/${{{logical}}}"}
    event = resources["HandleMoreEvents"]["Properties"]["Events"]["HandleMoreEventsSqsEventSource"]["Properties"]
    assert (event["BatchSize"], event["MaximumBatchingWindowInSeconds"]) == (5, 3)
    assert "Events" not in resources["Reconcile"]["Properties"]


def test_a_merge_that_names_something_chalice_did_not_generate_stops_packaging(template: dict[str, Any]) -> None:
    merge = {"Resources": {"HandleTypoEvents": {"Properties": {"Environment": {"Variables": {}}}}}}
    with pytest.raises(package.PackagingError, match="HandleTypoEvents"):
        package.check_merged(template, merge)
    package.check_merged(template, {"Resources": {"APIHandler": {"Properties": {}}}})


# --- the API's edges -----------------------------------------------------------------------------------


def _template_body(response: dict[str, Any], request_id: str) -> Any:
    return json.loads(response["responseTemplates"]["application/json"].replace("$context.requestId", request_id))


def test_api_gateway_errors_answer_in_the_contract_shape(template: dict[str, Any]) -> None:
    from chalicelib.api.errors import GATEWAY_ERRORS
    from infra.local.gateway import _contract_response

    responses = swagger(template)["x-amazon-apigateway-gateway-responses"]
    expected_status = {"MISSING_AUTHENTICATION_TOKEN": 404, "UNAUTHORIZED": 401, "ACCESS_DENIED": 403,
                       "THROTTLED": 429, "DEFAULT_4XX": None, "DEFAULT_5XX": None}
    for response_type, status in expected_status.items():
        assert responses[response_type].get("statusCode") == status, response_type
    resolver = app_resolver(template)
    for response_type, response in responses.items():
        body = _template_body(response, "req-1")
        status = response.get("statusCode") or package.GATEWAY_RESPONSE_FALLBACK_STATUS[response_type]
        assert set(body) == {"error"} and body["error"]["details"] == [] and body["error"]["request_id"] == "req-1"
        if status in GATEWAY_ERRORS:
            assert (body["error"]["code"], body["error"]["message"]) == GATEWAY_ERRORS[status]
            # What the local stack answers for the same error (infra/local/gateway.py), byte for byte.
            assert body == json.loads(_contract_response(status, request_id="req-1")["body"])
        headers = resolver.resolve(response["responseParameters"])
        assert headers["gatewayresponse.header.Access-Control-Allow-Origin"] == "'https://staff.example.com'"
        assert headers["gatewayresponse.header.Strict-Transport-Security"].startswith("'max-age=")
    assert re.fullmatch(r"[a-z_]+", _template_body(responses["DEFAULT_4XX"], "x")["error"]["code"])


def test_gateway_error_texts_are_safe_in_a_mapping_template() -> None:
    from chalicelib.api.errors import GATEWAY_ERRORS

    for code, message in GATEWAY_ERRORS.values():
        # `$` and `#` start VTL references and directives in API Gateway templates.
        assert not set("$#\\") & set(code + message), (code, message)


def test_staff_routes_answer_the_preflight_of_the_staff_origin_only(template: dict[str, Any]) -> None:
    resolver = app_resolver(template)
    paths = swagger(template)["paths"]
    staff = [p for p, methods in paths.items() if any(m.get("security") for m in methods.values())]
    assert "/customers/{id}" in staff
    for path, methods in paths.items():
        if path not in staff:
            assert "options" not in methods, f"{path} is not a staff route"
            continue
        preflight = methods["options"]
        assert "security" not in preflight, "browsers send preflights without credentials"
        integration = resolver.resolve(preflight["x-amazon-apigateway-integration"])
        assert integration["type"] == "mock"
        headers = integration["responses"]["default"]["responseParameters"]
        assert headers["method.response.header.Access-Control-Allow-Origin"] == "'https://staff.example.com'"
        allowed = set(headers["method.response.header.Access-Control-Allow-Methods"].strip("'").split(","))
        assert allowed == {m.upper() for m in methods}, path
        assert "Authorization" in headers["method.response.header.Access-Control-Allow-Headers"]


def test_the_api_stage_is_throttled(template: dict[str, Any]) -> None:
    api = template["Resources"]["RestAPI"]["Properties"]
    (settings,) = api["MethodSettings"]
    assert (settings["ResourcePath"], settings["HttpMethod"]) == ("/*", "*")
    resolver = app_resolver(template)
    assert resolver.resolve(settings["ThrottlingRateLimit"]) == "50"
    assert resolver.resolve(settings["ThrottlingBurstLimit"]) == "100"


# --- operations ----------------------------------------------------------------------------------------


def test_alarms_watch_every_function_the_api_and_every_dead_letter_queue(template: dict[str, Any]) -> None:
    resolver = app_resolver(template)
    alarms = {k: v["Properties"] for k, v in template["Resources"].items() if v["Type"] == "AWS::CloudWatch::Alarm"}
    watched = {(a["Namespace"], a["MetricName"], json.dumps(resolver.resolve(a["Dimensions"]), sort_keys=True))
               for a in alarms.values()}
    for logical in functions(template):
        name = resolver.resolve({"Ref": logical})
        for metric in ("Errors", "Throttles"):
            assert ("AWS/Lambda", metric, json.dumps([{"Name": "FunctionName", "Value": name}])) in watched
    api = template["Resources"]["RestAPI"]["Properties"]
    api_dimensions = [{"Name": "ApiName", "Value": resolver.resolve(api["Name"])},
                      {"Name": "Stage", "Value": api["StageName"]}]
    assert ("AWS/ApiGateway", "5XXError", json.dumps(api_dimensions, sort_keys=True)) in watched
    dead_letter_queues = package.dead_letter_queues(cfn.load(cfn.INFRA_TEMPLATE))
    assert {q.logical for q in dead_letter_queues} >= {"EventsDeadLetterQueue"}
    for queue in dead_letter_queues:
        dimensions = [{"Name": "QueueName", "Value": queue.name_pattern.replace("${Stage}", STAGE)}]
        assert ("AWS/SQS", "ApproximateNumberOfMessagesVisible", json.dumps(dimensions, sort_keys=True)) in watched
    for name, alarm in alarms.items():
        assert alarm["AlarmActions"] == [{"Ref": "AlarmTopicArn"}], name
        assert (alarm["ComparisonOperator"], alarm["Threshold"]) == ("GreaterThanThreshold", 0), name


def test_alarm_names_read_as_an_operator_says_them(template: dict[str, Any]) -> None:
    resolver = app_resolver(template)
    names = {logical: resolver.resolve(spec["Properties"]["AlarmName"])
             for logical, spec in template["Resources"].items() if spec["Type"] == "AWS::CloudWatch::Alarm"}
    assert {names[k] for k in ("APIHandlerErrorsAlarm", "HandleUploadEventsErrorsAlarm", "HandleJobsThrottlesAlarm",
                               "StaffAuthorizerErrorsAlarm", "Api5xxAlarm", "EventsDeadLetterQueueAlarm")} == {
        f"dossier-{STAGE}-api-handler-errors", f"dossier-{STAGE}-upload-events-errors",
        f"dossier-{STAGE}-jobs-throttles", f"dossier-{STAGE}-staff-authorizer-errors", f"dossier-{STAGE}-api-5xx",
        f"dossier-{STAGE}-events-dlq-not-empty"}
    for name in names.values():
        # Words, not letters: no `a-p-i`, no run-together `eventsdeadletterqueue`.
        assert re.fullmatch(rf"dossier-{STAGE}(-[a-z0-9]{{2,}}){{2,}}", name), name
        assert "deadletter" not in name, name
    assert len(set(names.values())) == len(names), "alarm names are unique in an account and region"


def test_two_functions_that_would_share_an_alarm_name_stop_packaging() -> None:
    from chalice import Chalice

    clash = Chalice(app_name="dossier")

    @clash.schedule("rate(1 hour)", name="jobs")
    def jobs(event: Any) -> None: ...

    @clash.schedule("rate(1 hour)", name="handle_jobs")
    def handle_jobs(event: Any) -> None: ...

    with pytest.raises(package.PackagingError, match="dossier-\\$\\{Stage\\}-jobs-errors"):
        package.merge_template(STAGE, clash, CONFIG, cfn.load(cfn.INFRA_TEMPLATE))


def test_every_function_keeps_its_logs_for_the_stages_retention(template: dict[str, Any]) -> None:
    groups = {v["Properties"]["LogGroupName"]["Fn::Sub"]: v["Properties"]["RetentionInDays"]
              for v in template["Resources"].values() if v["Type"] == "AWS::Logs::LogGroup"}
    for logical in functions(template):
        assert groups.get(f"/aws/lambda/${{{logical}}}") == CONFIG["stages"][STAGE]["log_retention_in_days"], logical


def test_every_function_role_carries_its_policy_file(template: dict[str, Any]) -> None:
    stage_policy = json.loads((ROOT / ".chalice" / f"policy-{STAGE}.json").read_text())
    authorizer_policy = json.loads((ROOT / ".chalice" / "policy-authorizer.json").read_text())
    for logical, spec in functions(template).items():
        role = template["Resources"][spec["Properties"]["Role"]["Fn::GetAtt"][0]]["Properties"]
        assert role.get("ManagedPolicyArns") is None, logical
        (policy,) = role["Policies"]
        expected = authorizer_policy if logical == "StaffAuthorizer" else stage_policy
        assert policy["PolicyDocument"] == expected, logical


def test_the_deployment_package_holds_every_pinned_requirement(packaged: dict[str, Any]) -> None:
    assert packaged["manifest"]["missing_requirements"] == []


def test_api_gateway_caches_the_authorizers_answer_at_most_a_minute(template: dict[str, Any]) -> None:
    authorizers = [spec["x-amazon-apigateway-authorizer"] for spec in swagger(template)["securityDefinitions"].values()]
    assert authorizers and all(0 < a["authorizerResultTtlInSeconds"] <= 60 for a in authorizers)


def test_mail_feedback_reaches_its_handler_and_mail_names_the_configuration_set(template: dict[str, Any]) -> None:
    resolver = app_resolver(template)
    function = functions(template)["HandleMailFeedback"]
    environment = resolver.resolve(function["Properties"]["Environment"]["Variables"])
    assert environment["DOSSIER_MAIL_CONFIGURATION_SET"] == f"dossier-{STAGE}"
    sources = [event["Properties"] for event in function["Properties"]["Events"].values() if event["Type"] == "SQS"]
    assert [resolver.resolve(s["Queue"]) for s in sources] == [
        f"arn:aws:sqs:{REGION}:{LOCAL_ACCOUNT_ID}:dossier-{STAGE}-mail-feedback"]
