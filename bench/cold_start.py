"""Cold start: `python -c "import app"` against `python -c "import boto3"`, in fresh interpreters.

A Lambda cold start pays for the interpreter and the imports of the handler module. Every function needs
boto3 sooner or later, so `import boto3` is the yardstick: the app's import, which does not load boto3
itself (clients are made on first use), should cost at most 1.3 times that. Runs come in pairs, the order
alternating from pair to pair, with an empty environment but PATH (as `import app` must work without any
configuration); the figure is the median of the pairs' ratios. Each run is measured by the CPU time the
interpreter used (user + system, from `wait4`): a cold start is CPU-bound, and unlike wall time the CPU
time does not double when other processes share the cores (wall-clock ratios are given beside it).

The same pairs once more, each interpreter leaving by `os._exit` right after the import, show the share of
interpreter shutdown (freeing every object), which `python -c` pays and a Lambda never does. A third
figure checks that nothing heavy happens at import: no boto3 client, no boto3 session or client machinery,
no XlsxWriter, no moto.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from typing import Any

from bench.report import ROOT, Figure, part

FULL = {"pairs": 15}
QUICK = {"pairs": 7}
RATIO_GOAL = 1.3
#: Modules `import app` must not load: a client's machinery, the spreadsheet writer, test doubles, and
#: pydantic's plugin loader (with importlib.metadata), which loads when a model builds its validator at import
#: instead of on first use (a model without `defer_build`, or an instance made at class definition).
HEAVY_MODULES = ("boto3", "botocore.session", "botocore.client", "s3transfer", "xlsxwriter", "moto",
                 "pydantic.plugin._loader")
_INSPECT = (
    "import json, sys, app\n"
    "from chalicelib import aws\n"
    f"heavy = [m for m in {HEAVY_MODULES!r} if m in sys.modules]\n"
    "print(json.dumps({'heavy': heavy, 'clients': sorted(aws._clients)}))\n"
)


def _empty_environment() -> dict[str, str]:
    return {"PATH": os.environ.get("PATH", "/usr/bin:/bin")}


@dataclass
class Run:
    cpu: float
    wall: float


def run_import(statement: str) -> Run:
    """CPU and wall seconds of a fresh interpreter running `statement` and exiting."""
    started = time.perf_counter()
    child = subprocess.Popen([sys.executable, "-c", statement], cwd=ROOT, env=_empty_environment(),  # noqa: S603
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - started
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode != 0:
        raise RuntimeError(f"python -c {statement!r} failed with exit code {child.returncode}")
    return Run(cpu=usage.ru_utime + usage.ru_stime, wall=wall)


@dataclass
class Pairs:
    app: list[Run] = field(default_factory=list)
    boto: list[Run] = field(default_factory=list)

    def ratio(self, measure: str = "cpu") -> float:
        """The median of the pairs' app/boto3 ratios."""
        return statistics.median(getattr(a, measure) / getattr(b, measure) for a, b in zip(self.app, self.boto,
                                                                                            strict=True))

    def spread(self, measure: str = "cpu") -> str:
        ratios = [getattr(a, measure) / getattr(b, measure) for a, b in zip(self.app, self.boto, strict=True)]
        return f"{min(ratios):.2f}-{max(ratios):.2f}"

    def median_ms(self, side: str, measure: str = "cpu") -> float:
        return statistics.median(getattr(run, measure) for run in getattr(self, side)) * 1000


def import_pairs(pairs: int, suffix: str = "") -> Pairs:
    """`pairs` paired runs, the first of each pair alternating; `suffix` follows each import statement."""
    found = Pairs()
    app, boto = f"import app{suffix}", f"import boto3{suffix}"
    run_import(app)  # warm the file cache and the bytecode once, as a deployed package would be
    run_import(boto)
    for index in range(pairs):
        if index % 2 == 0:
            found.app.append(run_import(app))
            found.boto.append(run_import(boto))
        else:
            found.boto.append(run_import(boto))
            found.app.append(run_import(app))
    return found


def costliest_imports(count: int = 6) -> list[tuple[str, float]]:
    """What `import app` spends its time on (`python -X importtime`), in ms: each top-level package with
    everything it imported first, and the app's own modules (`chalicelib`, their own time only)."""
    found = subprocess.run([sys.executable, "-X", "importtime", "-c", "import app"], cwd=ROOT,  # noqa: S603
                           env=_empty_environment(), capture_output=True, text=True, check=True)
    costs: dict[str, float] = {}
    for line in found.stderr.splitlines():
        fields = line.removeprefix("import time:").split("|")
        if len(fields) != 3 or not fields[0].strip().isdigit():
            continue
        own, cumulative, name = int(fields[0]), int(fields[1]), fields[2].strip()
        if name.startswith("chalicelib"):
            costs["chalicelib (own time)"] = costs.get("chalicelib (own time)", 0.0) + own / 1000
        elif "." not in name and name not in ("app", "site", "encodings") and name not in sys.stdlib_module_names:
            costs[name] = cumulative / 1000
    return sorted(costs.items(), key=lambda item: -item[1])[:count]


def import_footprint() -> dict[str, Any]:
    found = subprocess.run([sys.executable, "-c", _INSPECT], cwd=ROOT, env=_empty_environment(),  # noqa: S603
                           capture_output=True, text=True, check=True)
    return json.loads(found.stdout.strip().splitlines()[-1])


def _describe(pairs: Pairs, count: int) -> str:
    return (f"{count} pairs, CPU ratios {pairs.spread()}; median CPU {pairs.median_ms('app'):.0f} ms and "
            f"{pairs.median_ms('boto'):.0f} ms; wall-clock ratio {pairs.ratio('wall'):.2f} (medians "
            f"{pairs.median_ms('app', 'wall'):.0f} ms and {pairs.median_ms('boto', 'wall'):.0f} ms)")


def run(quick: bool = False) -> dict[str, Any]:
    plan = QUICK if quick else FULL
    whole = import_pairs(plan["pairs"])
    bare = import_pairs(plan["pairs"], suffix="; import os; os._exit(0)")
    ratio = whole.ratio()
    costly = ", ".join(f"{name} {ms:.0f} ms" for name, ms in costliest_imports())
    footprint = import_footprint()
    heavy = footprint["heavy"] + [f"client {name}" for name in footprint["clients"]]
    figures = [
        Figure(name="Cold start: import app / import boto3 (CPU time, median of paired runs)",
               value=round(ratio, 2), unit="x", goal=f"<= {RATIO_GOAL}", ok=ratio <= RATIO_GOAL, timed=True,
               details=f"{_describe(whole, plan['pairs'])}; costliest imports of app (-X importtime): {costly}"),
        Figure(name="Cold start without interpreter shutdown (os._exit after the import): app / boto3",
               value=round(bare.ratio(), 2), unit="x", goal="-", ok=None, timed=True,
               details=f"what a Lambda pays, which never shuts its interpreter down; {_describe(bare, plan['pairs'])}"),
        Figure(name="Cold start: heavy things done by import app", value=len(heavy), unit="",
               goal="0", ok=not heavy,
               details=("none of " + ", ".join(HEAVY_MODULES) + " loaded, no boto3 client made") if not heavy
               else "loaded or made: " + ", ".join(heavy)),
    ]
    return part("Cold start", {"quick": quick, **plan}, figures)
