"""Talking to a running local stack (tests/e2e/conftest.py's RunningStack) over HTTP, as a user would."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Callable
from typing import Any, TypeVar

import requests

from tests.support.events import post_upload

T = TypeVar("T")


class Staff:
    """Staff requests with a bearer token against the stack's API."""

    def __init__(self, api_url: str, token: str) -> None:
        self.api_url = api_url
        self.token = token

    def call(self, method: str, path: str, body: Any = None, expect: int | None = None) -> Any:
        reply = requests.request(method, f"{self.api_url}{path}", json=body, timeout=15,
                                 headers={"Authorization": f"Bearer {self.token}"})
        if expect is not None:
            assert reply.status_code == expect, (method, path, reply.status_code, reply.text[:500])
        return reply.json() if reply.content else None


def portal_upload(api_url: str, link_url: str, content: bytes, filename: str = "beleg.pdf",
                  content_type: str = "application/pdf") -> str:
    """Upload a file through a link's portal API as the portal page does; the file id."""
    token = link_url.rsplit("/p/", 1)[1]
    presigned = requests.post(f"{api_url}/p/{token}/uploads", timeout=15, json={
        "filename": filename, "size": len(content), "content_type": content_type})
    assert presigned.status_code == 201, presigned.text
    post_upload(presigned.json(), content, filename=filename)
    return presigned.json()["file_id"]


def wait_for(probe: Callable[[], T | None], seconds: float = 20, what: str = "the condition") -> T:
    deadline = time.monotonic() + seconds
    while True:
        value = probe()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} did not happen within {seconds} s")
        time.sleep(0.2)


def helper(stack: Any, *arguments: str, module: str = "infra.local.cli") -> subprocess.CompletedProcess[str]:
    """A `make` helper (`python -m infra.local.cli ...`) run as the Makefile runs it, finding the stack through
    its state folder only (no ports in the environment)."""
    from tests.e2e.conftest import ROOT

    env = {k: v for k, v in stack.environment().items() if k not in ("MOTO_PORT", "PORT")}
    return subprocess.run([sys.executable, "-m", module, *arguments], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=60, check=False)
