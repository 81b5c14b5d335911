"""Staff console: the bytes of its first load, and the API calls the customer list's first page makes.

Weight: `GET /app/` through the app in-process, then every style sheet and script the shell names and every ES
module those scripts import (followed through their `import ... from './x.js'` statements), as served: what a
browser loads before the console shows anything. Goal: at most 250 KB (256,000 bytes) of HTML, JS and CSS before
compression, so the first view is quick on a phone without a build step.

API calls: Debian's chromium (driven by Playwright) signs in on a real local stack (the program `make run`
starts) with a one-time login URL, and the customer list's first page is counted: every request to the API
except the sign-in exchange and the console's own files. Goal: at most 3 (today: the customers and the groups
for the filter). A count, not a time. Without chromium the count is reported as not measured.
"""

from __future__ import annotations

import gzip
import re
import shutil
from typing import Any
from urllib.parse import urljoin, urlsplit

from bench.portal import assets_of
from bench.report import Figure, part

GOAL_BYTES = 256_000
GOAL_CALLS = 3
_IMPORT = re.compile(r"""(?:^|[;\s])(?:import|export)\s[^'"]*?from\s*['"](\.{1,2}/[^'"]+)['"]""", re.MULTILINE)


def module_imports(source: str) -> list[str]:
    """The relative module specifiers a script imports statically."""
    return _IMPORT.findall(source)


def first_load(client: Any) -> dict[str, int]:
    """Bytes of the console's shell and of everything it loads, by path."""
    shell = client.get("/app/")
    if shell.status != 200:
        raise RuntimeError(f"GET /app/ answered {shell.status}")
    sizes = {"/app/": len(shell.body)}
    pending = [urlsplit(urljoin("/app/", url)).path for url in assets_of(shell.body.decode())]
    while pending:
        path = pending.pop()
        if path in sizes:
            continue
        reply = client.get(path)
        if reply.status != 200:
            raise RuntimeError(f"GET {path} answered {reply.status}")
        sizes[path] = len(reply.body)
        if path.endswith(".js"):
            pending += [urlsplit(urljoin(path, spec)).path for spec in module_imports(reply.body.decode())]
    return sizes


def weight_figure(client: Any) -> Figure:
    sizes = first_load(client)
    total = sum(sizes.values())
    largest = sorted(sizes.items(), key=lambda item: -item[1])[:4]
    return Figure(name="Staff console first load: HTML, JS and CSS", value=total, unit="bytes",
                  goal=f"≤ {GOAL_BYTES:,} bytes", ok=total <= GOAL_BYTES,
                  details=f"{len(sizes)} files; largest: " + ", ".join(
                      f"{path.rsplit('/', 1)[-1]} {size:,}" for path, size in largest))


def customer_list_calls() -> Figure:
    name = "Staff console: API calls of the customer list's first page"
    if shutil.which("chromium") is None:
        return Figure(name=name, value="not measured", unit="", goal=f"≤ {GOAL_CALLS}", ok=None,
                      details="Debian's chromium is missing (make test installs it)")
    import os
    import subprocess
    import sys

    from playwright.sync_api import sync_playwright

    from tests.e2e.conftest import ROOT, start_stack

    stack = start_stack()
    try:
        def cli(*arguments: str) -> str:
            result = subprocess.run([sys.executable, "-m", "infra.local.cli", *arguments], cwd=ROOT,  # noqa: S603
                                    env=stack.environment(), capture_output=True, text=True, timeout=60, check=True)
            return result.stdout.strip().splitlines()[-1]

        account = f"bench-console-{os.urandom(3).hex()}"
        cli("account", "--id", account, "--plan", "team")
        login = cli("login", "--id", account)
        calls: list[str] = []
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=shutil.which("chromium"), headless=True,
                                                 args=["--headless", "--no-sandbox", "--disable-gpu"])
            page = browser.new_page(locale="de-DE")

            def record(request: Any) -> None:
                path = request.url[len(stack.api_url):]
                if (request.url.startswith(stack.api_url) and request.resource_type in ("fetch", "xhr")
                        and not path.startswith(("/app/", "/_local/login"))):
                    calls.append(f"{request.method} {path.split('?')[0]}")

            page.on("request", record)
            page.goto(login)
            page.get_by_role("heading", name="Kundenverwaltung").wait_for()
            page.wait_for_load_state("networkidle")
            browser.close()
    finally:
        stack.stop()
    return Figure(name=name, value=len(calls), unit="requests", goal=f"≤ {GOAL_CALLS}", ok=len(calls) <= GOAL_CALLS,
                  details=", ".join(calls))


def measure_weight() -> tuple[Figure, int]:
    from bench.stack import in_process_stack

    with in_process_stack() as stack:
        client = stack.api()
        figure = weight_figure(client)
        compressed = sum(len(gzip.compress(client.get(path).body)) for path in first_load(client))
    return figure, compressed


def run(quick: bool = False) -> dict[str, Any]:
    weight, compressed = measure_weight()
    weight.details += f"; {compressed:,} gzipped"
    return part("Staff console", {"quick": quick}, [weight, customer_list_calls()])
