"""Job progress rules: starting a job once per `Idempotency-Key`, recording each customer's step once, and
finishing when every customer was handled. Domains that run jobs (bulk requests) call these."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Sequence

from chalicelib import clock, errors, ids
from chalicelib.jobs import queue as jobs_queue
from chalicelib.jobs.messages import Job
from chalicelib.jobs.models import JobFailure, JobKind, JobRecord
from chalicelib.jobs.repository import IdempotencyKeyTakenError, JobRepository
from chalicelib.jobs.repository import JobStepDoneError as JobStepDoneError  # what step_done_actions' writes raise
from chalicelib.observability import logger
from chalicelib.storage.dynamo import Action

#: Failures `GET /jobs/{id}` lists at most (the counters count them all).
FAILURES_SHOWN = 1000


def _not_found() -> errors.NotFoundError:
    return errors.NotFoundError("There is no such job.")


def _key_hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def check_idempotency_key(key: str | None) -> None:
    if key is not None and not (1 <= len(key) <= 255 and key.isprintable()):
        raise errors.InvalidInputError.for_field("Idempotency-Key", "1 to 255 printable characters")


def job_for_key(account_id: str, kind: JobKind, key: str | None, fingerprint: str) -> JobRecord | None:
    """The job an earlier request with this `Idempotency-Key` started (None: none within a day). The same key
    with another request is a conflict."""
    if key is None:
        return None
    found = JobRepository().job_for_key(account_id, kind, _key_hash(key))
    if found is None:
        return None
    job_id, seen_fingerprint = found
    if seen_fingerprint != fingerprint:
        raise errors.ConflictError("This Idempotency-Key was used for another request.")
    return get_job(account_id, job_id)[0]


def start_job(account_id: str, kind: JobKind, actor: str, total: int, key: str | None, fingerprint: str
              ) -> tuple[JobRecord, bool]:
    """A new pending job (and True), or the one a parallel request with the same key started (and False)."""
    job = JobRecord(id=ids.new_id(), kind=kind, total=total, created_at=clock.now_iso(), created_by=actor)
    try:
        JobRepository().create(account_id, job, None if key is None else (kind, _key_hash(key), fingerprint))
    except IdempotencyKeyTakenError as exc:
        if exc.fingerprint != fingerprint:
            raise errors.ConflictError("This Idempotency-Key was used for another request.") from exc
        return get_job(account_id, exc.job_id)[0], False
    return job, True


def get_job(account_id: str, job_id: str) -> tuple[JobRecord, list[JobFailure]]:
    """The job and the customers it could not handle (at most FAILURES_SHOWN, by customer id)."""
    job = JobRepository().get(account_id, job_id) if ids.is_id(job_id) else None
    if job is None:
        raise _not_found()
    failures = JobRepository().failures(account_id, job_id, FAILURES_SHOWN) if job.failed else []
    return job, failures


def job_record(account_id: str, job_id: str) -> JobRecord | None:
    return JobRepository().get(account_id, job_id)


def handled(account_id: str, job_id: str, customer_ids: Iterable[str]) -> set[str]:
    """Which of these customers the job handled already (done or failed)."""
    return JobRepository().handled(account_id, job_id, customer_ids)


def step_done_actions(account_id: str, job_id: str, customer_id: str) -> list[Action]:
    """Writes for the transaction that does a customer's step: they count it done; the transaction raises
    JobStepDoneError if the job handled that customer before."""
    return JobRepository().step_actions(account_id, job_id, customer_id, clock.now_iso())


def step_failed(account_id: str, job_id: str, customer_id: str, code: str) -> bool:
    """Record why the job could not handle a customer; False if it handled them before."""
    return JobRepository().record_failure(account_id, job_id, customer_id, code, clock.now_iso())


def page_started(account_id: str, job_id: str) -> None:
    JobRepository().set_status(account_id, job_id, "running", ("pending",))


def finish_if_complete(account_id: str, job_id: str) -> bool:
    """`done` once every customer was handled (pages run in any order, so each asks after its own)."""
    return JobRepository().set_status(account_id, job_id, "done", ("pending", "running"), at=clock.now_iso(),
                                      when_all_processed=True)


def job_failed(account_id: str, job_id: str, reason: str) -> None:
    JobRepository().set_status(account_id, job_id, "failed", ("pending", "running"), at=clock.now_iso(),
                               reason=reason)


#: Customers per queued page of a job over many customers (each page is one job message).
CUSTOMERS_PER_PAGE = 25


def queue_pages(account_id: str, job: JobRecord, customer_ids: Sequence[str],
                message_of: Callable[[list[str]], Job]) -> JobRecord:
    """Queue a started job's customers in pages (`message_of` makes a page's message); a job whose pages could not
    all be queued is marked failed, and one with no customer is done at once."""
    pages = [list(customer_ids[start:start + CUSTOMERS_PER_PAGE])
             for start in range(0, len(customer_ids), CUSTOMERS_PER_PAGE)]
    try:
        jobs_queue.send_all(message_of(page) for page in pages)
    except Exception:
        job_failed(account_id, job.id, "not_queued")
        raise
    if not pages:
        finish_if_complete(account_id, job.id)
    return get_job(account_id, job.id)[0]


def open_page(account_id: str, job_id: str, customer_ids: Iterable[str]) -> set[str] | None:
    """A page's start: the customers of the page the job handled already (a redelivery skips them), or None when
    the job is gone and the page is to be dropped."""
    if job_record(account_id, job_id) is None:
        logger.warning("dropping a page of a job that is gone", extra={"job_id": job_id})
        return None
    page_started(account_id, job_id)
    return handled(account_id, job_id, customer_ids)
