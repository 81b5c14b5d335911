"""The code base lints clean with the rules in pyproject.toml (ruff, and mypy strict on app.py and chalicelib/),
so style and types never drift between stops."""

from __future__ import annotations

import ast
import hashlib
import re
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


def test_no_function_in_chalicelib_is_longer_than_60_lines() -> None:
    """A function that long does several things; give each a name (ruff's C901 bounds the branches, this the
    length)."""
    too_long = []
    for path in sorted((ROOT / "chalicelib").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.end_lineno is not None:
                length = node.end_lineno - node.lineno + 1
                if length > 60:
                    too_long.append(f"{path.relative_to(ROOT)}:{node.lineno} {node.name} ({length} lines)")
    assert too_long == []


def test_every_type_ignore_in_the_checked_code_says_why() -> None:
    """`# type: ignore[code]  # why`: mypy insists on the code (ignore-without-code), this on the reason."""
    unexplained = []
    for path in [ROOT / "app.py", *sorted((ROOT / "chalicelib").rglob("*.py"))]:
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if "type: ignore" in line and not re.search(r"# type: ignore\[[a-z, -]+\]  # \S", line):
                unexplained.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert unexplained == []
