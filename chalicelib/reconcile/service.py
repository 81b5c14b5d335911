"""Reconciliation: what is stored, recounted from S3 and DynamoDB, and drift repaired (daily).

The event pipeline keeps the counters exact: every change shares one transaction with the counters it
moves. This job is the safety net for what no transaction covers (an S3 event lost for good, a failed
delete, a bug, a manual edit). For each account, from the account directory (storage/keys.py):

1. Objects against file records, S3's listing being the truth for what is stored. Where the two disagree,
   the S3 event that should have reconciled them is replayed through the event pipeline itself, so the
   same exactly-once rules decide (chalicelib/events/pipeline.py):
   - an object without a stored record (none, rejected, or being deleted), or whose size or ETag differs
     from its record: a created event. The pipeline records it if its reservation still stands (a lost
     event), takes the new size (a lost overwrite), or quarantines it (an orphan: no record, no reservation);
   - a stored record whose object is gone (HeadObject confirms): a removed event, which drops the record
     and uncounts it.
   Objects younger than an upload URL's lifetime are left alone: their events are probably on their way.
2. Counters against a recount of the records: the account's `used_bytes` and `customers_count`, each
   customer's `files_count`, `bytes`, `links_count` and `area_counts`. Each counter is read before and
   after the recount; one that changed meanwhile (an event was handled) is retried, then left for the next
   run. A drifted one is repaired by a conditional update on the value read.

Every repair is logged and counted (metrics `CountersRepaired`, `ObjectsReconciled`).
"""

from __future__ import annotations

import datetime
from collections import Counter
from collections.abc import Iterable
from typing import Any

from chalicelib import clock, errors
from chalicelib.accounts.service import account_ids
from chalicelib.events.models import ObjectEvent
from chalicelib.events.pipeline import handle
from chalicelib.files import service as files
from chalicelib.links import service as links
from chalicelib.observability import logger, metrics
from chalicelib.races import retry_lost_races
from chalicelib.reconcile.models import ACCOUNT, AccountReport, CounterRepair, ObjectRepair
from chalicelib.reconcile.repository import CounterRepository
from chalicelib.settings import get_settings
from chalicelib.storage import objects

_ATTEMPTS = 3


def reconcile_all(now: datetime.datetime | None = None) -> tuple[list[AccountReport], list[str]]:
    """Every account of the directory; the reports, and the ids of accounts that failed (logged, and the
    others still run)."""
    reports, failed = [], []
    for account_id in account_ids():
        try:
            reports.append(reconcile_account(account_id, now=now))
        except Exception:
            logger.exception("reconciliation of an account failed", extra={"account_id": account_id})
            metrics.add_metric(name="ReconciliationFailures", unit="Count", value=1)
            failed.append(account_id)
    return reports, failed


def summarize(reports: list[AccountReport], failed: list[str]) -> dict[str, Any]:
    return {
        "accounts": len(reports) + len(failed),
        "objects_reconciled": sum(len(r.objects) for r in reports),
        "counters_repaired": sum(len(r.counters) for r in reports),
        "failed": failed,
    }


def reconcile_account(account_id: str, now: datetime.datetime | None = None) -> AccountReport:
    report = AccountReport(account_id)
    settled_before = (now or clock.now()) - datetime.timedelta(seconds=get_settings().upload_url_ttl_seconds)
    _reconcile_objects(report, settled_before)
    _reconcile_counters(report)
    if report.repairs:
        logger.warning("reconciliation repaired drift", extra={
            "account_id": account_id, "objects": len(report.objects), "counters": len(report.counters)})
    return report


# --- objects and records -------------------------------------------------------------------------------


def _reconcile_objects(report: AccountReport, settled_before: datetime.datetime) -> None:
    account_id = report.account_id
    bucket = get_settings().uploads_bucket
    listed = {o.key: o for o in objects.listing(bucket, f"files/{account_id}/")}
    records = {f.key: f for f in files.all_files(account_id)}

    for key, listed_object in listed.items():
        record = records.get(key)
        agrees = (record is not None and record.state == "stored" and not record.deleting
                  and record.size == listed_object.size and (not record.etag or record.etag == listed_object.etag))
        if agrees or listed_object.last_modified > settled_before:
            continue
        _replay(report, ObjectEvent(kind="created", name="ObjectCreated:Reconciliation", bucket=bucket, key=key,
                                    size=listed_object.size, etag=listed_object.etag, sequencer=None))

    for key, record in records.items():
        if record.state != "stored" or key in listed:
            continue
        try:
            objects.head(bucket, key)
            continue  # stored after the listing was taken
        except objects.ObjectMissingError:
            pass
        _replay(report, ObjectEvent(kind="removed", name="ObjectRemoved:Reconciliation", bucket=bucket, key=key,
                                    size=None, etag=None, sequencer=None))


def _replay(report: AccountReport, event: ObjectEvent) -> None:
    outcome = handle(event)
    repair = ObjectRepair(key=event.key, event=event.kind, result=outcome.result)
    report.objects.append(repair)
    logger.warning("missed object event replayed", extra={
        "account_id": report.account_id, "key": event.key, "event": event.kind, "result": outcome.result})
    metrics.add_metric(name="ObjectsReconciled", unit="Count", value=1)


# --- counters ------------------------------------------------------------------------------------------


class _CountersMovedError(Exception):
    """Counters changed while the records were recounted (an event was handled): count again."""


def _reconcile_counters(report: AccountReport) -> None:
    repository = CounterRepository()
    busy: list[tuple[str, str]] = []

    def recount_and_repair() -> None:
        busy[:] = _repair_counters(report, repository)
        if busy:
            raise _CountersMovedError

    try:
        retry_lost_races(recount_and_repair, _CountersMovedError, "counters kept changing", attempts=_ATTEMPTS)
    except errors.ConflictError:
        report.busy = busy
        logger.info("counters kept changing during reconciliation; left for the next run",
                    extra={"account_id": report.account_id, "counters": busy})


def _repair_counters(report: AccountReport, repository: CounterRepository) -> list[tuple[str, str]]:
    """One recount: repairs the counters that drifted; the ones that moved meanwhile (left alone)."""
    account_id = report.account_id
    before = repository.counters(account_id)
    expected = _recount(account_id, before, repository)
    after = repository.counters(account_id)
    busy = []
    for target, counters in after.items():
        if target not in expected:
            continue  # created while the records were read: new, nothing to repair
        for name, value in counters.items():
            want = expected[target][name]
            if _same(value, want):
                continue
            if not _same(before[target][name], value):
                busy.append((target, name))  # it moved while the records were read: count again
            elif repository.repair(account_id, target, name, value, want):
                _repaired(report, CounterRepair(target, name, value, want))
            else:
                busy.append((target, name))
    return busy


def _repaired(report: AccountReport, repair: CounterRepair) -> None:
    report.counters.append(repair)
    logger.warning("counter repaired", extra={"account_id": report.account_id, "target": repair.target,
                                              "counter": repair.counter, "was": repair.was, "now": repair.now})
    metrics.add_metric(name="CountersRepaired", unit="Count", value=1)


def _recount(account_id: str, targets: Iterable[str], repository: CounterRepository) -> dict[str, dict[str, Any]]:
    """What the counters of `targets` should be, from the records."""
    stored = [f for f in files.all_files(account_id) if f.state == "stored"]
    live_links = Counter(link.customer_id for link in links.all_links(account_id) if not link.revoked_at)
    customers = repository.customer_count(account_id)
    expected: dict[str, dict[str, Any]] = {
        ACCOUNT: {"used_bytes": sum(f.size for f in stored), "customers_count": customers}}
    for target in targets:
        if target == ACCOUNT:
            continue
        mine = [f for f in stored if f.customer_id == target]
        expected[target] = {
            "files_count": len(mine),
            "bytes": sum(f.size for f in mine),
            "links_count": live_links[target],
            "area_counts": dict(Counter(f.area for f in mine if f.direction == "received")),
        }
    return expected


def _same(stored: Any, expected: Any) -> bool:
    if isinstance(expected, dict):
        return {k: v for k, v in (stored or {}).items() if v} == {k: v for k, v in expected.items() if v}
    return bool((stored or 0) == expected)
