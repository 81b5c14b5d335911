"""`make run` pieces, for real: moto server, HTTP API, CLI; and Ctrl-C stops everything."""

from __future__ import annotations

import socket
import subprocess
import sys

import pytest
import requests

from tests.e2e.conftest import ROOT, start_stack

pytestmark = pytest.mark.e2e


def test_the_demo_token_reads_the_demo_account(local_stack) -> None:
    reply = requests.get(f"{local_stack.api_url}/account",
                         headers={"Authorization": f"Bearer {local_stack.admin_token}"}, timeout=10)
    assert reply.status_code == 200
    assert reply.json()["id"] == "demo"


def test_make_account_creates_an_account_idempotently_and_prints_its_token_last(local_stack) -> None:
    def run() -> str:
        result = subprocess.run(
            [sys.executable, "-m", "infra.local.cli", "account", "--id", "acme-e2e", "--plan", "solo"],
            cwd=ROOT, env=local_stack.environment(), capture_output=True, text=True, timeout=60,
        )
        assert result.returncode == 0, result.stderr
        return result.stdout.strip().splitlines()[-1]

    first, second = run(), run()
    for token in (first, second):
        reply = requests.get(f"{local_stack.api_url}/account", headers={"Authorization": f"Bearer {token}"},
                             timeout=10)
        assert reply.status_code == 200
        assert reply.json()["plan"] == "solo"


def cli(local_stack, *arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "infra.local.cli", *arguments], cwd=ROOT,
                          env=local_stack.environment(), capture_output=True, text=True, timeout=60, check=False)


def test_make_token_prints_a_token_of_the_given_role_and_user_last(local_stack) -> None:
    result = cli(local_stack, "token", "--id", "demo", "--role", "member", "--user", "bob")
    assert result.returncode == 0, result.stderr
    headers = {"Authorization": f"Bearer {result.stdout.strip().splitlines()[-1]}"}
    assert requests.get(f"{local_stack.api_url}/account", headers=headers, timeout=10).json()["id"] == "demo"
    refused = requests.patch(f"{local_stack.api_url}/account", json={"name": "x"}, headers=headers, timeout=10)
    assert (refused.status_code, refused.json()["error"]["code"]) == (403, "forbidden"), "a member, not an admin"
    assert cli(local_stack, "token", "--id", "Not An Id").returncode == 2


def test_make_subscription_changes_plan_and_booked_storage(local_stack) -> None:
    token = cli(local_stack, "account", "--id", "abo-e2e", "--plan", "solo").stdout.strip().splitlines()[-1]
    result = cli(local_stack, "subscription", "--id", "abo-e2e", "--plan", "team", "--extra-storage-gib", "1")
    assert result.returncode == 0, result.stderr
    account = requests.get(f"{local_stack.api_url}/account", headers={"Authorization": f"Bearer {token}"},
                           timeout=10).json()
    assert (account["plan"], account["quota_bytes"]) == ("team", 536870912 + 1024**3)
    refused = cli(local_stack, "subscription", "--id", "abo-e2e", "--extra-storage-gib", "5000")
    assert refused.returncode == 2 and "extra_storage_bytes" in refused.stderr


def test_the_api_answers_contract_errors_over_http(local_stack) -> None:
    reply = requests.get(f"{local_stack.api_url}/account", timeout=10)
    assert reply.status_code == 401 and reply.json()["error"]["code"] == "unauthorized"
    reply = requests.get(f"{local_stack.api_url}/nothing/here", timeout=10)
    assert reply.status_code == 404 and reply.json()["error"]["code"] == "not_found"
    assert requests.get(f"{local_stack.api_url}/openapi.json", timeout=10).status_code == 200


def _listening(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


def test_ctrl_c_stops_everything() -> None:
    stack = start_stack()
    assert _listening(stack.api_port) and _listening(stack.moto_port)
    assert stack.stop() == 0
    assert not _listening(stack.api_port)
    assert not _listening(stack.moto_port)
