"""`make deploy` (infra/deploy.sh) against a stand-in for the AWS CLI: the commands it would run, in order,
with the parameters docs/deploy.md describes. Nothing here reaches AWS."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "infra" / "deploy.sh"
API_ID = "abc123defg"
REGION = "eu-central-1"

#: What the stand-in's stacks output once deployed.
STACK_OUTPUTS = {
    "dossier-prod-identity": {
        "JwtIssuer": f"https://cognito-idp.{REGION}.amazonaws.com/{REGION}_Pool",
        "JwtAudience": "client-id",
        "JwksUrl": f"https://cognito-idp.{REGION}.amazonaws.com/{REGION}_Pool/.well-known/jwks.json",
    },
    "dossier-prod": {
        "EndpointURL": f"https://{API_ID}.execute-api.{REGION}.amazonaws.com/api/",
        "ApiOrigin": f"https://{API_ID}.execute-api.{REGION}.amazonaws.com",
    },
    "dossier-prod-infra": {},
}

FAKE_AWS = """#!{python}
# A stand-in for the AWS CLI: records each command; stacks exist once deployed.
import json, re, sys
from pathlib import Path
state_path = Path({state!r})
state = json.loads(state_path.read_text())
args = sys.argv[1:]
state["calls"].append(args)
def option(name):
    return args[args.index(name) + 1]
command = args[1]
if command == "describe-stacks":
    stack = option("--stack-name")
    if stack not in state["deployed"]:
        print(f"Stack with id {{stack}} does not exist", file=sys.stderr)
        state_path.write_text(json.dumps(state))
        sys.exit(254)
    key = re.search(r"OutputKey=='(\\w+)'", option("--query")).group(1)
    print(state["outputs"][stack].get(key, "None"))
elif command == "deploy":
    state["deployed"].append(option("--stack-name"))
elif command == "package":
    Path(option("--output-template-file")).write_text("Resources: {{}}")
state_path.write_text(json.dumps(state))
"""

SETTINGS = {
    "ARTIFACT_BUCKET": "my-artifacts",
    "ALARM_TOPIC_ARN": f"arn:aws:sns:{REGION}:123456789012:alarms",
    "STAFF_ORIGIN": "https://staff.example.com",
    "MAIL_SENDER": "no-reply@example.com",
}


@pytest.fixture
def dist(tmp_path: Path) -> Path:
    stage_dir = tmp_path / "dist" / "prod"
    (stage_dir / "app").mkdir(parents=True)
    for name in ("infra.yaml", "identity.yaml", "app/sam.json"):
        (stage_dir / name).write_text("{}")
    (stage_dir / "manifest.json").write_text(json.dumps({"missing_requirements": []}))
    return stage_dir


def run_deploy(tmp_path: Path, dist: Path, deployed: list[str], **settings: str) -> tuple[int, list[list[str]], str]:
    state = tmp_path / "aws-state.json"
    state.write_text(json.dumps({"calls": [], "deployed": deployed, "outputs": STACK_OUTPUTS}))
    fake_aws = tmp_path / "aws"
    fake_aws.write_text(FAKE_AWS.format(python=sys.executable, state=str(state)))
    fake_aws.chmod(0o755)
    environment = {"PATH": os.environ["PATH"], "AWS": str(fake_aws), "DIST": str(dist),
                   "PYTHON": sys.executable, **settings}
    bash = shutil.which("bash")
    assert bash is not None
    result = subprocess.run([bash, str(DEPLOY), "prod"], env=environment, capture_output=True, text=True, timeout=60)
    calls = [call for call in json.loads(state.read_text())["calls"] if call[1] != "describe-stacks"]
    return result.returncode, calls, result.stdout + result.stderr


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
        ("deploy", "dossier-prod-infra"),
    ]
    first_infra, _, package, first_app, second_app, second_infra = calls
    assert _parameters(first_infra) == {"Stage": "prod", "PortalOrigin": "*"}
    assert package[package.index("--s3-bucket") + 1] == "my-artifacts"
    app = _parameters(first_app)
    assert app == {
        "Stage": "prod", "AlarmTopicArn": SETTINGS["ALARM_TOPIC_ARN"], "PublicBaseUrl": "https://pending.invalid",
        "StaffOrigin": SETTINGS["STAFF_ORIGIN"], "MailSender": SETTINGS["MAIL_SENDER"],
        **STACK_OUTPUTS["dossier-prod-identity"],
    }
    assert _parameters(second_app)["PublicBaseUrl"] == f"https://{API_ID}.execute-api.{REGION}.amazonaws.com/api"
    assert _parameters(second_infra)["PortalOrigin"] == STACK_OUTPUTS["dossier-prod"]["ApiOrigin"]
    assert all("CAPABILITY_IAM" in call for call in calls if call[1] == "deploy")


def test_a_later_deploy_keeps_the_urls_and_deploys_each_stack_once(tmp_path: Path, dist: Path) -> None:
    deployed = list(STACK_OUTPUTS)
    status, calls, output = run_deploy(tmp_path, dist, deployed=deployed, **SETTINGS)
    assert status == 0, output
    assert [stack for command, stack in _summary(calls) if command == "deploy"] == [
        "dossier-prod-infra", "dossier-prod-identity", "dossier-prod"]
    infra, _, _, app = calls
    assert _parameters(infra)["PortalOrigin"] == STACK_OUTPUTS["dossier-prod"]["ApiOrigin"]
    assert _parameters(app)["PublicBaseUrl"] == f"https://{API_ID}.execute-api.{REGION}.amazonaws.com/api"


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
    assert (parameters["JwtIssuer"], parameters["JwtAudience"], parameters["JwksUrl"]) == (
        "https://login.example.com", "dossier", "https://login.example.com/jwks.json")
    assert parameters["PublicBaseUrl"] == "https://dossier.example.com"


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
