"""Export rules: requesting jobs, running them, the daily schedule, and offering the results.

A request records a `pending` job and queues a message; the jobs handler runs it (`run_job`): it writes
the file locally (CSV, XLSX) or streams it into a multipart upload (ZIP), and only a complete file ever
appears under the job's key. A job that fails records why and is not retried (its reason says what to
do); a run that crashed or timed out is retried by SQS until MAX_ATTEMPTS, then recorded as failed.
"""

from __future__ import annotations

import datetime
import os
from collections.abc import Iterable
from typing import Any

from chalicelib import clock, errors, ids
from chalicelib.customers.models import Customer
from chalicelib.customers.service import get_customer
from chalicelib.exports.errors import JobFailedError, UnknownFormatError
from chalicelib.exports.models import (
    CONTENT_TYPES,
    DOWNLOAD_URL_TTL_SECONDS,
    MAX_ATTEMPTS,
    RETENTION_DAYS,
    TABLE_FORMATS,
    ExportJob,
    job_key,
    scheduled_job_id,
    scheduled_key,
)
from chalicelib.exports.repository import ExportFiles, ExportRepository
from chalicelib.jobs import queue as jobs_queue
from chalicelib.jobs.messages import ExportJobMessage
from chalicelib.observability import logger
from chalicelib.settings import get_settings
from chalicelib.storage import objects


def _not_found() -> errors.NotFoundError:
    return errors.NotFoundError("There is no such export.")


# --- requests (the API) ---


def request_customers_export(account_id: str, requested_by: str, fmt: str) -> ExportJob:
    """Queue an export of every customer of the account as CSV or XLSX."""
    wanted = next((known for known in TABLE_FORMATS if known == fmt.strip().lower()), None)
    if wanted is None:
        raise UnknownFormatError(fmt, TABLE_FORMATS)
    job_id = ids.new_id()
    moment = clock.now()
    job = ExportJob(id=job_id, kind="customers", format=wanted, key=job_key(account_id, job_id, wanted),
                    filename=f"kunden-{moment.date().isoformat()}.{wanted}", requested_by=requested_by,
                    created_at=clock.iso(moment))
    return _enqueue_new(account_id, job)


def request_customer_export(account_id: str, requested_by: str, customer_id: str) -> ExportJob:
    """Queue the archive of one customer's data and files (404 for an unknown or another account's id)."""
    customer = get_customer(account_id, customer_id)
    if customer.closing:  # visible, but its files are moving into the customer it is merged into
        raise errors.ConflictError(f"This customer is being {customer.closing}d.")
    job_id = ids.new_id()
    moment = clock.now()
    job = ExportJob(id=job_id, kind="customer", format="zip", customer_id=customer.id,
                    key=job_key(account_id, job_id, "zip"),
                    filename=f"kunde-{customer.number}-{moment.date().isoformat()}.zip",
                    requested_by=requested_by, created_at=clock.iso(moment))
    return _enqueue_new(account_id, job)


def request_audit_export(account_id: str, requested_by: str, filters: dict[str, str]) -> ExportJob:
    """Queue the account's audit log (the entries `filters` select, newest first) as CSV."""
    job_id = ids.new_id()
    moment = clock.now()
    job = ExportJob(id=job_id, kind="audit", format="csv", filters=filters, key=job_key(account_id, job_id, "csv"),
                    filename=f"protokoll-{moment.date().isoformat()}.csv", requested_by=requested_by,
                    created_at=clock.iso(moment))
    return _enqueue_new(account_id, job)


def _enqueue_new(account_id: str, job: ExportJob) -> ExportJob:
    repository = ExportRepository()
    repository.put(account_id, job)
    try:
        enqueue(account_id, job.id)
    except Exception:
        repository.fail(account_id, job.id, "The export could not be queued; please try again.", clock.now_iso())
        raise
    return job


def enqueue(account_id: str, job_id: str) -> None:
    jobs_queue.send(ExportJobMessage(account_id=account_id, job_id=job_id))


def get_export(account_id: str, job_id: str) -> ExportJob:
    job = ExportRepository().get(account_id, job_id) if ids.is_id(job_id) else None
    if job is None:
        raise _not_found()
    return job


def list_exports(account_id: str, limit: int, cursor: str | None) -> tuple[list[ExportJob], str | None]:
    return ExportRepository().page(account_id, limit, cursor)


def download_url(job: ExportJob) -> str | None:
    """A GET of the finished file for at most an hour, as an attachment under the job's file name."""
    if job.status != "done":
        return None
    return objects.presigned_get(get_settings().exports_bucket, job.key, DOWNLOAD_URL_TTL_SECONDS,
                                 download_name=job.filename)


def expires_at(job: ExportJob) -> str:
    """When the bucket's lifecycle rule removes the file (and the table's TTL the job)."""
    return clock.iso(clock.parse(job.created_at) + datetime.timedelta(days=RETENTION_DAYS))


# --- running (the jobs handler) ---


def run_job(account_id: str, job_id: str) -> ExportJob | None:
    """Run a queued job once; a message delivered again for a finished job changes nothing. Errors of the
    job itself are recorded on it; only errors recording the outcome propagate (and SQS retries)."""
    repository = ExportRepository()
    job = repository.get(account_id, job_id)
    if job is None or job.status in ("done", "failed"):
        return job
    if job.status == "running" and job.attempts >= MAX_ATTEMPTS:
        repository.fail(account_id, job_id, "The export did not finish in time; please try again.", clock.now_iso())
        return repository.get(account_id, job_id)
    started = repository.start(account_id, job_id, clock.now_iso())
    if started is None:
        return repository.get(account_id, job_id)
    logger.append_keys(export_id=job_id)
    try:
        rows, size = _produce(account_id, started)
    except Exception as exc:
        reason = _reason(exc)
        logger.exception("export failed", extra={"reason": reason, "kind": job.kind, "format": job.format})
        repository.fail(account_id, job_id, reason, clock.now_iso())
    else:
        repository.finish(account_id, job_id, rows, size, clock.now_iso())
        logger.info("export done", extra={"kind": job.kind, "format": job.format, "rows": rows, "bytes": size})
    finally:
        logger.remove_keys(["export_id"])
    return repository.get(account_id, job_id)


def _reason(exc: Exception) -> str:
    """What the job record says about a failure: what went wrong, not the internals."""
    from botocore.exceptions import BotoCoreError, ClientError

    if isinstance(exc, JobFailedError):
        return exc.reason
    if isinstance(exc, errors.NotFoundError):
        return f"{exc.message} It may have been deleted after the export was requested."
    cause: BaseException | None = exc
    while cause is not None:  # the transfer manager wraps the S3 error it met
        if isinstance(cause, ClientError):
            code = cause.response.get("Error", {}).get("Code", "unknown")
            operation = getattr(cause, "operation_name", "a storage call")
            return f"Storage error ({code} in {operation}); nothing was saved. Please try again."
        if isinstance(cause, BotoCoreError):
            return "Storage could not be reached; nothing was saved. Please try again."
        cause = cause.__cause__ or cause.__context__
    return "An internal error stopped the export; nothing was saved. Please try again."


def _produce(account_id: str, job: ExportJob) -> tuple[int, int]:
    if job.kind == "audit":
        return write_audit_table(account_id, job.filters or {}, job.key)
    if job.kind == "customer":
        if not job.customer_id:
            raise JobFailedError("The job names no customer.")
        return write_customer_archive(account_id, job.customer_id, job.key)
    return write_customer_table(account_id, job.format, job.key)


def write_customer_table(account_id: str, fmt: str, key: str) -> tuple[int, int]:
    """Every customer of the account as CSV or XLSX under `key`: (rows, bytes). The file is written to local
    temporary storage first and uploaded only when complete."""
    import tempfile

    from chalicelib.accounts.service import load_partition
    from chalicelib.customers.reads import all_customers
    from chalicelib.exports.table import CustomerTable

    table = CustomerTable(load_partition(account_id))
    customers = all_customers(account_id)
    handle, path = tempfile.mkstemp(prefix="export-", suffix=f".{fmt}")
    os.close(handle)
    try:
        rows = write_table_file(path, fmt, table, customers)
        size = os.path.getsize(path)
        ExportFiles(get_settings().exports_bucket).upload(path, key, CONTENT_TYPES[fmt])
    finally:
        os.unlink(path)
    return rows, size


def write_audit_table(account_id: str, filters: dict[str, str], key: str) -> tuple[int, int]:
    """The audit log entries `filters` select, newest first, as CSV under `key`: (rows, bytes)."""
    import tempfile

    from chalicelib.audit.models import AuditFilter
    from chalicelib.audit.service import all_entries
    from chalicelib.exports.csv_writer import write_csv
    from chalicelib.exports.table import Column

    columns = [Column("Zeitpunkt (UTC)", "datetime"), Column("Benutzer", "text"), Column("Aktion", "text"),
               Column("Ziel", "text"), Column("Kunde", "text"), Column("IP-Adresse", "text")]
    rows = ([clock.parse(e.at).replace(tzinfo=None), e.actor, e.action, e.target, e.customer_id, e.ip]
            for e in all_entries(account_id, AuditFilter.model_validate(filters)))
    handle, path = tempfile.mkstemp(prefix="audit-", suffix=".csv")
    os.close(handle)
    try:
        count = write_csv(path, columns, rows)
        size = os.path.getsize(path)
        ExportFiles(get_settings().exports_bucket).upload(path, key, CONTENT_TYPES["csv"])
    finally:
        os.unlink(path)
    return count, size


def write_table_file(path: str, fmt: str, table: Any, customers: Iterable[Customer]) -> int:
    """Write the customer table to a local file in `fmt`; the number of rows."""
    if fmt == "csv":
        from chalicelib.exports.csv_writer import write_csv

        return write_csv(path, table.columns, table.rows(customers))
    if fmt == "xlsx":
        from chalicelib.exports.xlsx_writer import write_xlsx

        return write_xlsx(path, table.columns, table.rows(customers))
    raise JobFailedError(f"Unknown table format {fmt}.")


def write_customer_archive(account_id: str, customer_id: str, key: str) -> tuple[int, int]:
    """One customer's archive under `key`, streamed from the uploads bucket into a multipart upload:
    (files, bytes). The upload is completed only after the last byte, and aborted on any failure."""
    from chalicelib.exports import dossier
    from chalicelib.exports.zip_writer import write_archive
    from chalicelib.storage.streams import MultipartWriter, read_chunks

    collected = dossier.collect(account_id, customer_id)
    uploads_bucket = get_settings().uploads_bucket
    with MultipartWriter(get_settings().exports_bucket, key, CONTENT_TYPES["zip"]) as target:
        count = write_archive(target, collected, lambda file: read_chunks(uploads_bucket, file.key))
    return count, target.size


# --- the daily schedule ---


def schedule_day(event_time: str | None) -> datetime.date:
    """The day a scheduled run exports for: the event's (a retry after midnight still writes the same day)."""
    if event_time:
        try:
            return clock.parse(event_time).date()
        except ValueError:
            logger.warning("scheduled event with an unreadable time", extra={"time": event_time})
    return clock.now().date()


def schedule_exports(day: datetime.date) -> list[tuple[str, str]]:
    """Queue the day's exports of every account whose schedule is enabled: one job per format, written to
    `exports/{account}/{YYYY-MM-DD}/customers.{format}`. A rerun the same day replaces those jobs and files
    instead of adding any. Returns (account, job id) pairs; an account that fails does not stop the others."""
    from chalicelib.accounts.service import find_account

    repository = ExportRepository()
    day_start = datetime.datetime.combine(day, datetime.time(), tzinfo=datetime.UTC)
    day_start_ms = int(day_start.timestamp() * 1000)
    queued: list[tuple[str, str]] = []
    failures: list[str] = []
    for account_id in repository.scheduled_account_ids():
        try:
            account = find_account(account_id)
            if account is None or not account.export_schedule.enabled:
                continue
            for fmt in account.export_schedule.formats:
                job = ExportJob(
                    id=scheduled_job_id(account_id, day_start_ms, fmt), kind="customers", format=fmt,
                    trigger="scheduled", key=scheduled_key(account_id, day.isoformat(), fmt),
                    filename=f"kunden-{day.isoformat()}.{fmt}", requested_by="system:schedule",
                    created_at=clock.now_iso(),
                )
                repository.put(account_id, job)
                enqueue(account_id, job.id)
                queued.append((account_id, job.id))
        except Exception:
            logger.exception("scheduled export could not be queued", extra={"account_id": account_id})
            failures.append(account_id)
    logger.info("scheduled exports queued", extra={"day": day.isoformat(), "jobs": len(queued)})
    if failures:
        # Failing the invocation lets EventBridge retry it; rerunning replaces what was already queued.
        raise RuntimeError(f"scheduled exports could not be queued for {len(failures)} account(s)")
    return queued


def forget_customer(account_id: str, customer_id: str) -> int:
    """Delete the customer's own archives and their jobs (a customer's erasure must not leave a copy of
    their data behind); the number deleted."""
    repository = ExportRepository()
    files = ExportFiles(get_settings().exports_bucket)
    jobs = repository.for_customer(account_id, customer_id)
    for job in jobs:
        files.delete(job.key)
        repository.delete(account_id, job.id)
    return len(jobs)
