"""Optimistic writes: a change checked against what it read is written only if nothing changed meanwhile;
one that lost the race is read, checked and written again."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

from chalicelib import errors

T = TypeVar("T")

ATTEMPTS = 3


class LostRaceError(Exception):
    """What a repository's write raises when the item changed since it was read (its condition on what was
    read is false): read, check and write again."""


def retry_lost_races(change: Callable[[], T], lost: type[BaseException] | tuple[type[BaseException], ...],
                     conflict_message: str, attempts: int = ATTEMPTS, pause_seconds: float = 0.0,
                     on_lost: Callable[[BaseException], None] | None = None) -> T:
    """`change()` again while it raises `lost` (after `pause_seconds` times the attempt, so that writers
    contending for one item spread out); after `attempts`, a 409 with `conflict_message`. `on_lost` hears of
    each lost attempt (to log it, or to change what the next attempt does)."""
    for attempt in range(attempts):
        try:
            return change()
        except lost as exc:
            if on_lost is not None:
                on_lost(exc)
            if pause_seconds and attempt < attempts - 1:
                time.sleep(pause_seconds * (attempt + 1))
    raise errors.ConflictError(conflict_message)
