"""The scheduled function behind `reconcile_counters` (daily): every account, one after another."""

from __future__ import annotations

from typing import Any

from chalicelib.observability import logger
from chalicelib.reconcile.service import reconcile_all


class ReconciliationFailedError(Exception):
    """Some accounts could not be reconciled (the others were); the function fails, so its alarm fires."""


def run_reconciliation(event: dict[str, Any]) -> dict[str, Any]:
    reports, failed = reconcile_all()
    summary = {
        "accounts": len(reports) + len(failed),
        "objects_reconciled": sum(len(r.objects) for r in reports),
        "counters_repaired": sum(len(r.counters) for r in reports),
        "failed": failed,
    }
    logger.info("reconciliation finished", extra={"summary": summary, "scheduled_at": event.get("time")})
    if failed:
        raise ReconciliationFailedError(f"{len(failed)} of {summary['accounts']} accounts failed: {failed[:20]}")
    return summary
