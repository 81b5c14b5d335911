"""The app against moto in this process, provisioned from `infra/template.yaml` as the test suite does
(tests/conftest.py): the same environment, the same moto patches, the same provisioning.

Each benchmark part opens a stack of its own (moto starts empty), so one part's data never slows down or
changes the figures of another.
"""

from __future__ import annotations

import contextlib
import io
import os
import sys
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from infra.local.environment import REGION, STAGE, local_environment

#: Quiet logs (an INFO line per request would be most of the work) and no metrics output.
_QUIET = {"POWERTOOLS_LOG_LEVEL": "ERROR", "POWERTOOLS_METRICS_DISABLED": "true"}


def in_process_environment() -> dict[str, str]:
    """The local stage's names without an endpoint: boto3 calls go to moto's in-process backends."""
    environment = {k: v for k, v in local_environment(moto=1, api=1).items() if k != "AWS_ENDPOINT_URL"}
    return {**environment, **_QUIET}


@contextlib.contextmanager
def environment(values: dict[str, str]) -> Iterator[None]:
    """This process's environment set to `values` (AWS_* and DOSSIER_* of the caller's shell dropped), and
    restored afterwards; process-wide clients and settings are forgotten on the way in and out."""
    from chalicelib.runtime import reset_process_state

    saved = dict(os.environ)
    for name in [n for n in os.environ if n.startswith(("AWS_", "DOSSIER_"))]:
        del os.environ[name]
    os.environ.update(values)
    reset_process_state()
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)
        reset_process_state()


@dataclass
class Stack:
    """A provisioned in-process moto: the template's outputs, the app module and a boto3 session."""

    outputs: dict[str, str]
    session: Any

    @property
    def application(self) -> Any:
        import app

        return app

    def api(self, token: str | None = None) -> Any:
        from tests.support.api import ApiClient

        return ApiClient(self.application.app, token=token)


def apply_moto_patches() -> None:
    """The local stack's moto fixes and the benchmarks' speed-ups, for good (a process of the benchmarks')."""
    from bench import moto_speed
    from infra.local import moto_patches

    moto_patches.apply()
    moto_speed.install()


@contextlib.contextmanager
def _app_output_filtered() -> Iterator[None]:
    """The app's stdout without powertools' metrics: with metrics disabled, powertools never clears its
    metric set and prints it (EMF JSON) every 100 values. Its log lines (errors only) go to stderr."""
    captured = io.StringIO()
    try:
        with contextlib.redirect_stdout(captured):
            yield
    finally:
        for line in captured.getvalue().splitlines():
            if not line.startswith('{"_aws"'):
                print(line, file=sys.stderr)


@contextlib.contextmanager
def in_process_stack() -> Iterator[Stack]:
    """moto in this process, empty, provisioned from the template; the app's clients point at it."""
    import boto3
    from moto import mock_aws

    from bench import moto_speed
    from chalicelib.runtime import reset_process_state
    from infra.local import moto_patches
    from infra.local.environment import verify_mail_sender
    from infra.local.provision import provision

    moto_patches.apply()  # as the test suite and the local stack do
    with contextlib.ExitStack() as scope:
        scope.enter_context(_app_output_filtered())
        scope.enter_context(warnings.catch_warnings())
        warnings.filterwarnings("ignore", "No application metrics to publish")
        scope.enter_context(moto_speed.patched())
        scope.enter_context(environment(in_process_environment()))
        scope.enter_context(mock_aws())
        session = boto3.session.Session(region_name=REGION)
        provisioned = provision(session, stage=STAGE, parameters={"PortalOrigin": "*"})
        # In-process moto names queues by its own URLs, not the local server's (as in tests/conftest.py).
        os.environ["DOSSIER_JOBS_QUEUE_URL"] = provisioned.outputs["JobsQueueUrl"]
        reset_process_state()
        verify_mail_sender(session)
        yield Stack(outputs=provisioned.outputs, session=session)
