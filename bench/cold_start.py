"""Cold start: `python -c "import app"` against `python -c "import boto3"`, in fresh interpreters.

A Lambda cold start pays for the interpreter and the imports of the handler module. Every function needs
boto3 sooner or later, so `import boto3` is the yardstick: the app's import, which does not load boto3
itself (clients are made on first use), should cost at most 1.3 times that. Runs come in pairs, the order
alternating from pair to pair, with an empty environment but PATH (as `import app` must work without any
configuration); the figure is the median of the pairs' ratios, which the machine's speed and load cancel
out of. The same pairs once more, each interpreter leaving by `os._exit` right after the import, show the
share of interpreter shutdown (freeing every object), which `python -c` pays and a Lambda never does. A
third figure checks that nothing heavy happens at import: no boto3 client, no boto3 session or client
machinery, no XlsxWriter, no moto.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from typing import Any

from bench.report import ROOT, Figure, part

FULL = {"pairs": 15}
QUICK = {"pairs": 7}
RATIO_GOAL = 1.3
#: Modules `import app` must not load: a client's machinery, the spreadsheet writer, test doubles.
HEAVY_MODULES = ("boto3", "botocore.session", "botocore.client", "s3transfer", "xlsxwriter", "moto")
_INSPECT = (
    "import json, sys, app\n"
    "from chalicelib import aws\n"
    f"heavy = [m for m in {HEAVY_MODULES!r} if m in sys.modules]\n"
    "print(json.dumps({'heavy': heavy, 'clients': sorted(aws._clients)}))\n"
)


def _empty_environment() -> dict[str, str]:
    return {"PATH": os.environ.get("PATH", "/usr/bin:/bin")}


def run_import(statement: str) -> float:
    """Seconds for a fresh interpreter to run `statement` and exit."""
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", statement], cwd=ROOT, env=_empty_environment(), check=True,  # noqa: S603
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - started


def import_ratios(pairs: int, suffix: str = "") -> tuple[list[float], list[float], list[float]]:
    """(ratios, app seconds, boto3 seconds) of `pairs` paired runs, the first of each pair alternating;
    `suffix` follows each import statement."""
    ratios, app_times, boto_times = [], [], []
    app, boto = f"import app{suffix}", f"import boto3{suffix}"
    run_import(app)  # warm the file cache and the bytecode once, as a deployed package would be
    run_import(boto)
    for index in range(pairs):
        if index % 2 == 0:
            app_seconds = run_import(app)
            boto_seconds = run_import(boto)
        else:
            boto_seconds = run_import(boto)
            app_seconds = run_import(app)
        ratios.append(app_seconds / boto_seconds)
        app_times.append(app_seconds)
        boto_times.append(boto_seconds)
    return ratios, app_times, boto_times


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


def run(quick: bool = False) -> dict[str, Any]:
    plan = QUICK if quick else FULL
    ratios, app_times, boto_times = import_ratios(plan["pairs"])
    ratio = statistics.median(ratios)
    bare_ratios, bare_app, bare_boto = import_ratios(plan["pairs"], suffix="; import os; os._exit(0)")
    bare_ratio = statistics.median(bare_ratios)
    costly = ", ".join(f"{name} {ms:.0f} ms" for name, ms in costliest_imports())
    footprint = import_footprint()
    heavy = footprint["heavy"] + [f"client {name}" for name in footprint["clients"]]
    figures = [
        Figure(name="Cold start: import app / import boto3 (median of paired runs)", value=round(ratio, 2),
               unit="x", goal=f"<= {RATIO_GOAL}", ok=ratio <= RATIO_GOAL,
               details=(f"{plan['pairs']} pairs, ratios {min(ratios):.2f}-{max(ratios):.2f}; medians "
                        f"{statistics.median(app_times) * 1000:.0f} ms and {statistics.median(boto_times) * 1000:.0f}"
                        f" ms on this machine; costliest imports of app (-X importtime): {costly}"),
               timed=True),
        Figure(name="Cold start without interpreter shutdown (os._exit after the import): app / boto3",
               value=round(bare_ratio, 2), unit="x", goal="-", ok=None, timed=True,
               details=(f"what a Lambda pays, which never shuts its interpreter down; {plan['pairs']} pairs, ratios "
                        f"{min(bare_ratios):.2f}-{max(bare_ratios):.2f}; medians "
                        f"{statistics.median(bare_app) * 1000:.0f} ms and {statistics.median(bare_boto) * 1000:.0f} "
                        "ms")),
        Figure(name="Cold start: heavy things done by import app", value=len(heavy), unit="",
               goal="0", ok=not heavy,
               details=("none of " + ", ".join(HEAVY_MODULES) + " loaded, no boto3 client made") if not heavy
               else "loaded or made: " + ", ".join(heavy)),
    ]
    return part("Cold start", {"quick": quick, **plan}, figures)
