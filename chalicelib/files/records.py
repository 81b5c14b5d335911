"""What the S3 pipeline (chalicelib/events) records of uploads, through the files domain: the state one event
needs (one batch read), storing, rejecting, replacing and removing a file record with its counters, and
consuming the reservation it fulfils. The items, keys and transactions stay in chalicelib/files/repository.py
and reservations.py; a false condition arrives as the named error below."""

from __future__ import annotations

from collections.abc import Sequence

from chalicelib.files.models import Reservation, StoredFile
from chalicelib.files.repository import (
    DuplicateEventError,
    EventState,
    FileRepository,
    QuotaTakenError,
    ReservationRepository,
)
from chalicelib.storage.dynamo import Action

__all__ = ["DuplicateEventError", "EventState", "QuotaTakenError", "event_state", "forget_reservation", "record",
           "reject", "release_actions", "remove", "replace_object", "store"]

#: What consuming a reservation writes: its delete, then its ledgers' updates (see `release_actions`).
Release = tuple[Action, Sequence[Action]]


def event_state(account_id: str, customer_id: str, file_id: str) -> EventState:
    return FileRepository().event_state(account_id, customer_id, file_id)


def store(account_id: str, file: StoredFile, *, quota_bytes: int, customer_status: str, new_status: str | None,
          entries: Sequence[Action], release: Release) -> None:
    """Record an accepted upload and count it (DuplicateEventError, QuotaTakenError, LostRaceError: see
    FileRepository.store)."""
    FileRepository().store(account_id, file, quota_bytes=quota_bytes, customer_status=customer_status,
                           new_status=new_status, entries=entries, release=release)


def reject(account_id: str, file: StoredFile, entries: Sequence[Action], release: Release | None) -> None:
    FileRepository().reject(account_id, file, entries, release)


def replace_object(account_id: str, file: StoredFile, replaced: StoredFile, entries: Sequence[Action]) -> None:
    FileRepository().replace_object(account_id, file, replaced, entries)


def record(entries: Sequence[Action]) -> None:
    """History entries of something that changed no record."""
    FileRepository().record(entries)


def remove(account_id: str, file: StoredFile, customer_exists: bool, entries: Sequence[Action]) -> None:
    FileRepository().remove(account_id, file, customer_exists, entries)


def release_actions(account_id: str, reservation: Reservation, *, now: float) -> tuple[Action, list[Action]]:
    """The writes that consume the reservation in the caller's transaction (LostRaceError if it is gone)."""
    return ReservationRepository().release_actions(account_id, reservation, now=now)


def forget_reservation(account_id: str, reservation: Reservation, now: float) -> None:
    """A reservation whose object is gone before its upload was recorded."""
    ReservationRepository().forget(account_id, reservation, now)
