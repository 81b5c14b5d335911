"""A bounded load test against a running local stack, over loopback HTTP only (what clients do).

Setup: a `team` account (no customer limit), CUSTOMERS customers, each with an upload link. Then `clients`
threads share a budget of `requests` requests, each picking by weight:

- reads: the customer list, a search, one customer, a customer's files, the account, a portal context;
- writes: a new customer, a changed customer;
- presigns: `POST /p/{token}/uploads`;
- uploads: the browser's POST to S3 (moto) with a presign taken earlier (a presign first, if none waits).

Every answer must be the expected 2xx. Afterwards, once the event pump has handled the S3 events, nothing
may be lost: every uploaded file is recorded as stored under its customer, each customer's `files_count`
and `bytes` and the account's `used_bytes` equal what was uploaded, and no event is left in a queue or in a
dead-letter queue.
"""

from __future__ import annotations

import collections
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import requests

CUSTOMERS = 40
WEIGHTS = {"read": 45, "write": 20, "presign": 17, "upload": 18}
#: How long the event pump may take to catch up after the load. On the one-process local stack it shares one
#: core with moto and the API, so it falls behind while ten clients keep moto busy.
SETTLE_SECONDS = 300


class LoadError(AssertionError):
    """The load test found errors or lost something."""


@dataclass
class Upload:
    customer_id: str
    file_id: str
    size: int


@dataclass
class Result:
    clients: int
    requests: int
    seconds: float
    latencies: dict[str, list[float]]
    errors: list[str]
    uploads: int
    uploaded_bytes: int
    settled_seconds: float

    def percentile(self, values: list[float], share: float) -> float:
        ordered = sorted(values)
        return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))] * 1000 if ordered else 0.0

    def table(self) -> str:
        rows = [f"{'kind':<10} {'requests':>8} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8}"]
        every = [v for values in self.latencies.values() for v in values]
        for kind, values in [*sorted(self.latencies.items()), ("all", every)]:
            rows.append(f"{kind:<10} {len(values):>8} {self.percentile(values, 0.5):>8.1f} "
                        f"{self.percentile(values, 0.95):>8.1f} {max(values, default=0) * 1000:>8.1f}")
        rows.append(f"{self.requests} requests from {self.clients} clients in {self.seconds:.1f} s "
                    f"({self.requests / self.seconds:.0f}/s); {len(self.errors)} errors; {self.uploads} uploads "
                    f"({self.uploaded_bytes} bytes), every one recorded and counted "
                    f"(checked {self.settled_seconds:.1f} s after the load)")
        return "\n".join(rows)


@dataclass
class Workload:
    api_url: str
    token: str
    clients: int
    requests: int
    seed: int = 1
    #: Messages still queued (events and jobs, visible or in flight), named in the report if anything is missing.
    queued: Callable[[], dict[str, int]] = dict
    customers: list[dict[str, str]] = field(default_factory=list)
    waiting: list[dict[str, Any]] = field(default_factory=list)  #: presigned, not uploaded yet
    uploads: list[Upload] = field(default_factory=list)
    latencies: dict[str, list[float]] = field(default_factory=lambda: collections.defaultdict(list))
    errors: list[str] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _budget: int = 0

    # --- HTTP ------------------------------------------------------------------------------------------

    def _call(self, session: requests.Session, kind: str, method: str, url: str, expect: int,
              **kwargs: Any) -> requests.Response | None:
        started = time.perf_counter()
        try:
            reply = session.request(method, url, timeout=30, **kwargs)
        except requests.RequestException as exc:
            with self._lock:
                self.errors.append(f"{kind} {method} {url}: {exc}")
            return None
        elapsed = time.perf_counter() - started
        with self._lock:
            self.latencies[kind].append(elapsed)
            if reply.status_code != expect:
                self.errors.append(f"{kind} {method} {url}: {reply.status_code} {reply.text[:200]}")
                return None
        return reply

    def _staff(self, session: requests.Session, kind: str, method: str, path: str, expect: int = 200,
               body: Any = None) -> requests.Response | None:
        return self._call(session, kind, method, f"{self.api_url}{path}", expect, json=body,
                          headers={"Authorization": f"Bearer {self.token}"})

    # --- the phases ------------------------------------------------------------------------------------

    def setup(self) -> None:
        with requests.Session() as session:
            self._setup(session)
        self.latencies.pop("setup", None)

    def _setup(self, session: requests.Session) -> None:
        for n in range(CUSTOMERS):
            customer = self._staff(session, "setup", "POST", "/customers", 201, {"name": f"Last Kunde {n}"})
            if customer is None:
                raise LoadError(f"setup failed: {self.errors}")
            link = self._staff(session, "setup", "POST", f"/customers/{customer.json()['id']}/links", 201,
                               {"areas": ["general"]})
            if link is None:
                raise LoadError(f"setup failed: {self.errors}")
            self.customers.append({"id": customer.json()["id"], "token": link.json()["url"].rsplit("/p/", 1)[1]})

    def _take_budget(self) -> bool:
        with self._lock:
            if self._budget >= self.requests:
                return False
            self._budget += 1
            return True

    def _client(self, number: int) -> None:
        # Sessions are closed at the end: a kept-alive connection holds a server thread the stack waits for.
        with requests.Session() as session:
            self._client_loop(session, random.Random(self.seed * 1000 + number))

    def _client_loop(self, session: requests.Session, rng: random.Random) -> None:
        kinds, weights = zip(*WEIGHTS.items(), strict=True)
        while self._take_budget():
            kind = rng.choices(kinds, weights)[0]
            customer = rng.choice(self.customers)
            if kind == "read":
                self._read(session, rng, customer)
            elif kind == "write":
                self._write(session, rng, customer)
            elif kind == "presign":
                self._presign(session, rng, customer)
            else:
                with self._lock:
                    waiting = self.waiting.pop(rng.randrange(len(self.waiting))) if self.waiting else None
                if waiting is None:
                    self._presign(session, rng, customer)  # counted as a presign; the upload comes later
                else:
                    self._upload(session, waiting)

    def _read(self, session: requests.Session, rng: random.Random, customer: dict[str, str]) -> None:
        choice = rng.randrange(6)
        if choice == 0:
            self._staff(session, "read", "GET", "/customers?limit=20")
        elif choice == 1:
            self._staff(session, "read", "GET", "/customers?q=kunde&limit=10")
        elif choice == 2:
            self._staff(session, "read", "GET", f"/customers/{customer['id']}")
        elif choice == 3:
            self._staff(session, "read", "GET", f"/customers/{customer['id']}/files")
        elif choice == 4:
            self._staff(session, "read", "GET", "/account")
        else:
            self._call(session, "read", "GET", f"{self.api_url}/p/{customer['token']}/context", 200)

    def _write(self, session: requests.Session, rng: random.Random, customer: dict[str, str]) -> None:
        if rng.random() < 0.5:
            self._staff(session, "write", "POST", "/customers", 201, {"name": f"Neu {rng.randrange(10**6)}"})
        else:
            self._staff(session, "write", "PATCH", f"/customers/{customer['id']}", 200,
                        {"notes": f"Notiz {rng.randrange(10**6)}"})

    def _presign(self, session: requests.Session, rng: random.Random, customer: dict[str, str]) -> None:
        size = rng.randrange(1_000, 20_000)
        reply = self._call(session, "presign", "POST", f"{self.api_url}/p/{customer['token']}/uploads", 201,
                           json={"filename": "beleg.pdf", "size": size, "content_type": "application/pdf"})
        if reply is not None:
            with self._lock:
                self.waiting.append({**reply.json(), "customer_id": customer["id"], "size": size})

    def _upload(self, session: requests.Session, presigned: dict[str, Any]) -> None:
        content = b"%PDF-1.7 " + bytes([presigned["size"] % 251]) * (presigned["size"] - 9)
        reply = self._call(session, "upload", "POST", presigned["url"], 204, data=presigned["fields"],
                           files={"file": ("beleg.pdf", content, "application/pdf")})
        if reply is not None:
            with self._lock:
                self.uploads.append(Upload(presigned["customer_id"], presigned["file_id"], len(content)))

    def run(self) -> Result:
        self.setup()
        started = time.perf_counter()
        threads = [threading.Thread(target=self._client, args=(n,), name=f"load-{n}") for n in range(self.clients)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        seconds = time.perf_counter() - started
        settled = self.check_nothing_lost()
        return Result(clients=self.clients, requests=self._budget, seconds=seconds, latencies=dict(self.latencies),
                      errors=list(self.errors), uploads=len(self.uploads),
                      uploaded_bytes=sum(u.size for u in self.uploads), settled_seconds=settled)

    # --- nothing lost ----------------------------------------------------------------------------------

    def check_nothing_lost(self) -> float:
        """Wait for the event pump, then compare every customer's files and counters with the uploads; the
        seconds it took the last events to be handled."""
        with requests.Session() as session:
            return self._check_nothing_lost(session)

    def _check_nothing_lost(self, session: requests.Session) -> float:
        expected: dict[str, dict[str, int]] = collections.defaultdict(dict)
        for upload in self.uploads:
            expected[upload.customer_id][upload.file_id] = upload.size
        started = time.perf_counter()
        problems: list[str] = []
        while True:
            problems = []
            for customer in self.customers:
                want = expected.get(customer["id"], {})
                listed = self._all_files(session, customer["id"])
                got = {f["id"]: f["size"] for f in listed if f["review"] != "rejected"}
                rejected = [f["id"] for f in listed if f["review"] == "rejected"]
                if got != want or rejected:
                    problems.append(f"customer {customer['id']}: {len(got)} of {len(want)} files recorded"
                                    + (f", rejected: {rejected}" if rejected else ""))
                    continue
                record = self._staff(session, "check", "GET", f"/customers/{customer['id']}").json()
                if (record["files_count"], record["bytes"]) != (len(want), sum(want.values())):
                    problems.append(f"customer {customer['id']}: counters {record['files_count']}/{record['bytes']}")
            used = self._staff(session, "check", "GET", "/account").json()["used_bytes"]
            total = sum(u.size for u in self.uploads)
            if used != total:
                problems.append(f"used_bytes {used} != {total} uploaded")
            if not problems or time.perf_counter() - started > SETTLE_SECONDS:
                break
            time.sleep(0.5)
        self.latencies.pop("check", None)
        if problems:
            raise LoadError(f"lost or miscounted {SETTLE_SECONDS} s after the load (still queued: {self.queued()}):\n"
                            + "\n".join(problems[:20]))
        return time.perf_counter() - started

    def _all_files(self, session: requests.Session, customer_id: str) -> list[dict[str, Any]]:
        files, cursor = [], None
        while True:
            path = f"/customers/{customer_id}/files?limit=200" + (f"&cursor={cursor}" if cursor else "")
            page = self._staff(session, "check", "GET", path)
            if page is None:
                raise LoadError(f"listing files failed: {self.errors[-1:]}")
            files += page.json()["items"]
            cursor = page.json()["next_cursor"]
            if not cursor:
                return files
