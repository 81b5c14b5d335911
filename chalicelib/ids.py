"""Identifiers: time-ordered (so DynamoDB sort keys list in creation order) and unguessable."""

from __future__ import annotations

import re
import secrets
import time

#: 12 hex digits of milliseconds since the epoch, then 64 random bits: 28 lowercase hex characters.
ID_PATTERN = r"^[0-9a-f]{28}$"
_ID = re.compile(ID_PATTERN)


def new_id() -> str:
    return f"{time.time_ns() // 1_000_000:012x}{secrets.token_hex(8)}"


def is_id(value: str) -> bool:
    return bool(_ID.match(value))
