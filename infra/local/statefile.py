"""Where the local stack keeps its data, and how the helper commands find the running stack.

Everything lives in one folder, `.local-state/` of the checkout (git ignores it), or `$LOCAL_STATE_DIR`:
the snapshot of moto's data (infra/local/snapshot.py), the demo's portal URL, and `stack.json`, written by
`make run` while it runs (process id, ports, URLs) and removed when it stops. `make account`, `make token`,
`make login`, `make subscription`, `make reconcile` and `make redrive` read it, so no port is repeated.
"""

from __future__ import annotations

import json
import os
import socket
import sys
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
STACK_FILE = "stack.json"


def state_dir() -> Path:
    return Path(os.environ.get("LOCAL_STATE_DIR") or ROOT / ".local-state")


@dataclass(frozen=True)
class StackInfo:
    pid: int
    moto_port: int
    api_port: int
    api_url: str
    moto_url: str

    def is_running(self) -> bool:
        try:
            os.kill(self.pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:  # another user's process: alive
            pass
        with socket.socket() as sock:
            sock.settimeout(1)
            return sock.connect_ex(("127.0.0.1", self.api_port)) == 0


def write(info: StackInfo, directory: Path | None = None) -> Path:
    path = (directory or state_dir()) / STACK_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_text(json.dumps(asdict(info), indent=2) + "\n")
    os.replace(temporary, path)
    return path


def read(directory: Path | None = None) -> StackInfo | None:
    """The stack `stack.json` describes, if that stack still runs."""
    path = (directory or state_dir()) / STACK_FILE
    try:
        info = StackInfo(**json.loads(path.read_text()))
    except (OSError, ValueError, TypeError):
        return None
    return info if info.is_running() else None


def remove(pid: int, directory: Path | None = None) -> None:
    """Remove `stack.json` if it is still this process's."""
    path = (directory or state_dir()) / STACK_FILE
    try:
        if json.loads(path.read_text()).get("pid") == pid:
            path.unlink()
    except (OSError, ValueError):
        pass


class NoStackError(SystemExit):
    def __init__(self) -> None:
        print(f"error: no local stack is running (no live {state_dir() / STACK_FILE}); start one with `make run`",
              file=sys.stderr)
        super().__init__(2)


def find_running_stack() -> tuple[int, int]:
    """(moto port, API port) of the stack to talk to: MOTO_PORT and PORT when both are set, else the running
    stack's from `stack.json`; exits with a clear message when no stack runs."""
    if os.environ.get("MOTO_PORT") and os.environ.get("PORT"):
        return int(os.environ["MOTO_PORT"]), int(os.environ["PORT"])
    info = read()
    if info is None:
        raise NoStackError()
    return info.moto_port, info.api_port


def against_running_stack(command: Callable[[], int]) -> int:
    """Point this process at the running stack and run `command` (the helper commands' exit code); a stack that
    is not there (any more) is reported in one line with status 2, not a traceback."""
    from botocore.exceptions import EndpointConnectionError

    from infra.local import environment

    environment.apply(*find_running_stack())
    try:
        return command()
    except EndpointConnectionError:
        print(f"error: no local stack on port {environment.moto_port()}; start it with `make run`", file=sys.stderr)
        return 2
