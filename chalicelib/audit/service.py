"""Audit rules: what an entry holds, how long it is kept, and how a request's entry is written with its change.

`record(...)` is the one function other domains call (the portal's sign-in, the staff sign-in, downloads that
change nothing). A state-changing staff route needs no call at all: `chalicelib.audit.middleware` makes its
entry pending for the request, and the storage layer writes it in the same transaction as the request's first
DynamoDB write (`chalicelib.storage.dynamo.companion_write`).
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator

from chalicelib import clock, ids
from chalicelib.audit.models import AuditEntry, AuditFilter
from chalicelib.audit.repository import AuditRepository
from chalicelib.settings import get_settings
from chalicelib.storage.dynamo import Put, companion_write


def new_entry(*, actor: str, action: str, target: str, ip: str | None = None,
              customer_id: str | None = None) -> AuditEntry:
    return AuditEntry(id=ids.new_id(), at=clock.now_iso(), actor=actor, action=action, target=target,
                      ip=ip or None, customer_id=customer_id or None)


def _expires_at_epoch(entry: AuditEntry) -> int:
    kept = datetime.timedelta(days=get_settings().audit_retention_days)
    return int((clock.parse(entry.at) + kept).timestamp())


def record(account_id: str, *, actor: str, action: str, target: str, ip: str | None = None,
           customer_id: str | None = None) -> AuditEntry:
    """Write one entry now, on its own. For what is not a state-changing staff route: a sign-in, a portal
    sign-in, a download. `actor`: the staff user's id, or `customer:{id}` in the portal."""
    entry = new_entry(actor=actor, action=action, target=target, ip=ip, customer_id=customer_id)
    AuditRepository().add(account_id, entry, _expires_at_epoch(entry))
    return entry


def entry_action(account_id: str, entry: AuditEntry) -> Put:
    """The entry as a Put that joins another write's transaction (see `chalicelib.audit.middleware`)."""
    return AuditRepository().put_action(account_id, entry, _expires_at_epoch(entry))


def drop_pending_entry() -> None:
    """The current request records nothing after all: an audited read that handed nothing out (an export not
    done yet, which the console polls) is not an event worth an entry."""
    companion_write.set(None)


def name_target(*, target: str, customer_id: str | None = None) -> None:
    """Name what the current request acts on once it is known, before the first write: a POST that creates
    something learns its id only in the service. The pending entry (if any) then records that target and is
    listed under that customer."""
    pending = companion_write.get()
    if pending is not None:
        companion_write.set(AuditRepository().retarget(pending, target, customer_id))


def write_alone(action: Put) -> None:
    """Write an entry made with `entry_action` that no other write carried."""
    AuditRepository().add_action(action)


def list_entries(account_id: str, wanted: AuditFilter, limit: int,
                 cursor: str | None) -> tuple[list[AuditEntry], str | None]:
    return AuditRepository().page(account_id, wanted, limit, cursor)


def all_entries(account_id: str, wanted: AuditFilter) -> Iterator[AuditEntry]:
    return AuditRepository().all(account_id, wanted)


def move_customer(account_id: str, source_id: str, target_id: str) -> None:
    """A merge: the entries about the merged-away customer are listed under the customer it went into."""
    AuditRepository().move_customer(account_id, source_id, target_id)


def forget_customer(account_id: str, customer_id: str) -> None:
    """A deletion (right of erasure): the entries stay, as accountability requires, but no longer name the
    customer (the id leaves their target, actor and index)."""
    AuditRepository().forget_customer(account_id, customer_id)


def entries_about(account_id: str, customer_id: str) -> list[AuditEntry]:
    """Every entry about one customer, oldest first (the customer's archive includes them)."""
    return list(AuditRepository().about_customer(account_id, customer_id))
