"""`make account`, `make token` and `make login` for the browser tests: the helper commands' own `main(argv)`
(infra/local/cli.py), run in one long-lived process per stack instead of a new Python for every command.

Starting Python and importing the app costs about half a second of CPU per command, and the browser tests make
an account and a sign-in link for nearly every test. The commands as `make` runs them (their own process, the
stack found through `stack.json`, exit codes and messages) are tested in tests/e2e/test_local_stack.py and
test_local_state.py.

Run as a program (`python -m tests.support.stack_commands`), it reads one JSON list of arguments per line and
answers each with one JSON line: the exit code and what the command printed.
"""

from __future__ import annotations

import contextlib
import io
import json
import subprocess
import sys
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class CommandResult:
    returncode: int
    stdout: str
    stderr: str

    @property
    def last_line(self) -> str:
        """The token or URL: the helper commands print it last."""
        return self.stdout.strip().splitlines()[-1]


class StackCommands:
    """The helper commands against one running stack (its environment: MOTO_PORT and PORT)."""

    def __init__(self, environment: dict[str, str]) -> None:
        self._process = subprocess.Popen(
            [sys.executable, "-m", "tests.support.stack_commands"], cwd=ROOT, env=environment,
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
        )
        self._lock = threading.Lock()

    def run(self, *arguments: str) -> CommandResult:
        assert self._process.stdin is not None and self._process.stdout is not None
        with self._lock:
            self._process.stdin.write(json.dumps(list(arguments)) + "\n")
            self._process.stdin.flush()
            line = self._process.stdout.readline()
        if not line:
            raise RuntimeError(f"the helper commands' process ended (status {self._process.poll()})")
        return CommandResult(**json.loads(line))

    def close(self) -> None:
        if self._process.poll() is None:
            assert self._process.stdin is not None
            self._process.stdin.close()
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._process.kill()


def _serve(requests: Any, answers: Any) -> None:
    from infra.local.cli import main
    from tests.support import frame_chunks, speed

    frame_chunks.install()
    # Every command points the process at the stack afresh (new boto3 session, the template's resource names):
    # the parsed service models and template are kept for the process, as the suite's own processes keep them.
    speed.share_botocore_models()
    speed.share_template()

    for line in requests:
        stdout, stderr = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
            try:
                code = main(json.loads(line))
            except SystemExit as exc:  # argparse's refusals
                code = exc.code if isinstance(exc.code, int) else 2
        answers.write(json.dumps({"returncode": code, "stdout": stdout.getvalue(), "stderr": stderr.getvalue()})
                      + "\n")
        answers.flush()


if __name__ == "__main__":
    _serve(sys.stdin, sys.stdout)
