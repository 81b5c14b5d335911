"""Benchmark of the exports: time and peak memory of the jobs that Lambda runs.

- the all-customers export as CSV and as XLSX, for two register sizes (1,000 and 10,000 customers with 20
  attributes each): goal linear time (the writer's time per 1,000 customers about the same at both sizes)
  and a peak of at most 256 MB;
- one customer's ZIP with 100 files of 5 MB each (500 MB): goal a peak of at most 128 MB.

moto runs as a server in a process of its own (so its copy of the data is not counted), seeded directly
with batch writes and PUTs (the API would cost minutes of moto transactions), and sped up where the cost
is moto's own (`bench/moto_speed.py`). Every measurement runs in a fresh process, started with `spawn`:
its peak resident set size (`VmHWM`, what Lambda's memory limit sees: interpreter, imports, buffers) is
the job's alone. (`ru_maxrss` would not do: Linux carries it over from the parent through fork and exec,
so a child would report at least the parent's size.) The job functions are the very ones the jobs handler
calls (`load_partition`, `customers.reads.all_customers`, `write_table_file`, `ExportFiles.upload`, as
`write_customer_table` strings them together, and `write_customer_archive`), reading from DynamoDB and
writing to S3.

The writer's time is its CPU time, without the time spent waiting for and decoding DynamoDB's pages: it is
what grows with the register, and unlike wall time it does not change with the machine's other load. The
reads are reported beside it, as DynamoDB calls and items (counted) and as wall time against moto (an
upper bound for AWS).

    python -m bench.exports [--quick] [--json]

`run(quick=False)` returns the figures as a dict for `make bench`.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import resource
import socket
import subprocess
import sys
import time
from typing import Any

from bench.report import ROOT, Figure, format_table, part

ATTRIBUTES = 20
FULL = {"customers": (1_000, 10_000), "files": 100, "file_mb": 5}
QUICK = {"customers": (500, 2_000), "files": 20, "file_mb": 5}
TABLE_PEAK_GOAL_MB = 256
ZIP_PEAK_GOAL_MB = 128
#: Time per 1,000 customers at the larger size over that at the smaller size; linear time stays near 1.
LINEAR_RATIO_GOAL = 1.5
_ATTRIBUTE_TYPES = ("text", "number", "decimal", "boolean", "date", "select", "multiline_text", "text", "number",
                    "decimal")


# --- the moto server and the seed data ---


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_moto(port: int) -> subprocess.Popen:
    """moto's server (the local stack's, requests applied one at a time) in a process of its own, with the
    benchmarks' speed-ups."""
    code = ("import sys, threading; from infra.local.moto_server import SerializedMotoServer; "
            "from bench.stack import apply_moto_patches; apply_moto_patches(); "
            f"s = SerializedMotoServer(ip_address='127.0.0.1', port={port}, verbose=False); s.start(); "
            "print('ready', flush=True); threading.Event().wait()")
    process = subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, stdout=subprocess.PIPE,  # noqa: S603
                               stderr=subprocess.DEVNULL, text=True)
    assert process.stdout is not None
    if process.stdout.readline().strip() != "ready":
        process.kill()
        raise RuntimeError("moto's server did not start")
    return process


def environment_for(port: int) -> dict[str, str]:
    from infra.local.environment import local_environment

    return {**local_environment(moto=port, api=1), "POWERTOOLS_LOG_LEVEL": "ERROR",
            "POWERTOOLS_METRICS_DISABLED": "true"}


def _use(environment: dict[str, str]) -> None:
    os.environ.update(environment)
    from chalicelib.runtime import reset_process_state

    reset_process_state()


def seed_register(account_id: str, customers: int) -> None:
    """An account with 20 customer attributes, three groups and `customers` customers with every value set."""
    from chalicelib import clock
    from chalicelib.accounts.models import Account
    from chalicelib.accounts.repository import AccountRepository
    from chalicelib.attributes.models import Attribute
    from chalicelib.attributes.repository import attribute_to_item
    from chalicelib.customers.models import Customer
    from chalicelib.customers.repository import customer_to_item
    from chalicelib.groups.models import Group
    from chalicelib.groups.repository import group_to_item
    from chalicelib.storage.tables import main_table

    now = clock.now_iso()
    AccountRepository().create(Account(id=account_id, name=f"Bench {account_id}", plan="team", created_at=now,
                                       updated_at=now))
    attributes = [Attribute(id=f"{index:028x}", scope="customer", name=f"Feld {index + 1}",
                            type=_ATTRIBUTE_TYPES[index % len(_ATTRIBUTE_TYPES)],
                            options=["Basis", "Premium"] if _ATTRIBUTE_TYPES[index % len(_ATTRIBUTE_TYPES)] == "select"
                            else [], created_at=now, updated_at=now) for index in range(ATTRIBUTES)]
    groups = [Group(id=f"{index + 100:028x}", name=name, created_at=now, updated_at=now)
              for index, name in enumerate(("VIP", "Bestand", "Neu"))]
    table = main_table()
    table.batch_write(puts=[attribute_to_item(account_id, a) for a in attributes]
                      + [group_to_item(account_id, g) for g in groups])

    samples = {"text": "Musterstraße 1, 10115 Berlin", "number": 42, "decimal": 1234.56, "boolean": True,
               "date": "1980-05-17", "select": "Premium", "multiline_text": "Erste Zeile\nZweite Zeile"}
    batch: list[dict[str, Any]] = []
    for number in range(1, customers + 1):
        customer = Customer(
            id=f"{number:012x}{number:016x}", number=number, name=f"Kundin {number:05d} Schmidt",
            email=f"kunde{number}@example.com", company=f"Firma {number % 97} GmbH", phone=f"+49 30 {number:07d}",
            notes="Ruft gern vormittags an. " * 4, status=("open", "partial", "complete")[number % 3],
            groups=[groups[number % 3].id], attributes={a.id: samples[a.type] for a in attributes},
            files_count=number % 5, bytes=(number % 5) * 250_000, last_upload_at=now if number % 5 else None,
            created_at=now, updated_at=now,
        )
        batch.append(customer_to_item(account_id, customer, search_keys=[]))
        if len(batch) == 500:
            table.batch_write(puts=batch)
            batch = []
    table.batch_write(puts=batch)


def seed_customer_files(account_id: str, files: int, file_mb: int) -> str:
    """A customer with `files` stored files of `file_mb` MB each; the customer's id."""
    from chalicelib import aws, clock
    from chalicelib.customers.models import Customer
    from chalicelib.customers.repository import customer_to_item
    from chalicelib.files.models import StoredFile, object_key
    from chalicelib.files.repository import file_to_item
    from chalicelib.settings import get_settings
    from chalicelib.storage.tables import main_table

    now = clock.now_iso()
    customer_id = "f" * 28
    size = file_mb * 1024 * 1024
    body = os.urandom(size)  # incompressible, like the PDFs and photos customers send
    records = []
    for index in range(files):
        file_id = f"{index:028x}"
        key = object_key(account_id, customer_id, file_id)
        aws.client("s3").put_object(Bucket=get_settings().uploads_bucket, Key=key, Body=body,
                                    ContentType="application/pdf")
        records.append(file_to_item(account_id, StoredFile(
            id=file_id, customer_id=customer_id, key=key, area="general", filename=f"Beleg {index + 1}.pdf",
            size=size, content_type="application/pdf", direction="received", state="stored", actor="customer",
            uploaded_at=now)))
    customer = Customer(id=customer_id, number=1, name="Anna Archiv", files_count=files, bytes=files * size,
                        created_at=now, updated_at=now)
    main_table().batch_write(puts=[customer_to_item(account_id, customer, search_keys=[]), *records])
    return customer_id


# --- one measurement, in a fresh process ---


def _rss_mb() -> float:
    """This process's peak resident set size since it started (exec), in MB."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024  # kB
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # no /proc: kilobytes, an upper bound


class TimedItems:
    """An iterator that adds up the wall and CPU time spent getting the next item (waiting for DynamoDB's
    pages, i.e. moto, and decoding them)."""

    def __init__(self, items: Any) -> None:
        self._items = iter(items)
        self.seconds = 0.0
        self.cpu_seconds = 0.0

    def __iter__(self) -> TimedItems:
        return self

    def __next__(self) -> Any:
        started, cpu_started = time.perf_counter(), time.process_time()
        try:
            return next(self._items)
        finally:
            self.seconds += time.perf_counter() - started
            self.cpu_seconds += time.process_time() - cpu_started


def _table_job(account_id: str, fmt: str, key: str) -> dict[str, Any]:
    """What `service.write_customer_table` does, step by step, timing the reads and the upload apart from
    the export's own work (building rows and writing the file)."""
    import tempfile

    from bench.counting import dynamodb_cost
    from chalicelib.accounts.service import load_partition
    from chalicelib.customers.reads import all_customers
    from chalicelib.exports import service
    from chalicelib.exports.models import CONTENT_TYPES
    from chalicelib.exports.repository import ExportFiles
    from chalicelib.exports.table import CustomerTable
    from chalicelib.settings import get_settings

    with dynamodb_cost() as reads:
        read_started = time.perf_counter()
        table = CustomerTable(load_partition(account_id))
        started = time.perf_counter()
        items = TimedItems(all_customers(account_id))
        with tempfile.TemporaryDirectory() as directory:
            path = os.path.join(directory, f"customers.{fmt}")
            cpu_started = time.process_time()
            rows = service.write_table_file(path, fmt, table, items)
            write_cpu = time.process_time() - cpu_started - items.cpu_seconds
            written = time.perf_counter()
            size = os.path.getsize(path)
            ExportFiles(get_settings().exports_bucket).upload(path, key, CONTENT_TYPES[fmt])
        finished = time.perf_counter()
    return {"seconds": finished - read_started, "read_seconds": items.seconds + started - read_started,
            "upload_seconds": finished - written, "write_cpu_seconds": write_cpu,
            "write_seconds": written - started - items.seconds, "rows": rows, "bytes": size,
            "read_calls": reads.describe(), "items_read": reads.read}


def _measure(task: dict[str, Any], environment: dict[str, str], results: Any) -> None:
    try:
        _use(environment)
        from chalicelib import aws
        from chalicelib.exports import service

        # Clients and writer modules are loaded before the baseline, as in a warm Lambda.
        aws.client("s3"), aws.client("dynamodb")
        import xlsxwriter  # noqa: F401

        from chalicelib.exports import csv_writer, xlsx_writer, zip_writer  # noqa: F401
        baseline = _rss_mb()
        if task["kind"] == "table":
            result = _table_job(task["account_id"], task["format"], task["key"])
        else:
            started = time.perf_counter()
            rows, size = service.write_customer_archive(task["account_id"], task["customer_id"], task["key"])
            result = {"seconds": time.perf_counter() - started, "rows": rows, "bytes": size}
        results.put({**result, "peak_mb": _rss_mb(), "baseline_mb": baseline})
    except BaseException as exc:  # reported to the parent, which fails loudly
        results.put({"error": repr(exc)})


def measure(task: dict[str, Any], environment: dict[str, str]) -> dict[str, Any]:
    context = multiprocessing.get_context("spawn")
    results = context.Queue()
    process = context.Process(target=_measure, args=(task, environment, results))
    process.start()
    result = results.get(timeout=1800)
    process.join(timeout=60)
    if "error" in result:
        raise RuntimeError(f"benchmark task {task} failed: {result['error']}")
    return result


# --- the benchmark ---


def run(quick: bool = False) -> dict[str, Any]:
    """Seed, measure and return `{"title", "figures": [{name, value, unit, goal, ok, details}], "settings"}`."""
    plan = QUICK if quick else FULL
    port = _free_port()
    moto = start_moto(port)
    saved = dict(os.environ)
    try:
        environment = environment_for(port)
        _use(environment)
        import boto3

        from infra.local.environment import REGION, STAGE
        from infra.local.provision import provision

        provision(boto3.session.Session(region_name=REGION), stage=STAGE, parameters={"PortalOrigin": "*"})
        figures: list[Figure] = []
        per_thousand: dict[str, list[float]] = {"csv": [], "xlsx": []}
        seeding: dict[str, float] = {}
        for customers in plan["customers"]:
            account_id = f"bench-{customers}"
            started = time.perf_counter()
            seed_register(account_id, customers)
            seeding[f"{customers:,} customers"] = round(time.perf_counter() - started, 1)
            for fmt in ("csv", "xlsx"):
                result = measure({"kind": "table", "account_id": account_id, "format": fmt,
                                  "key": f"exports/{account_id}/bench/customers.{fmt}"}, environment)
                assert result["rows"] == customers, result
                per_thousand[fmt].append(result["write_cpu_seconds"] / (customers / 1000))
                label = f"{fmt.upper()} export, {customers:,} customers x {ATTRIBUTES} attributes"
                figures.append(Figure(
                    name=f"{label}: peak memory", value=round(result["peak_mb"], 1), unit="MB",
                    goal=f"<= {TABLE_PEAK_GOAL_MB} MB", ok=result["peak_mb"] <= TABLE_PEAK_GOAL_MB,
                    details=(f"process before the job {result['baseline_mb']:.0f} MB (interpreter, clients, writers); "
                             f"writer {result['write_cpu_seconds']:.2f} s CPU for rows and file "
                             f"({result['bytes'] / 1e6:.1f} MB); the whole job {result['seconds']:.1f} s wall, "
                             f"of which reading {result['read_seconds']:.1f} s ({result['read_calls']}, "
                             f"{result['items_read']:,} items) and uploading {result['upload_seconds']:.1f} s")))
        small, large = plan["customers"]
        for fmt, (at_small, at_large) in per_thousand.items():
            ratio = at_large / at_small
            figures.append(Figure(
                name=f"{fmt.upper()} writer time per 1,000 customers at {large:,} / at {small:,}",
                value=round(ratio, 2), unit="x", goal=f"<= {LINEAR_RATIO_GOAL} (linear)",
                ok=ratio <= LINEAR_RATIO_GOAL, timed=True,
                details=f"{at_small:.2f} s and {at_large:.2f} s CPU per 1,000"))

        account_id = "bench-zip"
        started = time.perf_counter()
        seed_register(account_id, 0)
        customer_id = seed_customer_files(account_id, plan["files"], plan["file_mb"])
        seeding["files"] = round(time.perf_counter() - started, 1)
        result = measure({"kind": "archive", "account_id": account_id, "customer_id": customer_id,
                          "key": f"exports/{account_id}/bench/customer.zip"}, environment)
        assert result["rows"] == plan["files"], result
        label = f"Customer ZIP, {plan['files']} files x {plan['file_mb']} MB"
        figures.append(Figure(name=f"{label}: peak memory", value=round(result["peak_mb"], 1), unit="MB",
                              goal=f"<= {ZIP_PEAK_GOAL_MB} MB", ok=result["peak_mb"] <= ZIP_PEAK_GOAL_MB,
                              details=(f"process before the job {result['baseline_mb']:.0f} MB; "
                                       f"{result['bytes'] / 1e6:.0f} MB archive in {result['seconds']:.1f} s wall "
                                       "against moto's server")))
        return part("Exports", {"quick": quick, **plan, "attributes": ATTRIBUTES, "seeding seconds": seeding},
                    figures)
    finally:
        os.environ.clear()
        os.environ.update(saved)
        moto.kill()
        moto.wait(timeout=30)
        from chalicelib.runtime import reset_process_state

        reset_process_state()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="smaller sizes (500/2,000 customers, 20 files)")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    arguments = parser.parse_args(argv)
    report = run(quick=arguments.quick)
    print(json.dumps(report, indent=2) if arguments.json else format_table([report]))
    return 0 if all(f["ok"] is not False for f in report["figures"]) else 1


if __name__ == "__main__":
    sys.exit(main())
