"""The local stack's speed as data grows: `POST /customers` and `GET /customers?q=` over HTTP at 100 and at
10,000 customers.

The stack is the one `make run` starts (infra/local/stack.py: moto's server and the API served over
loopback in one process, moto patched by infra/local/moto_patches.py), on free ports, keeping no data and
without the event pumps (neither operation sends events). One account is seeded with 100 customers
(bench/seeding.py: the items the repositories write, put straight into moto's table), then requests are
made one at a time over HTTP: a create, then a search for the surname only one customer has, again and
again. Then the account grows to 10,000 customers, and the same requests are made again.

Goal: each operation's median at 10,000 customers is at most 1.5 times its median at 100, measured as the CPU
time the stack's process spent on the request (moto, the API and the client all run in it, and nothing else
does: unlike wall time, CPU time does not grow when other processes share the cores; wall-clock medians and
p95 are given beside it). moto
copied every table a transaction names and sorted the whole table for every query, so a request cost time
in proportion to everything stored (about 2 s per create at 1,500 customers); the patches make it cost
what it touches. The answers are compared too: the search finds the one customer at both sizes.
"""

from __future__ import annotations

import contextlib
import socket
import statistics
import time
from typing import Any

from bench.report import Figure, part

FULL = {"sizes": (100, 10_000), "requests": 40}
QUICK = {"sizes": (100, 1_000), "requests": 15}
WARM_UP = 10  # the first requests of a process pay for imports, caches and compiled patterns
LIMIT = 1.5


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def grow(stack: Any, account_id: str, group_ids: list[str], have: int, size: int) -> None:
    """Customers `have + 1` to `size` of the seed's register, straight into moto's table (under the
    server's lock), leaving out a second customer with the unique name."""
    from bench import seeding
    from bench.moto_speed import patched
    from chalicelib.storage import keys
    from chalicelib.storage.tables import main_table

    unique = " ".join(seeding.UNIQUE_NAME)
    items: list[dict[str, Any]] = []
    for customer in seeding.customers(account_id, size, group_ids):
        if customer.number > have and customer.name != unique:
            items += seeding.customer_items(account_id, customer)
    exclusive = getattr(stack.moto_server, "exclusive", None)
    with (exclusive() if exclusive else contextlib.nullcontext()), patched():
        seeding.put_in_process(items)
    # Numbers above every seeded one for the customers created next.
    main_table().update(keys.account(account_id), "SET customer_seq = :seq ADD customers_count :n",
                        values={":seq": size + 1_000, ":n": size - have})


class Stopwatch:
    """Wall time and this process's CPU time (every thread: moto, the API, the client) of a block, in ms."""

    def __enter__(self) -> Stopwatch:
        self._wall, self._cpu = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *exc: object) -> None:
        self.wall = (time.perf_counter() - self._wall) * 1000
        self.cpu = (time.process_time() - self._cpu) * 1000


def timed_requests(api_url: str, token: str, requests: int, round_label: str) -> dict[str, dict[str, list[float]]]:
    """Wall and CPU milliseconds of `requests` creates and as many searches, alternating, after a few
    unmeasured ones."""
    import requests as http

    from bench.seeding import UNIQUE_NAME

    measured: dict[str, dict[str, list[float]]] = {op: {"wall": [], "cpu": []} for op in ("create", "search")}
    with http.Session() as session:
        session.headers["Authorization"] = f"Bearer {token}"
        for number in range(WARM_UP + requests):
            with Stopwatch() as create:
                created = session.post(f"{api_url}/customers", json={
                    "name": f"Lena Vogt {round_label}-{number}",
                    "email": f"lena.vogt.{round_label}.{number}@example.de", "company": "Vogt Steuerberatung"})
            if created.status_code != 201:
                raise RuntimeError(f"POST /customers answered {created.status_code}: {created.text[:300]}")
            with Stopwatch() as search:
                found = session.get(f"{api_url}/customers", params={"q": UNIQUE_NAME[-1], "limit": 50})
            if found.status_code != 200 or len(found.json()["items"]) != 1:
                raise RuntimeError(f"the search did not find the one customer: {found.status_code} {found.text[:300]}")
            if number >= WARM_UP:
                for operation, watch in (("create", create), ("search", search)):
                    measured[operation]["wall"].append(watch.wall)
                    measured[operation]["cpu"].append(watch.cpu)
    return measured


def run(quick: bool = False) -> dict[str, Any]:
    from bench import seeding
    from bench.stack import _QUIET, _app_output_filtered, environment
    from chalicelib.auth.tokens import issue_token
    from infra.local.environment import local_environment
    from infra.local.stack import LocalStack

    plan = QUICK if quick else FULL
    small, large = plan["sizes"]
    moto_port, api_port = free_port(), free_port()
    account_id = "bench-local"
    measured: dict[int, dict[str, dict[str, list[float]]]] = {}
    seeding_seconds: dict[int, float] = {}
    with environment({**local_environment(moto=moto_port, api=api_port), **_QUIET}), _app_output_filtered():
        stack = LocalStack(moto_port, api_port).start(queue_handlers={})
        try:
            started = time.perf_counter()
            register = seeding.seed_register(account_id, small)
            seeding_seconds[small] = round(time.perf_counter() - started, 1)
            token = issue_token(account_id, "bench-admin", "admin")
            measured[small] = timed_requests(stack.api_url, token, plan["requests"], "s")
            started = time.perf_counter()
            grow(stack, account_id, register.group_ids, small, large)
            seeding_seconds[large] = round(time.perf_counter() - started, 1)
            measured[large] = timed_requests(stack.api_url, token, plan["requests"], "l")
        finally:
            stack.stop()

    figures = []
    for operation, label in (("create", "POST /customers"), ("search", "GET /customers?q= (one match)")):
        low, high = (statistics.median(measured[size][operation]["cpu"]) for size in (small, large))
        wall_low, wall_high = (statistics.median(measured[size][operation]["wall"]) for size in (small, large))
        ratio = high / low
        figures.append(Figure(
            name=f"Local stack, {label}: median CPU time at {large:,} / at {small:,} customers",
            value=round(ratio, 2), unit="x", goal=f"<= {LIMIT}", ok=ratio <= LIMIT, timed=True,
            details=f"{plan['requests']} requests each; median CPU {low:.0f} ms and {high:.0f} ms; wall clock: "
                    f"medians {wall_low:.0f} ms and {wall_high:.0f} ms ({wall_high / wall_low:.2f} x), p95 "
                    f"{percentile(measured[small][operation]['wall'], 95):.0f} ms and "
                    f"{percentile(measured[large][operation]['wall'], 95):.0f} ms"))
    return part("Local stack over HTTP", {"quick": quick, "sizes": f"{small:,} and {large:,}",
                                          "requests per operation and size": plan["requests"],
                                          "seeding seconds": seeding_seconds}, figures)


def percentile(values: list[float], share: int) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share / 100 * (len(ordered) - 1)))]
