"""`make bench`: every benchmark part in turn, a table on the way, `docs/benchmarks.md` at the end.

    python -m bench [--quick] [--only cold_start,search_cost,...] [--json FILE] [--no-write]

The full run rewrites docs/benchmarks.md; the quick variant (smaller sizes, the same budgets) only prints,
unless `--write` is given. The exit status is 1 if any budget is broken or a part failed to run.
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
import time
import traceback
from pathlib import Path
from typing import Any

from bench.report import DOCUMENT, Figure, broken, format_table, machine, markdown, part

#: In the order they run: the cold start first, while nothing of the app is loaded or cached yet, the
#: exports (two processes besides this one, half a gigabyte of files) last.
PARTS = ("cold_start", "dynamo_cost", "search_cost", "reminders_cost", "local_stack", "events", "portal", "console",
         "exports")


def about(module: Any) -> str:
    """What a part measures and why its goals are what they are: its docstring, without usage lines."""
    paragraphs = (module.__doc__ or "").strip().split("\n\n")
    return "\n\n".join(p for p in paragraphs if not p.startswith(("    ", "`run(")))


def run_part(name: str, quick: bool) -> dict[str, Any]:
    started = time.perf_counter()
    try:
        module = importlib.import_module(f"bench.{name}")
        result = module.run(quick=quick)
        result["about"] = about(module)
    except Exception as exc:  # a part that cannot run is a broken budget, and the others still run
        traceback.print_exc()
        result = part(name, {"quick": quick}, [Figure(name=f"{name} ran", value="failed", unit="", goal="runs",
                                                      ok=False, details=f"{type(exc).__name__}: {exc}")])
    result["seconds"] = time.perf_counter() - started
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="smaller sizes, the same budgets")
    parser.add_argument("--only", help=f"comma-separated parts to run (of {', '.join(PARTS)})")
    parser.add_argument("--json", type=Path, help="also write every figure to this JSON file")
    writing = parser.add_mutually_exclusive_group()
    writing.add_argument("--write", action="store_true", help="rewrite docs/benchmarks.md after a quick run too")
    writing.add_argument("--no-write", action="store_true", help="do not rewrite docs/benchmarks.md")
    arguments = parser.parse_args(argv)
    names = PARTS if not arguments.only else tuple(n.strip() for n in arguments.only.split(",") if n.strip())
    unknown = [n for n in names if n not in PARTS]
    if unknown:
        parser.error(f"unknown parts: {', '.join(unknown)} (known: {', '.join(PARTS)})")

    info = machine()
    started = time.perf_counter()
    print(f"Benchmarks ({'quick' if arguments.quick else 'full'}) on {info['cpu']}, {info['cores']} cores", flush=True)
    parts = []
    for name in names:
        result = run_part(name, arguments.quick)
        parts.append(result)
        print(format_table([result]), flush=True)
    seconds = time.perf_counter() - started

    failures = broken(parts)
    print(f"\n{len(failures)} budget(s) broken" + (": " + "; ".join(f["name"] for f in failures) if failures else "")
          + f" ({seconds / 60:.1f} minutes)")
    if arguments.json:
        arguments.json.write_text(json.dumps({"machine": info, "quick": arguments.quick, "seconds": seconds,
                                              "parts": parts}, indent=2))
    complete = names == PARTS
    if (arguments.write or not arguments.quick) and not arguments.no_write:
        if complete:
            DOCUMENT.write_text(markdown(parts, info, arguments.quick, seconds))
            print(f"Wrote {DOCUMENT.relative_to(DOCUMENT.parents[1])}")
        else:
            print("Not writing docs/benchmarks.md: only some parts ran.")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
