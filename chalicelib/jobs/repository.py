"""Job progress records in DynamoDB (`{acc}#JOB`), their per-customer steps (`{acc}#JOB#{job}`) and the
`Idempotency-Key`s of the requests that started them (`{acc}#IDEMPOTENCY`); all expire by the table's TTL."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from chalicelib import clock
from chalicelib.jobs.models import RETENTION_DAYS, JobFailure, JobRecord
from chalicelib.storage import keys
from chalicelib.storage.dynamo import Action, ConditionFailedError, Put, Table, Update
from chalicelib.storage.tables import main_table
from chalicelib.storage.updates import UpdateExpression

_IDEMPOTENCY_SECONDS = 24 * 3600
#: Counter names are reserved words in DynamoDB expressions.
_COUNTERS = {"#done": "done", "#processed": "processed"}


class JobStepDoneError(Exception):
    """The job handled this customer before (a redelivered or re-run page): its step marker exists."""


class _KeyTakenError(Exception):
    """The `Idempotency-Key` item exists already."""


class IdempotencyKeyTakenError(Exception):
    """The key was used before (or meanwhile) for the job `job_id`, by a request with `fingerprint`."""

    def __init__(self, job_id: str, fingerprint: str) -> None:
        super().__init__("idempotency key taken")
        self.job_id = job_id
        self.fingerprint = fingerprint


def _expiry(created_at: str, seconds: int) -> int:
    return clock.epoch(created_at) + seconds


def job_from_item(item: dict[str, Any]) -> JobRecord:
    return JobRecord.model_validate({k: v for k, v in item.items() if k in JobRecord.model_fields})


class JobRepository:
    def __init__(self, table: Table | None = None) -> None:
        self.table = table or main_table()

    def create(self, account_id: str, job: JobRecord, idempotency: tuple[str, str, str] | None) -> None:
        """Store a new job; with `idempotency` (scope, key hash, request fingerprint) also the key, in the same
        transaction. IdempotencyKeyTakenError if the key was taken meanwhile."""
        actions: list[Action] = [Put({**keys.job(account_id, job.id), "entity": "job", **job.model_dump(),
                                      "processed": 0,
                                      "expires_at_epoch": _expiry(job.created_at, RETENTION_DAYS * 86400)},
                                     condition="attribute_not_exists(pk)")]
        if idempotency is not None:
            scope, key_hash, fingerprint = idempotency
            actions.append(Put({**keys.idempotency_key(account_id, scope, key_hash), "entity": "idempotency",
                                "job_id": job.id, "fingerprint": fingerprint,
                                "expires_at_epoch": _expiry(job.created_at, _IDEMPOTENCY_SECONDS)},
                               condition="attribute_not_exists(pk)", fails_with=_KeyTakenError))
        try:
            self.table.transact(actions)
        except _KeyTakenError as exc:
            assert idempotency is not None
            taken = self.job_for_key(account_id, idempotency[0], idempotency[1])
            if taken is None:  # expired in between: its TTL deletion is pending
                raise
            raise IdempotencyKeyTakenError(*taken) from exc

    def job_for_key(self, account_id: str, scope: str, key_hash: str) -> tuple[str, str] | None:
        """(job id, request fingerprint) of the request that used the key, if it did within a day."""
        item = self.table.get(keys.idempotency_key(account_id, scope, key_hash))
        if item is None or item.get("expires_at_epoch", 0) <= int(clock.now().timestamp()):
            return None
        return item["job_id"], item["fingerprint"]

    def get(self, account_id: str, job_id: str) -> JobRecord | None:
        item = self.table.get(keys.job(account_id, job_id))
        return job_from_item(item) if item else None

    def failures(self, account_id: str, job_id: str, limit: int) -> list[JobFailure]:
        page = self.table.query(keys.job_steps_partition(account_id, job_id), sk_prefix=keys.JOB_FAILURE_PREFIX,
                                limit=limit)
        return [JobFailure(customer_id=item["customer_id"], code=item["code"]) for item in page.items]

    def handled(self, account_id: str, job_id: str, customer_ids: Iterable[str]) -> set[str]:
        """Which of the customers the job handled already (one BatchGetItem per 100)."""
        found = self.table.batch_get([keys.job_step(account_id, job_id, customer_id) for customer_id in customer_ids])
        return {item["customer_id"] for item in found}

    def step_actions(self, account_id: str, job_id: str, customer_id: str, at: str) -> list[Action]:
        """The writes that record a customer's step as done, for the transaction that does it: that transaction
        raises JobStepDoneError if the job handled the customer before."""
        return [
            Put({**keys.job_step(account_id, job_id, customer_id), "entity": "job_step", "customer_id": customer_id,
                 "outcome": "done", "at": at, "expires_at_epoch": _expiry(at, RETENTION_DAYS * 86400)},
                condition="attribute_not_exists(pk)", fails_with=JobStepDoneError),
            Update(keys.job(account_id, job_id), "ADD #done :one, #processed :one", names=_COUNTERS,
                   values={":one": 1}, condition="attribute_exists(pk)"),
        ]

    def record_failure(self, account_id: str, job_id: str, customer_id: str, code: str, at: str) -> bool:
        """Record that the job could not handle the customer; False if it handled them before."""
        expires = _expiry(at, RETENTION_DAYS * 86400)
        try:
            self.table.transact([
                Put({**keys.job_step(account_id, job_id, customer_id), "entity": "job_step",
                     "customer_id": customer_id, "outcome": "failed", "code": code, "at": at,
                     "expires_at_epoch": expires}, condition="attribute_not_exists(pk)", fails_with=JobStepDoneError),
                Put({**keys.job_failure(account_id, job_id, customer_id), "entity": "job_failure",
                     "customer_id": customer_id, "code": code, "at": at, "expires_at_epoch": expires}),
                Update(keys.job(account_id, job_id), "ADD #failed :one, #processed :one",
                       names={"#failed": "failed", "#processed": "processed"}, values={":one": 1},
                       condition="attribute_exists(pk)"),
            ])
        except JobStepDoneError:
            return False
        return True

    def set_status(self, account_id: str, job_id: str, status: str, seen: tuple[str, ...], at: str | None = None,
                   reason: str | None = None, when_all_processed: bool = False) -> bool:
        """Move the job to `status` if it is in one of `seen` (and, with `when_all_processed`, every customer
        was handled); False if not."""
        change = UpdateExpression().set("status", status)
        if at is not None:
            change.set("finished_at", at)
        if reason is not None:
            change.set("reason", reason)
        condition = f"attribute_exists(pk) AND {change.name('status')} IN ({', '.join(map(change.value, seen))})"
        if when_all_processed:
            condition += f" AND {change.name('processed')} >= {change.name('total')}"
        try:
            self.table.apply(change.action(keys.job(account_id, job_id), condition=condition), return_values="NONE")
        except ConditionFailedError:
            return False
        return True
