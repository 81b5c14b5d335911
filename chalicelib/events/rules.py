"""The S3 pipeline's rules as functions of what one event read, without I/O: whether a new upload may stay,
what an event for a file that already has a record is, and whether an overwrite keeps its reservation.
chalicelib/events/pipeline.py reads, decides with these, and writes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from chalicelib.files.models import StoredFile
from chalicelib.files.records import EventState


@dataclass(frozen=True)
class StoredObject:
    """What S3 holds under the key now (HeadObject: moto and races make the event's own figures unreliable)."""

    size: int
    etag: str
    content_type: str
    version_id: str | None
    written_at: str  # when S3 stored it (whole seconds)


def link_closed(state: EventState, link_id: str | None, link_expires_at: str | None, written_at: str) -> str | None:
    """Why an object written through a link at `written_at` came too late (the link was revoked or had
    expired by then), or None. S3 gives whole seconds: an object written in the second of the revocation
    counts as late (it is quarantined, not lost)."""
    if link_id is None:
        return None
    revoked_at = state.customer_ledger.revoked_at(link_id)
    if revoked_at is not None and written_at[:19] >= revoked_at[:19]:
        return "link_revoked"
    if link_expires_at is not None and written_at[:19] >= link_expires_at[:19]:
        return "link_expired"
    return None


def breach(state: EventState, size: int, stored: StoredObject) -> str | None:
    """Why a new upload of `size` bytes (its reservation in `state`) may not be kept, or None."""
    reservation = state.reservation
    assert reservation is not None
    # Any closing customer (deleted or merged away) takes no new file.
    if state.customer is None or state.customer.closing or state.account is None:
        return "customer_gone"
    closed = link_closed(state, reservation.link_id, reservation.link_expires_at, stored.written_at)
    if closed is not None:
        return closed
    if size > reservation.size:
        return "larger_than_declared"
    if stored.content_type != reservation.content_type:
        return "type_differs"
    if size > state.account.free_bytes:
        return "quota_exceeded"
    return None


#: What an event for a key that already has a record is: an object under a file staff deleted, an object under
#: a rejected file, the object the record describes (a duplicate event), or a new version (the form used again).
Recorded = Literal["deleted_file", "rejected_file", "duplicate", "overwrite"]


def recorded(file: StoredFile, stored: StoredObject) -> Recorded:
    if file.deleting:
        return "deleted_file"
    if file.state != "stored":
        return "rejected_file"
    if not file.etag or file.etag == stored.etag:
        return "duplicate"
    return "overwrite"


def overwrite_breach(state: EventState, file: StoredFile, stored: StoredObject) -> str | None:
    """Why a new version of a stored file may not replace it, or None."""
    closed = link_closed(state, file.link_id, file.link_expires_at, stored.written_at)
    if closed is not None:
        return closed
    if stored.size > file.size_limit() or stored.content_type != file.content_type:
        return "overwrite_breaks_reservation"
    return None
