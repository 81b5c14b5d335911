"""The scheduled function `run_scheduled_exports` (daily): it queues the day's export jobs, which
`handle_jobs` (chalicelib/workers/jobs.py) runs."""

from __future__ import annotations

from typing import Any

from chalicelib.exports import service


def run_schedule(event: dict[str, Any]) -> dict[str, Any]:
    day = service.schedule_day(event.get("time"))
    queued = service.schedule_exports(day)
    return {"day": day.isoformat(), "jobs": len(queued)}
