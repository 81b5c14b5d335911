"""Background jobs with progress: what `GET /jobs/{id}` shows while a job works through many customers.

A job is one record (`total`, `done`, `failed`, `status`) and, per customer it handled, a step marker written
once, conditionally, in the same transaction as the work itself (so a redelivered or re-run page does that
customer's work at most once), plus a failure entry for each customer it could not handle (`failures`).
"""

from typing import Literal

from pydantic import BaseModel, ConfigDict

JobKind = Literal["bulk_request", "portal_switch"]
#: `pending` (queued), `running` (a page started), `done` (every customer handled, each done or failed),
#: `failed` (the job itself could not run: see `reason`).
JobStatus = Literal["pending", "running", "done", "failed"]
#: Jobs and their steps are kept this long (table TTL).
RETENTION_DAYS = 30


class JobRecord(BaseModel):
    model_config = ConfigDict(defer_build=True)

    id: str
    kind: JobKind
    status: JobStatus = "pending"
    total: int
    done: int = 0
    failed: int = 0
    created_at: str
    created_by: str
    finished_at: str | None = None
    reason: str | None = None


class JobFailure(BaseModel):
    model_config = ConfigDict(defer_build=True)

    customer_id: str
    code: str
