"""What other domains use of the history: the entry a change records in its own transaction, a customer's
history page by page or whole, and a customer's entries for a merge or a deletion."""

from __future__ import annotations

from chalicelib.activity.models import Activity
from chalicelib.activity.repository import ActivityRepository, amended, entry

__all__ = ["amended", "entry", "entry_keys", "history", "move", "page"]


def page(account_id: str, customer_id: str, limit: int, cursor: str | None) -> tuple[list[Activity], str | None]:
    """One page of the customer's history, newest first, and the cursor of the next page."""
    return ActivityRepository().page(account_id, customer_id, limit, cursor)


def history(account_id: str, customer_id: str) -> list[Activity]:
    """The customer's whole history, oldest first (ties by id)."""
    return sorted(ActivityRepository().history(account_id, customer_id), key=lambda e: (e.at, e.id))


def move(account_id: str, source_id: str, target_id: str) -> None:
    """Re-point a customer's history to another customer (a merge); idempotent."""
    ActivityRepository().move(account_id, source_id, target_id)


def entry_keys(account_id: str, customer_id: str) -> list[dict[str, str]]:
    """The keys of the customer's entries, for the transaction that deletes the customer."""
    return ActivityRepository().keys_of(account_id, customer_id)
