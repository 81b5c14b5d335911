"""Reconciliation fanned out: the daily scheduled function (`reconcile_counters`) only queues one job per account
on the jobs queue; each job (`handle_jobs`) reconciles one account. A run's time and memory follow one account,
never the number of accounts; an account that fails is retried by SQS and ends in the jobs DLQ (its alarm),
while the others are done."""

from __future__ import annotations

from typing import Any

from chalicelib.jobs.messages import ReconcileAccountMessage
from chalicelib.observability import logger
from chalicelib.reconcile.models import AccountReport
from chalicelib.reconcile.service import reconcile_account, reconcile_all, summarize


class ReconciliationFailedError(Exception):
    """Some accounts could not be reconciled (the others were); the run fails, so its alarm fires."""


def run_reconciliation(event: dict[str, Any]) -> dict[str, Any]:
    """The scheduled function: a job per account of the directory."""
    from chalicelib.accounts.service import account_ids
    from chalicelib.jobs import queue

    scheduled_at = event.get("time")
    queued = queue.send_all(ReconcileAccountMessage(kind="reconcile_account", account_id=account_id,
                                                    scheduled_at=scheduled_at)
                            for account_id in account_ids())
    logger.info("reconciliation queued", extra={"accounts": queued, "scheduled_at": scheduled_at})
    return {"accounts_queued": queued}


def run_account(message: ReconcileAccountMessage) -> AccountReport:
    """One account's job (raises if it fails: SQS delivers it again, up to the DLQ)."""
    report = reconcile_account(message.account_id)
    logger.info("reconciliation of an account finished", extra={
        "account_id": message.account_id, "objects_reconciled": len(report.objects),
        "counters_repaired": len(report.counters), "scheduled_at": message.scheduled_at})
    return report


def run_everything_now() -> dict[str, Any]:
    """Every account in this process, one after another (`make reconcile`, locally); raises if any failed."""
    reports, failed = reconcile_all()
    summary = summarize(reports, failed)
    logger.info("reconciliation finished", extra={"summary": summary})
    if failed:
        raise ReconciliationFailedError(f"{len(failed)} of {summary['accounts']} accounts failed: {failed[:20]}")
    return summary
