"""What an S3 object event does: exactly once in effect, whatever S3 redelivers or reorders.

Created: read the reservation, file record, customer and account in one BatchGetItem, look at the object
itself (HeadObject: moto and races make the event's own figures unreliable), then either
- record and count it in one transaction (file record only if new, `used_bytes`, the customer's counters,
  `open` → `partial`, activity, reservation cleared), or
- reject it: delete the object and record the file as `rejected` with the reason, counting nothing.
A duplicate finds the record already there; an event for an object that is gone changes nothing.

Removed: a stored file's record is dropped and its bytes uncounted, once (the delete is conditional on
the record still being `stored`). A removal that overtakes its creation finds no record, only the
reservation, and clears it; the late created event then finds no object.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from chalicelib import clock
from chalicelib.activity import repository as activity
from chalicelib.activity.models import CUSTOMER, SYSTEM
from chalicelib.customers.repository import CustomerRepository
from chalicelib.events.models import FileAddress, ObjectEvent, file_address
from chalicelib.files.models import StoredFile
from chalicelib.files.repository import EventState, FileRepository
from chalicelib.observability import logger, metrics
from chalicelib.storage import objects
from chalicelib.storage.dynamo import TransactionCancelledError

_ATTEMPTS = 3


@dataclass
class Outcome:
    """What one event did; `stored` outcomes feed the staff notification."""

    result: str  # stored, rejected, removed, replaced, duplicate, gone, unknown, ignored
    address: FileAddress | None = None
    file: StoredFile | None = None
    account: dict[str, Any] | None = None
    customer: dict[str, Any] | None = None


def handle(event: ObjectEvent) -> Outcome:
    address = file_address(event.key)
    if address is None:
        logger.warning("event for a key outside the file layout", extra={"key": event.key, "event": event.name})
        return Outcome("ignored")
    if event.kind == "created":
        outcome = _created(event, address)
    elif event.kind == "removed":
        outcome = _removed(address)
    else:
        outcome = Outcome("ignored", address)
    metrics.add_metric(name=f"Files{outcome.result.capitalize()}", unit="Count", value=1)
    logger.info("object event handled", extra={"event": event.name, "key": event.key, "result": outcome.result})
    return outcome


def _created(event: ObjectEvent, address: FileAddress) -> Outcome:
    repository = FileRepository()
    for _ in range(_ATTEMPTS):
        state = repository.event_state(address.account_id, address.customer_id, address.file_id)
        try:
            head = objects.head(event.bucket, event.key)
        except objects.ObjectMissingError:
            return Outcome("gone", address)
        size, etag = int(head["ContentLength"]), str(head.get("ETag", "")).strip('"')
        content_type = str(head.get("ContentType", "")).lower()
        try:
            return _decide_created(repository, event, address, state, size, etag, content_type)
        except TransactionCancelledError as exc:
            if exc.reasons[:1] == ["ConditionalCheckFailed"]:
                return Outcome("duplicate", address)
            logger.info("upload transaction cancelled; reading again", extra={"reasons": exc.reasons})
    raise RuntimeError(f"could not record {event.key} after {_ATTEMPTS} attempts")


def _decide_created(repository: FileRepository, event: ObjectEvent, address: FileAddress, state: EventState,
                    size: int, etag: str, content_type: str) -> Outcome:
    file, reservation = state.file, state.reservation
    if file is not None:
        if file.state != "stored" or file.deleting:
            _delete_object(event, "an object under a rejected or deleted file")
            return Outcome("duplicate", address)
        if not file.etag or file.etag == etag:
            return Outcome("duplicate", address)
        if size <= file.size_limit() and content_type == file.content_type:
            repository.replace_object(address.account_id, file, size, etag)
            return Outcome("replaced", address)
        _delete_object(event, "an overwrite that breaks the reservation")
        return Outcome("duplicate", address)

    now = clock.now_iso()
    if reservation is None:
        # Nothing was promised under this key (or the reservation expired long ago).
        _delete_object(event, "no reservation")
        if state.customer is None or state.account is None:
            return Outcome("unknown", address)
        rejected = StoredFile(
            id=address.file_id, customer_id=address.customer_id, key=event.key, area="general", filename="unknown",
            size=size, content_type=content_type or "application/octet-stream", direction="received",
            state="rejected", review="rejected", reject_reason="unexpected_upload", etag=etag, actor=SYSTEM,
            uploaded_at=now,
        )
        repository.reject(address.account_id, rejected, [_rejected_entry(address, rejected)])
        return Outcome("rejected", address, rejected)

    record = StoredFile(
        id=address.file_id, customer_id=reservation.customer_id, key=event.key, area=reservation.area,
        filename=reservation.filename, size=size, content_type=reservation.content_type,
        direction=reservation.direction, state="stored", etag=etag, link_id=reservation.link_id,
        actor=reservation.actor, uploaded_at=now, declared_size=reservation.size,
    )
    reason = _breach(state, record, content_type)
    if reason is not None:
        _delete_object(event, reason)
        rejected = record.model_copy(update={"state": "rejected", "review": "rejected", "reject_reason": reason})
        entries = [_rejected_entry(address, rejected)] if state.customer is not None else []
        repository.reject(address.account_id, rejected, entries)
        return Outcome("rejected", address, rejected, state.account, state.customer)

    customer = state.customer or {}
    account = state.account or {}
    status = str(customer.get("status", "open"))
    moves_to_partial = record.direction == "received" and status == "open"
    kind = "file_received" if record.direction == "received" else "file_sent"
    entry = activity.entry(address.account_id, record.customer_id, kind,
                           CUSTOMER if record.link_id else record.actor,
                           {"file_id": record.id, "filename": record.filename, "area": record.area,
                            "size": record.size}, at=now)
    entries = [entry]
    if moves_to_partial:
        entries.append(activity.entry(address.account_id, record.customer_id, "status_changed", SYSTEM,
                                      {"from": "open", "to": "partial", "reason": "first upload"}, at=now))
    quota = int(account.get("base_quota_bytes", 0)) + int(account.get("extra_storage_bytes", 0))
    try:
        repository.store(address.account_id, record, quota_bytes=quota, customer_status=status,
                         new_status="partial" if moves_to_partial else None, entries=entries)
    except TransactionCancelledError as exc:
        if exc.reasons[2:3] == ["ConditionalCheckFailed"] and exc.reasons[:1] != ["ConditionalCheckFailed"]:
            # Another upload took the last bytes since this one's state was read.
            _delete_object(event, "quota_exceeded")
            rejected = record.model_copy(update={"state": "rejected", "review": "rejected",
                                                 "reject_reason": "quota_exceeded"})
            repository.reject(address.account_id, rejected, [_rejected_entry(address, rejected)])
            return Outcome("rejected", address, rejected, state.account, state.customer)
        raise
    return Outcome("stored", address, record, state.account, state.customer)


def _breach(state: EventState, record: StoredFile, content_type: str) -> str | None:
    """Why the stored object may not be kept, or None."""
    reservation = state.reservation
    assert reservation is not None
    customer = state.customer
    if customer is None or customer.get("closing") or state.account is None:
        return "customer_gone"
    if record.size > reservation.size:
        return "larger_than_declared"
    if content_type != reservation.content_type:
        return "type_differs"
    account = state.account
    quota = int(account.get("base_quota_bytes", 0)) + int(account.get("extra_storage_bytes", 0))
    if int(account.get("used_bytes", 0)) + record.size > quota:
        return "quota_exceeded"
    return None


def _rejected_entry(address: FileAddress, file: StoredFile) -> Any:
    return activity.entry(address.account_id, file.customer_id, "file_rejected", SYSTEM,
                          {"file_id": file.id, "filename": file.filename, "reason": file.reject_reason,
                           "size": file.size})


def _delete_object(event: ObjectEvent, reason: str) -> None:
    logger.info("deleting an object that may not stay", extra={"key": event.key, "reason": reason})
    objects.delete(event.bucket, event.key)


def _removed(address: FileAddress) -> Outcome:
    repository = FileRepository()
    for _ in range(_ATTEMPTS):
        state = repository.event_state(address.account_id, address.customer_id, address.file_id)
        file = state.file
        if file is None:
            if state.reservation is not None:
                repository.forget_reservation(address.account_id, address.file_id)
            return Outcome("gone", address)
        if file.state != "stored":
            return Outcome("duplicate", address)
        customer = state.customer
        if file.customer_id != address.customer_id:  # the file moved to another customer in a merge
            customer = CustomerRepository().get_item(address.account_id, file.customer_id)
        if customer is not None and customer.get("closing") == "delete":
            customer = None  # its deletion removes the rest; no history for a customer on its way out
        entry = activity.entry(address.account_id, file.customer_id, "file_deleted", SYSTEM,
                               {"file_id": file.id, "filename": file.filename, "size": file.size})
        try:
            repository.remove(address.account_id, file, customer_exists=customer is not None, entries=[entry])
            return Outcome("removed", address, file)
        except TransactionCancelledError as exc:
            if exc.reasons[:1] == ["ConditionalCheckFailed"]:
                return Outcome("duplicate", address)
            logger.info("removal transaction cancelled; reading again", extra={"reasons": exc.reasons})
    raise RuntimeError(f"could not remove the record of {address.file_id} after {_ATTEMPTS} attempts")
