"""What open upload reservations hold, counted in O(1) per presign, and the limits on it.

Counting open reservations by reading them costs a query that grows with every presign (and with abuse).
Instead each scope keeps a ledger item: the account, each customer and each link. A ledger counts per window
of creation time (WINDOW_SECONDS): `b{w}` bytes and `n{w}` reservations still open, `p{w}` bytes of portal
reservations (account only), `r{w}` presigns made (links only: the rate limit) and `x{w}` the latest policy
expiry of the window (epoch seconds). A window counts while its expiry lies ahead, so an abandoned
reservation stops counting the moment its policy expires, without any write. The upload's event subtracts
a consumed reservation from its window in the transaction that deletes the reservation (conditioned on it
being there, so once). Policies live at most 15 minutes, so at most 16 windows are alive; a presign removes
the dead ones from the ledgers it writes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, NamedTuple

WINDOW_SECONDS = 60
#: S3 events can arrive this long after an upload: the dead-letter queues keep messages 14 days, plus a day's
#: margin for a redrive. What recognises an upload (its reservation, a link's revocation) lives this long.
EVENT_HORIZON_SECONDS = 15 * 24 * 3600

# Product limits (README, "Upload limits").
#: What one link may hold reserved at once: open reservations and their bytes.
LINK_MAX_OPEN = 20
LINK_MAX_BYTES = 100 * 1024 * 1024
#: What one customer may hold reserved at once through all their links together.
CUSTOMER_MAX_OPEN = 40
CUSTOMER_MAX_BYTES = 200 * 1024 * 1024
#: Presigns one link may make per window (a minute).
LINK_PRESIGNS_PER_WINDOW = 30
#: Portal reservations together may hold at most this share of the account's free storage; the rest stays
#: for staff (and for what is already on its way).
PORTAL_SHARE = 0.75


def window_of(epoch_seconds: float) -> int:
    return int(epoch_seconds // WINDOW_SECONDS)


@dataclass(frozen=True)
class Held:
    bytes: int = 0
    count: int = 0
    portal_bytes: int = 0


class Ledger(NamedTuple):
    """One ledger item as read (an empty dict when there is none yet)."""

    item: dict[str, Any]

    def _windows(self) -> set[int]:
        return {int(name[1:]) for name in self.item if name[:1] in "bnprx" and name[1:].isdigit()}

    def _number(self, name: str) -> int:
        return int(self.item.get(name, 0))

    def _alive(self, window: int, now: float) -> bool:
        return f"x{window}" in self.item and float(self.item[f"x{window}"]) > now

    def held(self, now: float) -> Held:
        alive = [w for w in self._windows() if self._alive(w, now)]
        return Held(bytes=max(0, sum(self._number(f"b{w}") for w in alive)),
                    count=max(0, sum(self._number(f"n{w}") for w in alive)),
                    portal_bytes=max(0, sum(self._number(f"p{w}") for w in alive)))

    def presigns_in(self, window: int) -> int:
        return self._number(f"r{window}")

    def dead_attributes(self, now: float, current: int) -> list[str]:
        """Attributes of windows that count no more (never the current one, which is being written)."""
        dead = [w for w in self._windows() if w != current and not self._alive(w, now)]
        return [name for name in self.item if name[:1] in "bnprx" and name[1:].isdigit() and int(name[1:]) in dead]

    def revoked_at(self, link_id: str) -> str | None:
        """When the customer's link was revoked (customer ledgers only), if it was."""
        value = self.item.get(f"revoked_{link_id}")
        return str(value) if value else None


def retry_after(now: float) -> int:
    """Seconds until the next window begins."""
    return max(1, math.ceil((window_of(now) + 1) * WINDOW_SECONDS - now))
