"""Export jobs: what was asked for, how far it got, where the result lies."""

import hashlib
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from chalicelib.models import InputModel

Kind = Literal["customers", "customer", "audit"]
Format = Literal["csv", "xlsx", "zip"]
Status = Literal["pending", "running", "done", "failed"]
Trigger = Literal["manual", "scheduled"]

#: The formats of the all-customers export (`POST /exports`).
TableFormat = Literal["csv", "xlsx"]
TABLE_FORMATS: tuple[TableFormat, ...] = ("csv", "xlsx")
CONTENT_TYPES: dict[str, str] = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "zip": "application/zip",
}
#: The exports bucket expires objects after this many days (infra/template.yaml); job items go with them.
RETENTION_DAYS = 30
#: How long a download URL works (the issue's upper bound: one hour).
DOWNLOAD_URL_TTL_SECONDS = 3600
#: Deliveries of a job's message that may find it `running` (a crashed or timed-out run) before it is failed.
MAX_ATTEMPTS = 3


class ExportJob(BaseModel):
    model_config = ConfigDict(defer_build=True)

    id: str
    kind: Kind
    format: Format
    status: Status = "pending"
    trigger: Trigger = "manual"
    customer_id: str | None = None
    #: Which audit log entries an `audit` export holds (actor, action, customer_id, since, until).
    filters: dict[str, str] | None = None
    #: Customers written (CSV/XLSX) or files put into the archive (ZIP).
    rows: int | None = None
    size: int | None = None
    #: The object's key in the exports bucket and the name it downloads as.
    key: str
    filename: str
    reason: str | None = None
    attempts: int = 0
    requested_by: str
    created_at: str
    started_at: str | None = None
    finished_at: str | None = None


class ExportRequest(InputModel):
    # A plain string, checked by the service: an unknown format is a 400 (the issue), not pydantic's 422.
    format: str = Field(max_length=20, json_schema_extra={"enum": list(TABLE_FORMATS)},
                        description="csv (German Excel dialect, see README) or xlsx")


def jobs_prefix(account_id: str) -> str:
    return f"exports/{account_id}/jobs/"


def job_key(account_id: str, job_id: str, extension: str) -> str:
    """Where an on-demand job writes (made by the server, never from user input)."""
    return f"{jobs_prefix(account_id)}{job_id}.{extension}"


def scheduled_key(account_id: str, day: str, extension: str) -> str:
    """Where the daily export writes: one object per account, day and format; a rerun replaces it."""
    return f"exports/{account_id}/{day}/customers.{extension}"


def scheduled_job_id(account_id: str, day_start_ms: int, fmt: str) -> str:
    """The same id for the same account, day and format, so a rerun replaces its job instead of adding one;
    shaped like every other id (time-ordered, 28 hex digits)."""
    digest = hashlib.sha256(f"{account_id}/{day_start_ms}/{fmt}".encode()).hexdigest()
    return f"{day_start_ms:012x}{digest[:16]}"
