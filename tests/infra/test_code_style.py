"""The code base lints clean with the rules in pyproject.toml (ruff, and mypy strict on app.py and chalicelib/),
so style and types never drift between stops."""

from __future__ import annotations

import hashlib
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
#: mypy's cache outside the checkout, one per checkout: a warm run takes a second or two, a cold one ~15 s.
MYPY_CACHE = Path(tempfile.gettempdir()) / f"dossier-mypy-{hashlib.sha256(str(ROOT).encode()).hexdigest()[:12]}"


def test_ruff_finds_nothing() -> None:
    checked = subprocess.run([sys.executable, "-m", "ruff", "check", "--no-cache", "."], cwd=ROOT,
                             capture_output=True, text=True, check=False)
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_mypy_finds_nothing() -> None:
    checked = subprocess.run([sys.executable, "-m", "mypy", "--cache-dir", str(MYPY_CACHE)], cwd=ROOT,
                             capture_output=True, text=True, check=False)
    assert checked.returncode == 0, checked.stdout + checked.stderr
