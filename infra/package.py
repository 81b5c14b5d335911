"""`make package STAGE=<stage>`: every deployable CloudFormation template of one stage, into dist/<stage>/.

    dist/<stage>/infra.yaml          storage and messaging (infra/template.yaml): stack dossier-<stage>-infra
    dist/<stage>/identity.yaml       the staff user pool (infra/identity.yaml): stack dossier-<stage>-identity
    dist/<stage>/app/sam.json        the application: stack dossier-<stage>
    dist/<stage>/app/deployment.zip  the functions' code and dependencies (Lambda wheels)
    dist/<stage>/manifest.json       stacks in deployment order, requirements missing from the zip

The application template is `chalice package --merge-template` output. The merge template is
infra/app-merge.yaml plus what this module derives from app.py and infra/template.yaml, by name, so that
functions added later are covered without editing anything here:
- every function's environment: settings imported from the infra stack's exports or taken from the
  stack's parameters (never a secret: deployed stages verify staff tokens against the IdP's JWKS);
- every SQS event source: the stage's queue (imported), ReportBatchItemFailures, a batching window;
- API Gateway: gateway responses in the contract's error shape (from GATEWAY_ERRORS) and CORS preflight
  for the staff front end's origin;
- alarms: errors and throttles of every function, API 5xx, messages in any dead-letter queue.
Chalice itself expresses log retention (`log_retention_in_days`) and the IAM policies (`iam_policy_file`).

Works offline: `chalice package` needs a region (eu-central-1 unless the environment names one), no account.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from chalice.utils import to_cfn_resource_name

from infra import cfn

ROOT = cfn.INFRA_DIR.parent
CHALICE_CONFIG = ROOT / ".chalice" / "config.json"
DEFAULT_REGION = "eu-central-1"
STAGE_PATTERN = r"[a-z][a-z0-9-]{0,20}"

#: Settings the infra stack provides: environment variable -> the infra output whose export it imports.
INFRA_SETTINGS: dict[str, str] = {
    "DOSSIER_TABLE_NAME": "TableName",
    "DOSSIER_UPLOADS_BUCKET": "UploadsBucketName",
    "DOSSIER_EXPORTS_BUCKET": "ExportsBucketName",
    "DOSSIER_JOBS_QUEUE_URL": "JobsQueueUrl",
    "DOSSIER_MAIL_CONFIGURATION_SET": "MailConfigurationSetName",
    "DOSSIER_WEBHOOKS_QUEUE_URL": "WebhooksQueueUrl",
}

#: Settings taken from the application stack's parameters (infra/app-merge.yaml documents each). The
#: others come from .chalice/config.json (DOSSIER_STAGE, DOSSIER_AUTH_MODE) or stay unset (below).
PARAMETER_SETTINGS: dict[str, str] = {
    "DOSSIER_PUBLIC_BASE_URL": "PublicBaseUrl",
    "DOSSIER_STAFF_ORIGIN": "StaffOrigin",
    "DOSSIER_MAIL_SENDER": "MailSender",
    "DOSSIER_JWT_ISSUER": "JwtIssuer",
    "DOSSIER_JWT_AUDIENCE": "JwtAudience",
    "DOSSIER_JWKS_URL": "JwksUrl",
    "DOSSIER_OIDC_DOMAIN": "OidcDomain",
    "DOSSIER_USER_POOL_ID": "UserPoolId",
}

#: Settings deliberately left unset in deployed functions, and why.
SETTINGS_LEFT_UNSET: dict[str, str] = {
    "DOSSIER_REGION": "read from AWS_REGION, which Lambda sets",
    "DOSSIER_JWT_SECRET": "a secret, never in a template: deployed stages use auth_mode jwks",
    "DOSSIER_TOKEN_TTL_SECONDS": "only for tokens this app issues itself (hs256, local stack)",
    "DOSSIER_UPLOAD_URL_TTL_SECONDS": "the default suits every stage",
    "DOSSIER_AUDIT_RETENTION_DAYS": "the default (two years) suits every stage; set it on the function to change it",
    "DOSSIER_DOWNLOAD_URL_TTL_SECONDS": "the default suits every stage",
    "DOSSIER_MAX_BODY_BYTES": "the default suits every stage",
}

#: Lambda waits up to this long to fill a batch when the app's decorator asks for no window: fewer
#: invocations under load, at most a second later for a single S3 event.
DEFAULT_BATCHING_WINDOW_SECONDS = 1

#: AWS advises a queue visibility timeout of at least six times the consuming function's timeout.
VISIBILITY_TIMEOUT_FACTOR = 6

#: API Gateway's own error responses -> the status the contract answers with (None: keep API Gateway's).
#: A route that does not exist is MISSING_AUTHENTICATION_TOKEN (403) on API Gateway; the contract says 404.
GATEWAY_RESPONSE_STATUS: dict[str, int | None] = {
    "MISSING_AUTHENTICATION_TOKEN": 404,
    "RESOURCE_NOT_FOUND": 404,
    "UNAUTHORIZED": 401,
    "ACCESS_DENIED": 403,
    "THROTTLED": 429,
    "QUOTA_EXCEEDED": 429,
    "REQUEST_TOO_LARGE": 413,
    "UNSUPPORTED_MEDIA_TYPE": 415,
    "INTEGRATION_TIMEOUT": 504,
    "DEFAULT_4XX": None,
    "DEFAULT_5XX": None,
}
#: The status whose contract code a response type without its own status uses.
GATEWAY_RESPONSE_FALLBACK_STATUS = {"DEFAULT_4XX": 400, "DEFAULT_5XX": 500}

CORS_ALLOWED_HEADERS = "Authorization,Content-Type"
CORS_MAX_AGE_SECONDS = 600


class PackagingError(Exception):
    """The app, the config and the infra template do not fit together; nothing deployable was written."""


# --- what the app consists of -------------------------------------------------------------------------


@dataclass(frozen=True)
class SqsEventSource:
    function: str  #: logical id of the consuming function
    event: str  #: logical id of the event under the function's Events
    queue_name: str  #: as app.py names it (the dev stage's name; packaging points it at the stage's queue)
    batch_size: int
    batching_window_seconds: int


@dataclass(frozen=True)
class AppShape:
    functions: dict[str, str]  #: logical id -> Chalice function name
    sqs_sources: list[SqsEventSource]
    staff_paths: dict[str, list[str]]  #: paths behind the staff authorizer -> their methods
    has_api: bool


def app_shape(app: Any) -> AppShape:
    """The Lambda functions and event sources `chalice package` will generate for `app`, by logical id
    (Chalice's own naming: `to_cfn_resource_name` of the function name)."""
    from chalice.app import SQSEventConfig

    functions: dict[str, str] = {}
    if app.routes:
        functions["APIHandler"] = "api_handler"
    for authorizer in app.builtin_auth_handlers:
        functions[to_cfn_resource_name(authorizer.name)] = authorizer.name
    for source in app.event_sources:
        functions[to_cfn_resource_name(source.name)] = source.name
    for function in app.pure_lambda_functions:
        functions[to_cfn_resource_name(function.name)] = function.name

    sqs_sources = []
    for source in app.event_sources:
        if isinstance(source, SQSEventConfig):
            queue_name = source.queue or source.queue_arn.rsplit(":", 1)[-1]
            sqs_sources.append(SqsEventSource(
                function=to_cfn_resource_name(source.name),
                event=to_cfn_resource_name(f"{source.name}-sqs-event-source"),
                queue_name=queue_name,
                batch_size=source.batch_size,
                batching_window_seconds=source.maximum_batching_window_in_seconds or DEFAULT_BATCHING_WINDOW_SECONDS,
            ))

    staff_paths: dict[str, list[str]] = {}
    for path, methods in app.routes.items():
        if any(entry.authorizer is not None for entry in methods.values()) and "OPTIONS" not in methods:
            staff_paths[path] = sorted(methods)
    return AppShape(functions=functions, sqs_sources=sqs_sources, staff_paths=staff_paths, has_api=bool(app.routes))


def load_app() -> Any:
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    import app

    return app.app


# --- the infra stack, as the application stack sees it ------------------------------------------------


@dataclass(frozen=True)
class InfraQueue:
    logical: str
    name_pattern: str  #: QueueName with `${Stage}` in it
    visibility_timeout: int
    arn_export: str | None  #: export name (with `${Stage}`) of its ARN, if exported


def _sub_text(value: Any) -> str:
    return value["Fn::Sub"] if isinstance(value, dict) else str(value)


def _exported_outputs(infra: dict[str, Any]) -> dict[str, tuple[Any, str]]:
    """output name -> (its Value, its export name with `${Stage}`)."""
    return {
        name: (spec["Value"], _sub_text(spec["Export"]["Name"]))
        for name, spec in infra.get("Outputs", {}).items()
        if "Export" in spec
    }


def infra_queues(infra: dict[str, Any]) -> dict[str, InfraQueue]:
    exported = _exported_outputs(infra)
    queues = {}
    for logical, spec in infra["Resources"].items():
        if spec["Type"] != "AWS::SQS::Queue":
            continue
        arn_exports = [export for value, export in exported.values() if value == {"Fn::GetAtt": [logical, "Arn"]}]
        props = spec["Properties"]
        queues[logical] = InfraQueue(
            logical=logical,
            name_pattern=_sub_text(props["QueueName"]),
            visibility_timeout=int(props.get("VisibilityTimeout", 30)),
            arn_export=arn_exports[0] if arn_exports else None,
        )
    return queues


def dead_letter_queues(infra: dict[str, Any]) -> list[InfraQueue]:
    queues = infra_queues(infra)
    targets = []
    for spec in infra["Resources"].values():
        redrive = spec.get("Properties", {}).get("RedrivePolicy") if spec["Type"] == "AWS::SQS::Queue" else None
        if redrive:
            target = redrive["deadLetterTargetArn"]["Fn::GetAtt"][0]
            targets.append(queues[target])
    return sorted(set(targets), key=lambda q: q.logical)


def queue_for(infra: dict[str, Any], queue_name: str) -> InfraQueue:
    """The infra queue whose name, for some stage, is `queue_name` (app.py names the dev stage's queue)."""
    matches = []
    for queue in infra_queues(infra).values():
        pattern = re.escape(queue.name_pattern).replace(re.escape("${Stage}"), STAGE_PATTERN)
        if re.fullmatch(pattern, queue_name):
            matches.append(queue)
    if len(matches) != 1:
        raise PackagingError(
            f"app.py listens on the queue {queue_name!r}, which matches {len(matches)} queues of "
            f"infra/template.yaml (expected exactly one)"
        )
    return matches[0]


# --- the merge template -------------------------------------------------------------------------------


def _import(export_with_stage: str) -> dict[str, Any]:
    return {"Fn::ImportValue": {"Fn::Sub": export_with_stage}}


def function_environment(infra: dict[str, Any]) -> dict[str, Any]:
    """The variables the merge adds to every function."""
    exported = _exported_outputs(infra)
    variables: dict[str, Any] = {}
    for variable, output in INFRA_SETTINGS.items():
        if output not in exported:
            raise PackagingError(f"infra/template.yaml exports no {output} output for {variable}")
        variables[variable] = _import(exported[output][1])
    for variable, parameter in PARAMETER_SETTINGS.items():
        variables[variable] = {"Ref": parameter}
    return variables


def gateway_responses() -> dict[str, Any]:
    """`x-amazon-apigateway-gateway-responses`: API Gateway's own errors in the contract's JSON shape, with
    the same codes and messages the app and the local gateway use (chalicelib.api.errors)."""
    from chalicelib.api.errors import gateway_error_response
    from chalicelib.api.middleware import COMMON_HEADERS

    responses = {}
    for response_type, status in GATEWAY_RESPONSE_STATUS.items():
        body_status = status or GATEWAY_RESPONSE_FALLBACK_STATUS[response_type]
        body = gateway_error_response(body_status, request_id="$context.requestId").body
        response: dict[str, Any] = {
            "responseParameters": {
                "gatewayresponse.header.Access-Control-Allow-Origin": {"Fn::Sub": "'${StaffOrigin}'"},
                "gatewayresponse.header.X-Content-Type-Options": "'nosniff'",
                "gatewayresponse.header.Strict-Transport-Security": f"'{COMMON_HEADERS['Strict-Transport-Security']}'",
            },
            "responseTemplates": {"application/json": json.dumps(body)},
        }
        if status is not None:
            response["statusCode"] = status
        responses[response_type] = response
    return responses


def preflight(methods: list[str]) -> dict[str, Any]:
    """An OPTIONS method answered by API Gateway itself (no Lambda) for the staff front end's origin;
    shaped like the preflight Chalice generates for `cors=True` routes."""
    headers = {
        "Access-Control-Allow-Origin": {"Fn::Sub": "'${StaffOrigin}'"},
        "Access-Control-Allow-Methods": f"'{','.join([*methods, 'OPTIONS'])}'",
        "Access-Control-Allow-Headers": f"'{CORS_ALLOWED_HEADERS}'",
        "Access-Control-Max-Age": f"'{CORS_MAX_AGE_SECONDS}'",
    }
    return {
        "consumes": ["application/json"],
        "produces": ["application/json"],
        "responses": {
            "200": {
                "description": "CORS preflight",
                "schema": {"$ref": "#/definitions/Empty"},
                "headers": {name: {"type": "string"} for name in headers},
            }
        },
        "x-amazon-apigateway-integration": {
            "responses": {
                "default": {
                    "statusCode": "200",
                    "responseParameters": {f"method.response.header.{k}": v for k, v in headers.items()},
                }
            },
            "requestTemplates": {"application/json": '{"statusCode": 200}'},
            "passthroughBehavior": "when_no_match",
            "type": "mock",
            "contentHandling": "CONVERT_TO_TEXT",
        },
    }


def _alarm(name: str, description: str, namespace: str, metric: str, dimensions: dict[str, Any],
           statistic: str = "Sum") -> dict[str, Any]:
    return {
        "Type": "AWS::CloudWatch::Alarm",
        "Properties": {
            "AlarmName": {"Fn::Sub": f"dossier-${{Stage}}-{name}"},
            "AlarmDescription": description,
            "Namespace": namespace,
            "MetricName": metric,
            "Dimensions": [{"Name": k, "Value": v} for k, v in dimensions.items()],
            "Statistic": statistic,
            "Period": 300,
            "EvaluationPeriods": 1,
            "Threshold": 0,
            "ComparisonOperator": "GreaterThanThreshold",
            "TreatMissingData": "notBreaching",
            "AlarmActions": [{"Ref": "AlarmTopicArn"}],
            "OKActions": [{"Ref": "AlarmTopicArn"}],
        },
    }


def alarm_subject(function_name: str) -> str:
    """How an alarm names a function: app.py's name in kebab case, without a leading `handle_` (the errors
    of `handle_upload_events` are `upload-events-errors`)."""
    return function_name.removeprefix("handle_").replace("_", "-")


def dead_letter_queue_subject(queue: InfraQueue) -> str:
    """How an alarm names a dead-letter queue: its name without the `dossier-${Stage}-` every name has."""
    return queue.name_pattern.removeprefix("dossier-${Stage}-")


def alarms(shape: AppShape, infra: dict[str, Any], api_gateway_stage: str) -> dict[str, Any]:
    resources = {}
    for logical, name in shape.functions.items():
        subject = alarm_subject(name)
        resources[f"{logical}ErrorsAlarm"] = _alarm(
            f"{subject}-errors", f"{logical} failed (an unhandled exception or a timeout).",
            "AWS/Lambda", "Errors", {"FunctionName": {"Ref": logical}})
        resources[f"{logical}ThrottlesAlarm"] = _alarm(
            f"{subject}-throttles", f"{logical} was throttled (concurrency limit reached).",
            "AWS/Lambda", "Throttles", {"FunctionName": {"Ref": logical}})
    if shape.has_api:
        resources["Api5xxAlarm"] = _alarm(
            "api-5xx", "The API answered with a 5xx status.", "AWS/ApiGateway", "5XXError",
            {"ApiName": {"Fn::Sub": "dossier-${Stage}"}, "Stage": api_gateway_stage})
    for queue in dead_letter_queues(infra):
        resources[f"{queue.logical}Alarm"] = _alarm(
            f"{dead_letter_queue_subject(queue)}-not-empty",
            "Messages failed repeatedly and were moved to a dead-letter queue: inspect them, fix the cause, "
            "then redrive them.",
            "AWS/SQS", "ApproximateNumberOfMessagesVisible", {"QueueName": {"Fn::Sub": queue.name_pattern}},
            statistic="Maximum")
    names = [spec["Properties"]["AlarmName"]["Fn::Sub"] for spec in resources.values()]
    duplicates = sorted({name for name in names if names.count(name) > 1})
    if duplicates:
        raise PackagingError(f"two alarms would be named {', '.join(duplicates)}: rename a function in app.py")
    return resources


def merge_template(stage: str, app: Any, config: dict[str, Any], infra: dict[str, Any]) -> dict[str, Any]:
    """The template merged into `chalice package`'s output for `stage`."""
    shape = app_shape(app)
    template = cfn.load(cfn.APP_MERGE_TEMPLATE)
    template["Parameters"]["Stage"].update({"Default": stage, "AllowedValues": [stage]})
    resources = template["Resources"]
    if not shape.has_api:
        del resources["RestAPI"]
        del template["Outputs"]["ApiOrigin"]
    variables = function_environment(infra)
    for logical, name in shape.functions.items():
        resources[logical] = {"Properties": {"Environment": {"Variables": dict(variables)}}}
        if chalice_config(config, stage, name).log_retention_in_days:
            # Chalice names the log group after `to_cfn_resource_name(name)`, which for the API handler is
            # ApiHandler, not its function's logical id APIHandler (chalice 1.34): name the group here.
            resources[to_cfn_resource_name(f"{name}-log-group")] = {
                "Properties": {"LogGroupName": {"Fn::Sub": f"/aws/lambda/${{{logical}}}"}}
            }
    for source in shape.sqs_sources:
        queue = queue_for(infra, source.queue_name)
        if queue.arn_export is None:
            raise PackagingError(f"infra/template.yaml does not export the ARN of {queue.logical}")
        resources[source.function]["Properties"]["Events"] = {
            source.event: {
                "Properties": {
                    # Chalice writes {"Fn::Sub": "arn:...:<app.py's queue name>"}, and a merge can only replace
                    # the value under Fn::Sub: a Sub whose one variable is the infra stack's export.
                    "Queue": {"Fn::Sub": ["${QueueArn}", {"QueueArn": _import(queue.arn_export)}]},
                    "BatchSize": source.batch_size,
                    "MaximumBatchingWindowInSeconds": source.batching_window_seconds,
                    # Only the failed messages of a batch return to the queue (and, at last, the DLQ).
                    "FunctionResponseTypes": ["ReportBatchItemFailures"],
                }
            }
        }
    for function, events in stream_sources(app, infra).items():
        resources[function]["Properties"]["Events"] = events
    if shape.has_api:
        body: dict[str, Any] = {"x-amazon-apigateway-gateway-responses": gateway_responses()}
        body["paths"] = {path: {"options": preflight(methods)} for path, methods in shape.staff_paths.items()}
        resources["RestAPI"]["Properties"]["DefinitionBody"] = body
    stage_config = config["stages"][stage]
    resources.update(alarms(shape, infra, stage_config.get("api_gateway_stage", "api")))
    return template


def stream_sources(app: Any, infra: dict[str, Any]) -> dict[str, Any]:
    """function logical id -> its Events: every DynamoDB stream event source reads the stage's table stream
    (app.py names the dev stage's)."""
    from chalice.app import DynamoDBEventConfig

    merged: dict[str, Any] = {}
    for source in app.event_sources:
        if not isinstance(source, DynamoDBEventConfig):
            continue
        exported = _exported_outputs(infra)
        if "TableStreamArn" not in exported:
            raise PackagingError("infra/template.yaml does not export the table's stream ARN (TableStreamArn)")
        merged[to_cfn_resource_name(source.name)] = {
            to_cfn_resource_name(f"{source.name}-dynamodb-event-source"): {"Properties": {
                "Stream": _import(exported["TableStreamArn"][1]),
                # A failing batch is split to find the record that fails, instead of blocking the shard whole.
                "BisectBatchOnFunctionError": True,
            }}}
    return merged


# --- checks on the result -----------------------------------------------------------------------------


def check_timeouts(stage: str, app: Any, config: dict[str, Any], infra: dict[str, Any]) -> None:
    """Each SQS-consuming function's timeout fits its queue's visibility timeout (or Lambda would see
    messages reappear while they are still being handled)."""
    shape = app_shape(app)
    for source in shape.sqs_sources:
        queue = queue_for(infra, source.queue_name)
        name = shape.functions[source.function]
        timeout = chalice_config(config, stage, name).lambda_timeout
        if queue.visibility_timeout < VISIBILITY_TIMEOUT_FACTOR * timeout:
            raise PackagingError(
                f"{queue.logical} has VisibilityTimeout {queue.visibility_timeout}s; {name} may run {timeout}s, "
                f"so it needs at least {VISIBILITY_TIMEOUT_FACTOR * timeout}s"
            )


def chalice_config(config: dict[str, Any], stage: str, function_name: str) -> Any:
    """Chalice's view of config.json for one function on one stage (its own lookup order)."""
    from chalice.config import Config

    return Config(chalice_stage=stage, function_name=function_name, config_from_disk=config)


def check_merged(template: dict[str, Any], merge: dict[str, Any]) -> None:
    """Every function and event the merge template extended exists in Chalice's output: if Chalice named
    something differently, the merge would have made a half resource instead."""
    for logical, spec in merge["Resources"].items():
        merged = template["Resources"].get(logical, {})
        if "Type" not in spec and "Type" not in merged:
            raise PackagingError(f"the merge template extends {logical}, which chalice package did not generate")
        events = spec.get("Properties", {}).get("Events", {})
        for event in events:
            if "Type" not in merged["Properties"]["Events"][event]:
                raise PackagingError(f"the merge template extends {logical}.Events.{event}, which chalice "
                                     "package did not generate")


def pinned_requirements(path: Path = ROOT / "requirements.txt") -> dict[str, str]:
    pins = {}
    for line in path.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if "==" in line:
            name, version = line.split("==", 1)
            pins[_normalized(name.split("[", 1)[0])] = version.strip()
    return pins


def _normalized(name: str) -> str:
    return re.sub(r"[-_.]+", "_", name).lower()


def missing_requirements(deployment_zip: Path, pins: dict[str, str] | None = None) -> list[str]:
    """The pinned requirements whose distribution (at the pinned version) is not in the deployment package."""
    pins = pins if pins is not None else pinned_requirements()
    with zipfile.ZipFile(deployment_zip) as archive:
        present = set()
        for top in {name.split("/", 1)[0] for name in archive.namelist()}:
            if top.endswith(".dist-info"):
                name, _, version = top[: -len(".dist-info")].rpartition("-")
                present.add((_normalized(name), version))
    return sorted(f"{name}=={version}" for name, version in pins.items() if (name, version) not in present)


# --- packaging ----------------------------------------------------------------------------------------


def package(stage: str, out: Path, *, log: Any = print) -> dict[str, Any]:
    """Write dist/<stage>/ (see the module docstring); returns the manifest."""
    config = json.loads(CHALICE_CONFIG.read_text())
    if stage not in config.get("stages", {}):
        raise PackagingError(f".chalice/config.json has no stage {stage!r}")
    infra = cfn.load(cfn.INFRA_TEMPLATE)
    app = load_app()
    check_timeouts(stage, app, config, infra)
    merge = merge_template(stage, app, config, infra)

    stage_dir = out / stage
    if stage_dir.exists():
        shutil.rmtree(stage_dir)
    stage_dir.mkdir(parents=True)
    shutil.copyfile(cfn.INFRA_TEMPLATE, stage_dir / "infra.yaml")
    shutil.copyfile(cfn.IDENTITY_TEMPLATE, stage_dir / "identity.yaml")

    app_dir = stage_dir / "app"
    with tempfile.TemporaryDirectory() as scratch:
        merge_path = Path(scratch) / "app-merge.json"
        merge_path.write_text(json.dumps(merge, indent=2))
        environment = dict(os.environ)
        # botocore, which chalice asks for the region, reads AWS_DEFAULT_REGION.
        environment["AWS_DEFAULT_REGION"] = (environment.get("AWS_DEFAULT_REGION") or environment.get("AWS_REGION")
                                             or DEFAULT_REGION)
        chalice = Path(sys.executable).parent / "chalice"
        result = subprocess.run(  # noqa: S603 - the virtualenv's own chalice, arguments of our making
            [str(chalice), "--project-dir", str(ROOT), "package", "--stage", stage,
             "--merge-template", str(merge_path), str(app_dir)],
            env=environment, capture_output=True, text=True,
        )
    if result.returncode != 0:
        raise PackagingError(f"chalice package failed:\n{result.stdout}{result.stderr}")
    template = json.loads((app_dir / "sam.json").read_text())
    check_merged(template, merge)

    missing = missing_requirements(app_dir / "deployment.zip")
    manifest = {
        "stage": stage,
        "stacks": [
            {"name": f"dossier-{stage}-infra", "template": "infra.yaml"},
            {"name": f"dossier-{stage}-identity", "template": "identity.yaml"},
            {"name": f"dossier-{stage}", "template": "app/sam.json", "code": "app/deployment.zip"},
        ],
        "missing_requirements": missing,
    }
    (stage_dir / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
    log(f"wrote {stage_dir}/: " + ", ".join(stack["template"] for stack in manifest["stacks"]))
    for requirement in missing:
        log(f"WARNING: {requirement} is not in app/deployment.zip: chalice found no wheel for the Lambda "
            f"runtime (python3.11: glibc 2.26); code that imports it will fail on AWS. `make deploy` refuses "
            f"to deploy this package.")
    return manifest


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m infra.package", description=__doc__.split("\n\n")[0])
    parser.add_argument("--stage", default="dev")
    parser.add_argument("--out", type=Path, default=ROOT / "dist")
    args = parser.parse_args(argv)
    try:
        package(args.stage, args.out.resolve())
    except PackagingError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
