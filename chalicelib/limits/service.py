"""Rate limits in fixed windows: `take` counts one use or refuses with RateLimitedError (429, Retry-After
the end of the window)."""

from __future__ import annotations

import time

from chalicelib import errors
from chalicelib.limits.repository import LimitRepository


def take(account_id: str, scope: str, limit: int, window_seconds: int, message: str) -> None:
    """Count one use of `scope` (per account) in the current window; RateLimitedError once `limit` is used."""
    now = int(time.time())
    window = now - now % window_seconds
    window_end = window + window_seconds
    if not LimitRepository().take(account_id, scope, window, window_end, limit):
        raise errors.RateLimitedError(message, retry_after=window_end - now)
