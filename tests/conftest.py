"""Shared fixtures. Unit and API tests run against moto in-process (`mock_aws`), provisioned once per
test process from infra/template.yaml; every test gets accounts of its own, so tests never see each
other's data (every key starts with the account id)."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from typing import Any

import pytest

from infra.local.environment import local_environment, verify_mail_sender
from tests.support import frame_chunks, speed

frame_chunks.install()

# The suite never talks to a real endpoint: drop what a developer's shell may point at (DOSSIER_SCREENSHOT=1 only
# asks the browser tests to rewrite the README's screenshots).
for _name in [n for n in os.environ if n.startswith(("AWS_", "DOSSIER_")) and n != "DOSSIER_SCREENSHOT"]:
    del os.environ[_name]
os.environ.update({k: v for k, v in local_environment(moto=1, api=1).items() if k != "AWS_ENDPOINT_URL"})
os.environ["POWERTOOLS_METRICS_DISABLED"] = "true"
os.environ["POWERTOOLS_LOG_LEVEL"] = "WARNING"
speed.share_botocore_models()
speed.cheaper_botocore_requests()


#: The files that take longest, longest first (measured with `--durations`). `make test` has pytest-xdist hand
#: out whole files in collection order (`--dist loadfile --no-loadscope-reorder`), so these start at once
#: instead of last, where one of them would keep a core busy while the other has nothing left to do.
LONGEST_FIRST = (
    "tests/reliability/test_exactly_once.py",
    "tests/reliability/test_schema_fuzzing.py",
    "tests/e2e/test_console.py",
    "tests/api/test_lifecycle.py",
    "tests/e2e/test_local_state.py",
    "tests/reliability/test_load.py",
    "tests/api/test_requests.py",
    "tests/api/test_upload_limits.py",
    "tests/e2e/test_portal_page.py",
    "tests/bench/test_budgets.py",
    "tests/reliability/test_bad_input.py",
    "tests/reliability/test_reconciliation.py",
    "tests/reliability/test_isolation.py",
    "tests/infra/test_moto_patches.py",
    "tests/infra/test_deploy.py",
    "tests/e2e/test_console_oidc.py",
    "tests/reliability/test_concurrency.py",
)


def _with_operation_in_id(item: pytest.Item) -> None:
    """schemathesis (4.32) names each operation's test `test_x[GET /path]`, but pytest 9 builds a test's id from
    its function name and parametrization only, so every operation's test gets the function's id. xdist
    schedules by id and would run the first operation's test alone: give each test the id its name says."""
    function, _, label = item.name.partition("[")
    if label and item.nodeid.endswith(f"::{function}"):
        item._id = item._id.with_params(label.removesuffix("]"))  # type: ignore[attr-defined]  # no public setter


@pytest.hookimpl(trylast=True)  # after `-m` has deselected
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        _with_operation_in_id(item)
    ids = [item.nodeid for item in items]
    if os.environ.get("PYTEST_XDIST_WORKER") and len(set(ids)) != len(ids):
        # xdist runs one test per id: tests sharing an id would silently not run.
        twice = sorted({i for i in ids if ids.count(i) > 1})
        raise pytest.UsageError(f"tests with the same id would not run under pytest-xdist: {twice[:3]}")
    rank = {path: position for position, path in enumerate(LONGEST_FIRST)}
    items.sort(key=lambda item: rank.get(item.nodeid.split("::", 1)[0], len(rank)))


def _serialize_moto_requests() -> None:
    """moto's in-process backends are not thread-safe; AWS applies each request atomically. Concurrency
    tests run the app's logic in parallel, so moto must apply one request at a time (as the local stack's
    server does, see infra/local/moto_server.py). Wraps moto 5.2.5's `BotocoreStubber.process_request`
    (pinned in tests/infra/test_moto_pins.py)."""
    import threading

    from moto.core.botocore_stubber import BotocoreStubber

    if getattr(BotocoreStubber, "_dossier_serialized", False):
        return
    lock = threading.RLock()
    original = BotocoreStubber.process_request

    def process_request(self: Any, request: Any) -> Any:
        with lock:
            return original(self, request)

    BotocoreStubber.process_request = process_request  # type: ignore[method-assign]
    BotocoreStubber._dossier_serialized = True  # type: ignore[attr-defined]


@pytest.fixture(scope="module")
def aws() -> Iterator[Any]:
    """moto in-process with the template's resources, fresh for each test module (moto's transactions
    cost grows with the table); yields the provisioned stack description."""
    import boto3
    from moto import mock_aws

    from chalicelib.runtime import reset_process_state
    from infra.local import moto_patches
    from infra.local.provision import provision

    _serialize_moto_requests()
    moto_patches.apply()
    with mock_aws():
        reset_process_state()
        session = boto3.session.Session(region_name=os.environ["AWS_REGION"])
        stack = provision(session, stage="local", parameters={"PortalOrigin": "*"}, template=speed.template())
        # In-process moto names queues by its own URLs, not the local server's (infra/local/environment.py).
        os.environ["DOSSIER_JOBS_QUEUE_URL"] = stack.outputs["JobsQueueUrl"]
        os.environ["DOSSIER_WEBHOOKS_QUEUE_URL"] = stack.outputs["WebhooksQueueUrl"]
        reset_process_state()
        verify_mail_sender(session)
        yield stack
        reset_process_state()


@pytest.fixture(scope="module")
def application(aws: Any) -> Any:
    import app

    return app


def new_account_id(prefix: str = "t") -> str:
    return f"{prefix}-{secrets.token_hex(6)}"


@pytest.fixture
def make_account(aws: Any):
    """Create an account and return (account_id, admin_token)."""
    from chalicelib.accounts.service import create_account
    from chalicelib.auth.tokens import issue_token

    def make(plan: str = "pro", name: str | None = None) -> tuple[str, str]:
        account_id = new_account_id()
        create_account(account_id, name=name or f"Account {account_id}", plan=plan)  # type: ignore[arg-type]
        return account_id, issue_token(account_id, "admin-user", "admin")

    return make


@pytest.fixture
def account(make_account) -> tuple[str, str]:
    return make_account()


@pytest.fixture
def api(application: Any, account: tuple[str, str]):
    """A client holding an admin token of a fresh `pro` account."""
    from tests.support.api import ApiClient

    return ApiClient(application.app, token=account[1])


@pytest.fixture
def anonymous(application: Any):
    from tests.support.api import ApiClient

    return ApiClient(application.app)
