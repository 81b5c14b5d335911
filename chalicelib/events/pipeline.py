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
from chalicelib.accounts.models import Account
from chalicelib.activity import service as activity
from chalicelib.activity.models import CUSTOMER, SYSTEM, ActivityType
from chalicelib.customers import reads as customers
from chalicelib.customers.models import Customer
from chalicelib.events.models import ObjectEvent
from chalicelib.events.rules import StoredObject, breach, overwrite_breach, recorded
from chalicelib.files import records
from chalicelib.files.models import FileAddress, StoredFile, parse_file_key
from chalicelib.files.records import DuplicateEventError, EventState, QuotaTakenError
from chalicelib.links import service as links
from chalicelib.observability import logger, metrics
from chalicelib.races import LostRaceError, retry_lost_races
from chalicelib.storage import objects
from chalicelib.storage.dynamo import Action, Put, TransactionCancelledError, named

_ATTEMPTS = 3
#: Where objects that may not stay under their key are kept for an operator (never deleted unseen).
QUARANTINE_PREFIX = "quarantine/"


@dataclass
class Outcome:
    """What one event did; `stored` outcomes feed the staff notification."""

    result: str  # stored, rejected, removed, replaced, duplicate, gone, unknown, ignored
    address: FileAddress | None = None
    file: StoredFile | None = None
    account: Account | None = None
    customer: Customer | None = None


def handle(event: ObjectEvent) -> Outcome:
    address = parse_file_key(event.key)
    if address is None:
        logger.warning("event for a key outside the file layout", extra={"key": event.key, "event": event.name})
        return Outcome("ignored")
    if event.kind == "created":
        outcome = _created(event, address)
    elif event.kind == "removed":
        outcome = _removed(event, address)
    else:
        outcome = Outcome("ignored", address)
    metrics.add_metric(name=f"Files{outcome.result.capitalize()}", unit="Count", value=1)
    logger.info("object event handled", extra={"event": event.name, "key": event.key, "result": outcome.result})
    return outcome


class _NoChecklistItemError(Exception):
    """The file's link has no checklist item for its area (a link made before checklists, or the area was
    deleted): the transaction is written again without the item's update."""


def _checklist_action(account_id: str, file: StoredFile, review: str | None, with_checklist: bool) -> list[Action]:
    """The update of the checklist item a file uploaded through a link belongs to (in the same transaction as
    the file's record, so the event handler reads and writes nothing more)."""
    if not with_checklist or file.link_id is None or file.direction != "received":
        return []
    # Listed last in the transaction, its condition decides only when no other one failed.
    return [named(links.checklist_file_action(account_id, file.link_id, file.area, file.id, review),
                  _NoChecklistItemError)]


def _look(event: ObjectEvent) -> StoredObject:
    head = objects.head(event.bucket, event.key)
    version = head.get("VersionId")
    return StoredObject(size=int(head["ContentLength"]), etag=str(head.get("ETag", "")).strip('"'),
                        content_type=str(head.get("ContentType", "")).lower(),
                        version_id=str(version) if version and version != "null" else None,
                        written_at=clock.iso(head["LastModified"]) if head.get("LastModified") else clock.now_iso())


class _Attempts:
    """What one attempt at an event's transaction tells the next: a link without the file's checklist item
    (written again without it), or a lost race (read again; logged)."""

    def __init__(self, what: str) -> None:
        self.what = what
        self.with_checklist = True

    def lost(self, exc: BaseException) -> None:
        if isinstance(exc, _NoChecklistItemError):
            self.with_checklist = False
        elif isinstance(exc, TransactionCancelledError):
            logger.info(f"{self.what} transaction cancelled; reading again", extra={"reasons": exc.reasons})
        else:
            logger.info(f"{self.what} transaction lost a race; reading again")


def _created(event: ObjectEvent, address: FileAddress) -> Outcome:
    attempts = _Attempts("upload")

    def attempt() -> Outcome:
        state = records.event_state(address.account_id, address.customer_id, address.file_id)
        try:
            stored = _look(event)
        except objects.ObjectMissingError:
            return Outcome("gone", address)
        try:
            return _decide_created(event, address, state, stored, attempts.with_checklist)
        except DuplicateEventError:
            return Outcome("duplicate", address)

    return retry_lost_races(attempt, (_NoChecklistItemError, LostRaceError, TransactionCancelledError),
                            f"could not record {event.key} after {_ATTEMPTS} attempts", attempts=_ATTEMPTS,
                            on_lost=attempts.lost)


def _decide_created(event: ObjectEvent, address: FileAddress, state: EventState, stored: StoredObject,
                    with_checklist: bool) -> Outcome:
    file, reservation = state.file, state.reservation
    size, etag = stored.size, stored.etag
    if file is not None:
        return _existing(event, address, state, file, stored, with_checklist)

    now = clock.now_iso()
    if reservation is None:
        return _unexpected(event, address, state, stored, now)

    release = records.release_actions(address.account_id, reservation, now=clock.now().timestamp())
    record = StoredFile(
        id=address.file_id, customer_id=reservation.customer_id, key=event.key, area=reservation.area,
        filename=reservation.filename, size=size, content_type=reservation.content_type,
        direction=reservation.direction, state="stored", etag=etag, link_id=reservation.link_id,
        actor=reservation.actor, uploaded_at=now, declared_size=reservation.size, version_id=stored.version_id,
        link_expires_at=reservation.link_expires_at,
    )
    reason = breach(state, record.size, stored)
    if reason is not None:
        quarantine = _quarantine(event, stored, reason)
        rejected = record.model_copy(update={"state": "rejected", "review": "rejected", "reject_reason": reason,
                                             "quarantine_key": quarantine})
        entries = [_rejected_entry(address, rejected)] if state.customer is not None else []
        records.reject(address.account_id, rejected, entries, release)
        return Outcome("rejected", address, rejected, state.account, state.customer)

    assert state.customer is not None and state.account is not None  # else the breach is customer_gone
    status = state.customer.status
    moves_to_partial = record.direction == "received" and status == "open"
    entries = _stored_entries(address, record, moves_to_partial, now)
    checklist = _checklist_action(address.account_id, record, record.review, with_checklist)
    try:
        records.store(address.account_id, record, quota_bytes=state.account.quota_bytes, customer_status=status,
                      new_status="partial" if moves_to_partial else None, entries=[*entries, *checklist],
                      release=release)
    except QuotaTakenError:
        # Another upload took the last bytes since this one's state was read.
        quarantine = _quarantine(event, stored, "quota_exceeded")
        rejected = record.model_copy(update={"state": "rejected", "review": "rejected",
                                             "reject_reason": "quota_exceeded", "quarantine_key": quarantine})
        records.reject(address.account_id, rejected, [_rejected_entry(address, rejected)], release)
        return Outcome("rejected", address, rejected, state.account, state.customer)
    return Outcome("stored", address, record, state.account, state.customer)


def _unexpected(event: ObjectEvent, address: FileAddress, state: EventState, stored: StoredObject, now: str
                ) -> Outcome:
    """An object nothing was promised under (or so long ago that no event for it can still be in flight):
    quarantined, and recorded as rejected when its customer exists."""
    quarantine = _quarantine(event, stored, "no reservation")
    if state.customer is None or state.account is None:
        return Outcome("unknown", address)
    rejected = StoredFile(
        id=address.file_id, customer_id=address.customer_id, key=event.key, area="general", filename="unknown",
        size=stored.size, content_type=stored.content_type or "application/octet-stream", direction="received",
        state="rejected", review="rejected", reject_reason="unexpected_upload", etag=stored.etag, actor=SYSTEM,
        uploaded_at=now, version_id=stored.version_id, quarantine_key=quarantine,
    )
    records.reject(address.account_id, rejected, [_rejected_entry(address, rejected)], None)
    return Outcome("rejected", address, rejected)


def _stored_entries(address: FileAddress, record: StoredFile, moves_to_partial: bool, now: str) -> list[Put]:
    """The history of a stored file: received (or sent), and the customer's move to partial at the first upload."""
    kind: ActivityType = "file_received" if record.direction == "received" else "file_sent"
    entries = [activity.entry(address.account_id, record.customer_id, kind,
                              CUSTOMER if record.link_id else record.actor,
                              {"file_id": record.id, "filename": record.filename, "area": record.area,
                               "size": record.size}, at=now)]
    if moves_to_partial:
        entries.append(activity.entry(address.account_id, record.customer_id, "status_changed", SYSTEM,
                                      {"from": "open", "to": "partial", "reason": "first upload"}, at=now))
    return entries


def _existing(event: ObjectEvent, address: FileAddress, state: EventState, file: StoredFile,
              stored: StoredObject, with_checklist: bool) -> Outcome:
    """An event for a key that already has a record: a duplicate, or the upload form used again."""
    verdict = recorded(file, stored)
    if verdict == "deleted_file":
        _delete_object(event, "an object under a file staff deleted")
        return Outcome("duplicate", address)
    if verdict == "rejected_file":
        _quarantine(event, stored, "an object under a rejected file")
        return Outcome("duplicate", address)
    if verdict == "duplicate":
        return Outcome("duplicate", address)
    reason = overwrite_breach(state, file, stored)
    if reason is not None:
        # The checked version stays the object: the new one goes to quarantine (and, versioned, away).
        quarantine = _quarantine(event, stored, reason, keep_previous=True)
        entry = activity.entry(address.account_id, file.customer_id, "file_rejected", SYSTEM,
                               {"file_id": file.id, "filename": file.filename, "reason": reason,
                                "size": stored.size, "quarantine_key": quarantine})
        if state.customer is not None:
            records.record([entry])
        return Outcome("rejected", address, file)
    now = clock.now_iso()
    replaced = file.model_copy(update={"size": stored.size, "etag": stored.etag, "version_id": stored.version_id,
                                       "uploaded_at": now, "review": "pending", "review_comment": None})
    entries = []
    if state.customer is not None:
        entries.append(activity.entry(
            address.account_id, file.customer_id, "file_replaced", CUSTOMER if file.link_id else file.actor,
            {"file_id": file.id, "filename": file.filename, "size": stored.size, "previous_size": file.size,
             "previous_review": file.review, "version_id": stored.version_id}, at=now))
    checklist = _checklist_action(address.account_id, replaced, replaced.review, with_checklist)
    records.replace_object(address.account_id, file, replaced, [*entries, *checklist])
    return Outcome("replaced", address, replaced)


def _rejected_entry(address: FileAddress, file: StoredFile) -> Any:
    return activity.entry(address.account_id, file.customer_id, "file_rejected", SYSTEM,
                          {"file_id": file.id, "filename": file.filename, "reason": file.reject_reason,
                           "size": file.size})


def _delete_object(event: ObjectEvent, reason: str) -> None:
    logger.info("deleting an object that may not stay", extra={"key": event.key, "reason": reason})
    objects.delete(event.bucket, event.key)


def quarantine_key(key: str, stored_version: str) -> str:
    return f"{QUARANTINE_PREFIX}{key}/{stored_version}"


def _quarantine(event: ObjectEvent, stored: StoredObject, reason: str, keep_previous: bool = False) -> str:
    """Move an object that may not stay out of the file's key, never losing its bytes: a copy under
    `quarantine/` (an operator can restore it), then the object (that version of it) goes. With
    `keep_previous` only that version goes, so the previous one is the object again; without versioning
    there is no previous one and the key is left alone."""
    target = quarantine_key(event.key, stored.version_id or stored.etag or "unversioned")
    try:
        objects.copy(event.bucket, event.key, target, stored.version_id)
    except objects.ObjectMissingError:
        if stored.version_id is None:
            return target  # gone meanwhile (a concurrent delivery of the same event moved it)
        if not objects.exists(event.bucket, target):
            raise  # neither here nor kept: something else removed it; let the event be retried and looked at
        return target
    logger.warning("object quarantined", extra={"key": event.key, "quarantine_key": target, "reason": reason,
                                                "version_id": stored.version_id})
    metrics.add_metric(name="ObjectsQuarantined", unit="Count", value=1)
    if stored.version_id:
        objects.delete_version(event.bucket, event.key, stored.version_id)
    elif not keep_previous:
        objects.delete(event.bucket, event.key)
    return target


def _still_there(event: ObjectEvent) -> bool:
    """Whether the key still holds an object: a version was removed and an earlier one is the object again (a
    quarantined overwrite), or the key was written again since."""
    try:
        objects.head(event.bucket, event.key)
    except objects.ObjectMissingError:
        return False
    return True


def _gone(address: FileAddress, state: EventState) -> Outcome:
    """A removal whose file has no record (a duplicate event, or an upload never recorded): only its reservation,
    if one is left, is forgotten."""
    if state.reservation is not None:
        records.forget_reservation(address.account_id, state.reservation, clock.now().timestamp())
    return Outcome("gone", address)


def _removed(event: ObjectEvent, address: FileAddress) -> Outcome:
    if _still_there(event):
        return Outcome("ignored", address)
    attempts = _Attempts("removal")

    def attempt() -> Outcome:
        state = records.event_state(address.account_id, address.customer_id, address.file_id)
        file = state.file
        if file is None:
            return _gone(address, state)
        if file.state != "stored":
            return Outcome("duplicate", address)
        customer = state.customer
        if file.customer_id != address.customer_id:  # the file moved to another customer in a merge
            customer = customers.stored_customer(address.account_id, file.customer_id)
        if customer is not None and not customer.visible:
            customer = None  # its deletion removes the rest; no history for a customer on its way out
        entry = activity.entry(address.account_id, file.customer_id, "file_deleted", SYSTEM,
                               {"file_id": file.id, "filename": file.filename, "size": file.size})
        checklist = _checklist_action(address.account_id, file, None,
                                      attempts.with_checklist and customer is not None)
        try:
            records.remove(address.account_id, file, customer_exists=customer is not None,
                           entries=[entry, *checklist])
        except DuplicateEventError:
            return Outcome("duplicate", address)
        return Outcome("removed", address, file)

    return retry_lost_races(attempt, (_NoChecklistItemError, TransactionCancelledError),
                            f"could not remove the record of {address.file_id} after {_ATTEMPTS} attempts",
                            attempts=_ATTEMPTS, on_lost=attempts.lost)
