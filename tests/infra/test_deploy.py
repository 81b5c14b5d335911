"""`make deploy` (infra/deploy.sh) against a stand-in for the AWS CLI (tests/support/aws_cli.py), with the real
`make package` output: the commands it would run, in order, with the parameters docs/deploy.md describes. The
stand-in refuses what the CLI and CloudFormation refuse (a template over 51,200 bytes inline, a parameter
without a value or outside its pattern). Nothing here reaches AWS."""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.support import packaging

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "infra" / "deploy.sh"
API_ID = "abc123defg"
REGION = "eu-central-1"

API_URL = f"https://{API_ID}.execute-api.{REGION}.amazonaws.com/api"

#: What the stand-in's stacks output once deployed.
STACK_OUTPUTS = {
    "dossier-prod-identity": {
        "JwtIssuer": f"https://cognito-idp.{REGION}.amazonaws.com/{REGION}_Pool",
        "JwtAudience": "client-id",
        "JwksUrl": f"https://cognito-idp.{REGION}.amazonaws.com/{REGION}_Pool/.well-known/jwks.json",
        "OidcDomain": f"https://dossier-prod-123456789012.auth.{REGION}.amazoncognito.com",
        "UserPoolId": f"{REGION}_Pool",
    },
    "dossier-prod": {
        "EndpointURL": f"https://{API_ID}.execute-api.{REGION}.amazonaws.com/api/",
        "ApiOrigin": f"https://{API_ID}.execute-api.{REGION}.amazonaws.com",
    },
    "dossier-prod-infra": {},
}

#: The parameters an earlier deploy left on the stacks that exist.
PREVIOUS_PARAMETERS = {
    "dossier-prod-infra": {"Stage": "prod", "PortalOrigin": STACK_OUTPUTS["dossier-prod"]["ApiOrigin"]},
    "dossier-prod-identity": {"Stage": "prod", "PublicBaseUrl": API_URL},
}

SETTINGS = {
    "ARTIFACT_BUCKET": "my-artifacts",
    "ALARM_TOPIC_ARN": f"arn:aws:sns:{REGION}:123456789012:alarms",
    "STAFF_ORIGIN": "https://staff.example.com",
    "MAIL_SENDER": "no-reply@example.com",
}


@pytest.fixture
def dist(tmp_path: Path, packaged_stage: Path) -> Path:
    """A copy of the real `make package STAGE=prod` output (the code archive linked, not copied)."""
    stage_dir = tmp_path / "dist" / "prod"
    shutil.copytree(packaged_stage, stage_dir, ignore=shutil.ignore_patterns("deployment.zip"))
    (stage_dir / "app" / "deployment.zip").symlink_to(packaged_stage / "app" / "deployment.zip")
    return stage_dir


def run_aws(tmp_path: Path, state: dict[str, Any], *args: str) -> subprocess.CompletedProcess[str]:
    """The stand-in CLI, as deploy.sh runs it."""
    return subprocess.run([str(stand_in_cli(tmp_path, state)), *args], capture_output=True, text=True, timeout=60)


def stand_in_cli(tmp_path: Path, state: dict[str, Any]) -> Path:
    """An `aws` executable that runs tests/support/aws_cli.py with `state` (rewritten by every call)."""
    state_path = tmp_path / "aws-state.json"
    state_path.write_text(json.dumps(state))
    executable = tmp_path / "aws"
    executable.write_text(f"#!/bin/sh\nAWS_STAND_IN_STATE={shlex.quote(str(state_path))} "
                          f"PYTHONPATH={shlex.quote(str(ROOT))} exec {shlex.quote(sys.executable)} "
                          f"-m tests.support.aws_cli \"$@\"\n")
    executable.chmod(0o755)
    return executable


def run_deploy(tmp_path: Path, dist: Path, deployed: list[str], script: Path = DEPLOY,
               **settings: str) -> tuple[int, list[list[str]], str]:
    status, state, output = run_deploy_with_state(tmp_path, dist, deployed, script, **settings)
    return status, [call for call in state["calls"] if call[1] != "describe-stacks"], output


def run_deploy_with_state(tmp_path: Path, dist: Path, deployed: list[str], script: Path = DEPLOY,
                          **settings: str) -> tuple[int, dict[str, Any], str]:
    """deploy.sh against the stand-in CLI, with the stacks `deployed` already there (with the parameters
    an earlier deploy gave them); returns its status, the stand-in's final state and its output."""
    stacks = {stack: {"parameters": PREVIOUS_PARAMETERS.get(stack, {})} for stack in deployed}
    aws = stand_in_cli(tmp_path, {"stacks": stacks, "outputs": STACK_OUTPUTS, "calls": [], "uploads": {},
                                  "deployments": []})
    environment = {"PATH": os.environ["PATH"], "AWS": str(aws), "DIST": str(dist), "PYTHON": sys.executable,
                   **settings}
    bash = shutil.which("bash")
    assert bash is not None
    result = subprocess.run([bash, str(script), "prod"], env=environment, capture_output=True, text=True,
                            timeout=120)
    state = json.loads((tmp_path / "aws-state.json").read_text())
    return result.returncode, state, result.stdout + result.stderr


def _parameters(call: list[str]) -> dict[str, str]:
    start = call.index("--parameter-overrides") + 1
    return dict(item.split("=", 1) for item in call[start:])


def _summary(calls: list[list[str]]) -> list[tuple[str, Any]]:
    return [(call[1], call[call.index("--stack-name") + 1] if "--stack-name" in call else None) for call in calls]


def test_a_first_deploy_creates_the_stacks_in_order_and_wires_the_apis_own_url(tmp_path: Path, dist: Path) -> None:
    status, calls, output = run_deploy(tmp_path, dist, deployed=[], **SETTINGS)
    assert status == 0, output
    assert _summary(calls) == [
        ("deploy", "dossier-prod-infra"),
        ("deploy", "dossier-prod-identity"),
        ("package", None),
        ("deploy", "dossier-prod"),
        ("deploy", "dossier-prod"),
        ("deploy", "dossier-prod-identity"),
        ("deploy", "dossier-prod-infra"),
    ]
    first_infra, first_identity, package, first_app, second_app, second_identity, second_infra = calls
    assert _parameters(first_infra) == {"Stage": "prod", "PortalOrigin": "*"}
    assert _parameters(first_identity) == {"Stage": "prod", "PublicBaseUrl": "https://pending.invalid"}
    assert package[package.index("--s3-bucket") + 1] == "my-artifacts"
    app = _parameters(first_app)
    assert app == {
        "Stage": "prod", "AlarmTopicArn": SETTINGS["ALARM_TOPIC_ARN"], "PublicBaseUrl": "https://pending.invalid",
        "StaffOrigin": SETTINGS["STAFF_ORIGIN"], "MailSender": SETTINGS["MAIL_SENDER"],
        **STACK_OUTPUTS["dossier-prod-identity"],
    }
    assert _parameters(second_app)["PublicBaseUrl"] == API_URL
    # The console's sign-in returns to the API's own URL once it exists.
    assert _parameters(second_identity) == {"Stage": "prod", "PublicBaseUrl": API_URL}
    assert _parameters(second_infra)["PortalOrigin"] == STACK_OUTPUTS["dossier-prod"]["ApiOrigin"]
    assert all("CAPABILITY_IAM" in call for call in calls if call[1] == "deploy")


def test_every_template_goes_through_the_artifact_bucket(tmp_path: Path, dist: Path) -> None:
    status, state, output = run_deploy_with_state(tmp_path, dist, deployed=[], **SETTINGS)
    assert status == 0, output
    deploys = [call for call in state["calls"] if call[1] == "deploy"]
    for call in deploys:
        assert (call[call.index("--s3-bucket") + 1], call[call.index("--s3-prefix") + 1]) == (
            "my-artifacts", "dossier-prod"), call
    assert {d["stack"] for d in state["deployments"]} == {"dossier-prod-infra", "dossier-prod-identity",
                                                          "dossier-prod"}
    assert all(d["template_url"].startswith("s3://my-artifacts/dossier-prod/") for d in state["deployments"])
    # The code went to the same place, and the application stack got the template that points at it.
    code_url = packaging.s3_url("my-artifacts", "dossier-prod", dist / "app" / "deployment.zip")
    assert state["uploads"][code_url] == str(dist / "app" / "deployment.zip")
    app = next(d for d in state["deployments"] if d["stack"] == "dossier-prod")
    expected = packaging.cloudformation_package(dist / "app" / "sam.json", "my-artifacts", "dossier-prod")
    assert yaml.load(app["template"], Loader=yaml.CSafeLoader) == expected  # noqa: S506 - a safe loader
    assert len(app["template"].encode()) > packaging.INLINE_TEMPLATE_LIMIT, "why the bucket is needed at all"


def test_a_custom_artifact_prefix_is_used_for_code_and_templates(tmp_path: Path, dist: Path) -> None:
    status, state, output = run_deploy_with_state(tmp_path, dist, deployed=[], **SETTINGS,
                                                  ARTIFACT_PREFIX="releases/dossier")
    assert status == 0, output
    assert state["uploads"] and all(url.startswith("s3://my-artifacts/releases/dossier/") for url in state["uploads"])


def _template_of(size: int, path: Path) -> Path:
    head = "Resources:\n  Topic:\n    Type: AWS::SNS::Topic\n    Metadata:\n      Padding: "
    path.write_text(head + "x" * (size - len(head) - 1) + "\n")
    assert path.stat().st_size == size
    return path


def test_the_stand_in_cli_refuses_an_inline_template_over_51200_bytes_as_awscli_does(tmp_path: Path) -> None:
    deploy = ["cloudformation", "deploy", "--stack-name", "big", "--template-file"]
    largest = _template_of(packaging.INLINE_TEMPLATE_LIMIT, tmp_path / "largest.yaml")
    assert run_aws(tmp_path, {}, *deploy, str(largest)).returncode == 0
    too_large = _template_of(packaging.INLINE_TEMPLATE_LIMIT + 1, tmp_path / "too-large.yaml")
    inline = run_aws(tmp_path, {}, *deploy, str(too_large))
    assert inline.returncode == 255
    assert inline.stderr.strip() == packaging.INLINE_TEMPLATE_REFUSAL
    via_s3 = run_aws(tmp_path, {}, *deploy, str(too_large), "--s3-bucket", "my-artifacts")
    assert via_s3.returncode == 0, via_s3.stderr


def test_the_stand_in_cli_refuses_parameters_cloudformation_refuses(tmp_path: Path, dist: Path) -> None:
    identity = ["cloudformation", "deploy", "--stack-name", "dossier-prod-identity", "--template-file",
                str(dist / "identity.yaml"), "--s3-bucket", "my-artifacts", "--parameter-overrides", "Stage=prod"]
    missing = run_aws(tmp_path, {}, *identity)
    assert missing.returncode == 255 and "Parameters: [PublicBaseUrl] must have values" in missing.stderr
    malformed = run_aws(tmp_path, {}, *identity, "PublicBaseUrl=https://dossier.example.com/")
    assert malformed.returncode == 255 and "'PublicBaseUrl' must match pattern" in malformed.stderr
    assert run_aws(tmp_path, {}, *identity, "PublicBaseUrl=https://dossier.example.com").returncode == 0


def test_a_later_deploy_keeps_the_urls_and_deploys_each_stack_once(tmp_path: Path, dist: Path) -> None:
    deployed = list(STACK_OUTPUTS)
    status, calls, output = run_deploy(tmp_path, dist, deployed=deployed, **SETTINGS)
    assert status == 0, output
    assert [stack for command, stack in _summary(calls) if command == "deploy"] == [
        "dossier-prod-infra", "dossier-prod-identity", "dossier-prod"]
    infra, identity, _, app = calls
    assert _parameters(infra)["PortalOrigin"] == STACK_OUTPUTS["dossier-prod"]["ApiOrigin"]
    assert _parameters(identity)["PublicBaseUrl"] == API_URL
    assert _parameters(app)["PublicBaseUrl"] == API_URL


def test_another_identity_provider_and_a_custom_domain(tmp_path: Path, dist: Path) -> None:
    other_idp = {"JWT_ISSUER": "https://login.example.com", "JWT_AUDIENCE": "dossier",
                 "JWKS_URL": "https://login.example.com/jwks.json", "PUBLIC_BASE_URL": "https://dossier.example.com",
                 "PORTAL_ORIGIN": "https://dossier.example.com"}
    status, calls, output = run_deploy(tmp_path, dist, deployed=[], **SETTINGS, **other_idp)
    assert status == 0, output
    assert "dossier-prod-identity" not in [stack for _, stack in _summary(calls)]
    infra, _, app = calls
    assert _parameters(infra)["PortalOrigin"] == "https://dossier.example.com"
    parameters = _parameters(app)
    assert (parameters["JwtIssuer"], parameters["JwtAudience"], parameters["JwksUrl"], parameters["OidcDomain"]) == (
        "https://login.example.com", "dossier", "https://login.example.com/jwks.json", "")
    assert parameters["PublicBaseUrl"] == "https://dossier.example.com"


def test_a_custom_domain_with_the_own_user_pool_is_the_consoles_sign_in_url(tmp_path: Path, dist: Path) -> None:
    status, calls, output = run_deploy(tmp_path, dist, deployed=[], **SETTINGS,
                                       PUBLIC_BASE_URL="https://dossier.example.com")
    assert status == 0, output
    identities = [call for call in calls if call[1] == "deploy" and "dossier-prod-identity" in call]
    assert [_parameters(call)["PublicBaseUrl"] for call in identities] == ["https://dossier.example.com"]


def test_deploy_refuses_a_package_that_lacks_a_requirement(tmp_path: Path, dist: Path) -> None:
    (dist / "manifest.json").write_text(json.dumps({"missing_requirements": ["google_re2==1.1.20251105"]}))
    status, calls, output = run_deploy(tmp_path, dist, deployed=[], **SETTINGS)
    assert status == 2 and calls == []
    assert "google_re2" in output


def test_deploy_names_the_setting_it_misses(tmp_path: Path, dist: Path) -> None:
    settings = {k: v for k, v in SETTINGS.items() if k != "MAIL_SENDER"}
    status, calls, output = run_deploy(tmp_path, dist, deployed=[], **settings)
    assert status != 0 and calls == []
    assert "MAIL_SENDER" in output


def _documented_commands(command: str) -> list[list[str]]:
    """The `aws cloudformation <command>` lines of docs/deploy.md's step by step, as argument lists."""
    text = (ROOT / "docs" / "deploy.md").read_text().replace("\\\n", " ")
    return [shlex.split(line.strip())[1:] for line in text.splitlines()
            if line.strip().startswith(f"aws cloudformation {command} ")]


def test_the_documented_steps_are_the_commands_the_script_runs(tmp_path: Path, dist: Path) -> None:
    status, calls, output = run_deploy(tmp_path, dist, deployed=[], **SETTINGS)
    assert status == 0, output
    documented = {call[call.index("--stack-name") + 1]: call for call in _documented_commands("deploy")}
    assert set(documented) == {"dossier-prod-infra", "dossier-prod-identity", "dossier-prod"}
    for call in calls:
        if call[1] != "deploy":
            continue
        stack = call[call.index("--stack-name") + 1]
        shown = documented[stack]
        options = {arg for arg in call if arg.startswith("--")} - {"--tags", "--no-fail-on-empty-changeset"}
        assert options == {arg for arg in shown if arg.startswith("--")}, stack
        assert (shown[shown.index("--s3-bucket") + 1], shown[shown.index("--s3-prefix") + 1]) == (
            "$ARTIFACT_BUCKET", "dossier-prod"), stack
        assert set(_parameters(call)) == set(_parameters(shown)), stack
    (package_call,) = _documented_commands("package")
    assert {arg for arg in package_call if arg.startswith("--")} == {
        arg for arg in next(call for call in calls if call[1] == "package") if arg.startswith("--")}
    # Every setting the script reads is explained.
    settings = set(re.findall(r"^#   ([A-Z_]+)", DEPLOY.read_text(), flags=re.MULTILINE))
    assert {"ARTIFACT_BUCKET", "ARTIFACT_PREFIX", "OIDC_DOMAIN"} <= settings
    docs = (ROOT / "docs" / "deploy.md").read_text()
    assert not [name for name in settings if name not in docs]
