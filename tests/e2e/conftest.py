"""The real local stack (`make run`'s program) in a subprocess on free ports, shared by the e2e tests."""

from __future__ import annotations

import os
import queue
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.support.stack_commands import StackCommands

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class RunningStack:
    process: subprocess.Popen
    moto_port: int
    api_port: int
    admin_token: str
    output: list[str] = field(default_factory=list)
    #: The stack's state folder (kept data, stack.json); removed at stop when the stack made it.
    state_dir: Path | None = None
    owns_state_dir: bool = False
    _commands: StackCommands | None = None

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.api_port}"

    def environment(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "DOSSIER_"))}
        env.update({"MOTO_PORT": str(self.moto_port), "PORT": str(self.api_port)})
        if self.state_dir is not None:
            env["LOCAL_STATE_DIR"] = str(self.state_dir)
        return env

    def cli(self, *arguments: str) -> str:
        """A helper command (`make account`, `make token`, `make login`) against this stack; its last line (the
        token or URL). The commands run in one process of the stack's own (tests/support/stack_commands.py)."""
        if self._commands is None:
            self._commands = StackCommands(self.environment())
        result = self._commands.run(*arguments)
        assert result.returncode == 0, result.stderr
        return result.last_line

    def stop(self) -> int:
        if self._commands is not None:
            self._commands.close()
            self._commands = None
        try:
            if self.process.poll() is None:
                self.process.send_signal(signal.SIGINT)
                try:
                    return self.process.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    self.process.kill()
                    raise
            return self.process.returncode
        finally:
            if self.owns_state_dir and self.state_dir is not None:
                shutil.rmtree(self.state_dir, ignore_errors=True)


def start_stack(timeout: float = 90, state_dir: Path | None = None, arguments: tuple[str, ...] = (),
                extra_env: dict[str, str] | None = None, ports: tuple[int, int] | None = None) -> RunningStack:
    """`make run`'s program on free ports (or `ports`: moto's, the API's). Its data is kept in `state_dir`;
    without one, in a new temporary folder removed at stop (never the checkout's `.local-state/`)."""
    moto_port, api_port = ports or (free_port(), free_port())
    owns_state_dir = state_dir is None
    state_dir = state_dir or Path(tempfile.mkdtemp(prefix="dossier-stack-"))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "DOSSIER_", "LOCAL_"))}
    env.update({"MOTO_PORT": str(moto_port), "PORT": str(api_port), "PYTHONUNBUFFERED": "1",
                "LOCAL_STATE_DIR": str(state_dir), **(extra_env or {})})
    # `python -m infra.local.stack` with the test processes' frame-chunk allocator (tests/support/frame_chunks.py).
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.support.frame_chunks", "infra.local.stack", *arguments], cwd=ROOT, env=env,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    lines: queue.Queue[str] = queue.Queue()
    output: list[str] = []

    def read() -> None:
        for line in process.stdout:  # type: ignore[union-attr]
            output.append(line)
            lines.put(line)

    threading.Thread(target=read, daemon=True).start()
    token = None
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            line = lines.get(timeout=1)
        except queue.Empty:
            if process.poll() is not None:
                break
            continue
        if match := re.match(r"export DOSSIER_TOKEN=(\S+)", line):
            token = match.group(1)
        if "Ctrl-C stops everything" in line:
            break
    if token is None or process.poll() is not None:
        process.kill()
        if owns_state_dir:
            shutil.rmtree(state_dir, ignore_errors=True)
        raise RuntimeError("the local stack did not start:\n" + "".join(output[-60:]))
    return RunningStack(process, moto_port, api_port, token, output, state_dir, owns_state_dir)


#: How the browser tests start Debian's chromium.
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Debian's chromium through Playwright, one per test process: every test opens a context of its own (its own
    cookies and storage), so sharing the browser shares no state, and starting it once saves a second of CPU a
    module."""
    from playwright.sync_api import sync_playwright

    executable = shutil.which("chromium")
    if executable is None:
        pytest.fail("Debian's chromium is needed for the browser tests: `make test` installs it "
                    "(apt-get install -y chromium).")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_FLAGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture(scope="session")
def local_stack() -> Iterator[RunningStack]:
    stack = start_stack()
    yield stack
    stack.stop()
