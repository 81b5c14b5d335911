"""What one reconciliation found and repaired."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

#: The account's own counters; a customer is named by its id.
ACCOUNT = "account"
CUSTOMER_COUNTERS = ("files_count", "bytes", "links_count", "area_counts")
ACCOUNT_COUNTERS = ("used_bytes", "customers_count")


@dataclass(frozen=True)
class CounterRepair:
    target: str  #: ACCOUNT or a customer id
    counter: str
    was: Any
    now: Any


@dataclass(frozen=True)
class ObjectRepair:
    """A missed S3 event replayed through the event pipeline, and what it did."""

    key: str
    event: str  #: created or removed
    result: str  #: the pipeline's outcome (stored, rejected, replaced, removed, ...)


@dataclass
class AccountReport:
    account_id: str
    objects: list[ObjectRepair] = field(default_factory=list)
    counters: list[CounterRepair] = field(default_factory=list)
    #: Counters that kept changing while they were recounted (left for the next run).
    busy: list[tuple[str, str]] = field(default_factory=list)

    @property
    def repairs(self) -> int:
        return len(self.objects) + len(self.counters)
