"""Optimistic writes: a change checked against what it read is written only if nothing changed meanwhile;
one that lost the race is read, checked and written again."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from chalicelib import errors

T = TypeVar("T")

ATTEMPTS = 3


def retry_lost_races(change: Callable[[], T], lost: type[Exception], conflict_message: str) -> T:
    """`change()` again while it raises `lost`; after ATTEMPTS, a 409 with `conflict_message`."""
    for _ in range(ATTEMPTS):
        try:
            return change()
        except lost:
            continue
    raise errors.ConflictError(conflict_message)
