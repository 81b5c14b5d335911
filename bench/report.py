"""Figures, the table `make bench` prints, and `docs/benchmarks.md`.

Every benchmark part returns `{"title", "settings", "figures": [Figure as dict], "seconds"}`; a figure
states its goal beside it and whether it was met (`ok`: True, False, or None for a figure without a goal).
"""

from __future__ import annotations

import datetime
import os
import platform
import subprocess
import textwrap
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
DOCUMENT = ROOT / "docs" / "benchmarks.md"


@dataclass
class Figure:
    name: str
    value: float | int | str
    unit: str
    goal: str
    ok: bool | None
    details: str = ""
    #: The value depends on time (and so on the machine's load): `make bench` checks it, the test suite not.
    timed: bool = False

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def part(title: str, settings: dict[str, Any], figures: list[Figure]) -> dict[str, Any]:
    return {"title": title, "settings": settings, "figures": [f.as_dict() for f in figures]}


def broken(parts: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The figures whose budget is broken."""
    return [f for p in parts for f in p["figures"] if f["ok"] is False]


# --- the machine ---


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _memory_gb() -> float | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    return None


def _commit() -> str:
    try:
        found = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,  # noqa: S607
                               text=True, timeout=10, check=False)
        return found.stdout.strip() or "unknown"
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def machine() -> dict[str, Any]:
    from importlib.metadata import version

    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return {
        "cpu": _cpu_model(),
        "cores": cores,
        "memory_gb": _memory_gb(),
        "python": platform.python_version(),
        "system": f"{platform.system()} {platform.release()}",
        "moto": version("moto"),
        "load_average": round(os.getloadavg()[0], 2) if hasattr(os, "getloadavg") else None,
        "commit": _commit(),
        "date": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC"),
    }


def describe_machine(info: dict[str, Any]) -> str:
    return (f"{info['cpu']}, {info['cores']} cores, {info['memory_gb']} GB memory; Python {info['python']} on "
            f"{info['system']}; moto {info['moto']}; load average {info['load_average']} at the start")


# --- the console table ---


def _value(figure: dict[str, Any]) -> str:
    value = figure["value"]
    if isinstance(value, float):
        value = f"{value:,.2f}" if abs(value) < 100 else f"{value:,.0f}"
    elif isinstance(value, int):
        value = f"{value:,}"
    return f"{value} {figure['unit']}".strip()


def _met(figure: dict[str, Any]) -> str:
    return {True: "ok", False: "BROKEN", None: "-"}[figure["ok"]]


def format_table(parts: list[dict[str, Any]], width: int = 118) -> str:
    """An aligned text table per part; details indented under each figure."""
    lines: list[str] = []
    for result in parts:
        lines += ["", f"== {result['title']} ({result.get('seconds', 0):.0f} s) =="]
        figures = result["figures"]
        name_width = min(64, max([len(f["name"]) for f in figures] + [11]))
        value_width = max([len(_value(f)) for f in figures] + [5])
        goal_width = max([len(f["goal"]) for f in figures] + [4])
        lines.append(f"{'measurement':<{name_width}}  {'value':>{value_width}}  {'goal':<{goal_width}}  met")
        for figure in figures:
            name = textwrap.shorten(figure["name"], name_width, placeholder="…")
            lines.append(f"{name:<{name_width}}  {_value(figure):>{value_width}}  {figure['goal']:<{goal_width}}  "
                         f"{_met(figure)}")
            if figure["details"]:
                lines += textwrap.wrap(figure["details"], width, initial_indent="    ", subsequent_indent="    ")
    return "\n".join(lines)


# --- docs/benchmarks.md ---

_HOW = """\
How the figures are taken (`bench/`): every figure is a count, or a ratio of two measurements taken side
by side in the same run, never a lone absolute time, so they mean the same on a laptop and in CI.
DynamoDB cost is counted on the app's own client with botocore event hooks (`bench/counting.py`): calls
per operation, items read (a Query's scanned items, a GetItem's item, a BatchGetItem's items) and items
written (one per Put/Update/Delete, a batch's requests, a transaction's actions). The app runs in-process
against moto, provisioned from `infra/template.yaml` as in the test suite; moto is made faster where the
cost is moto's own (`bench/moto_speed.py`), which changes no count. Registers of thousands of customers are
seeded with the items the repositories write (`bench/seeding.py`, checked against the API's own writes).
"""


def _cell(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def markdown(parts: list[dict[str, Any]], info: dict[str, Any], quick: bool, seconds: float) -> str:
    failures = broken(parts)
    goals = sum(1 for p in parts for f in p["figures"] if f["ok"] is not None)
    verdict = (f"**{len(failures)} of {goals} budgets broken**: " + "; ".join(f["name"] for f in failures)
               if failures else f"All {goals} budgets met.")
    lines = [
        "# Benchmarks",
        "",
        "Generated by `make bench` (`python -m bench`); do not edit by hand.",
        "",
        f"- Run: {info['date']}, commit {info['commit']}, {'quick variant' if quick else 'full run'}, "
        f"{seconds / 60:.1f} minutes",
        f"- Machine: {describe_machine(info)}",
        f"- Result: {verdict}",
        "",
        _HOW,
    ]
    for result in parts:
        lines += ["", f"## {result['title']}", ""]
        if result.get("about"):
            lines += [result["about"], ""]
        lines += ["| measurement | value | goal | met | details |", "|---|---:|---|---|---|"]
        for figure in result["figures"]:
            lines.append(f"| {_cell(figure['name'])} | {_cell(_value(figure))} | {_cell(figure['goal'])} | "
                         f"{_met(figure)} | {_cell(figure['details'])} |")
        settings = ", ".join(f"{k}: {v}" for k, v in result.get("settings", {}).items())
        if settings:
            lines += ["", f"Settings: {settings}. Part took {result.get('seconds', 0):.0f} s."]
    return "\n".join(lines) + "\n"
