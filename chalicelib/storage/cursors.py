"""Opaque list cursors: the last key a page consumed, base64url-encoded JSON.

A cursor is only accepted for the partition it was made for, so a tampered cursor can neither reach
another account's items nor make DynamoDB fail; it is refused as invalid input instead.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from chalicelib import errors
from chalicelib.storage import keys

#: The attributes of a LastEvaluatedKey: the table's key, plus the index key for a query of gsi1 or gsi2. DynamoDB
#: refuses a start key with any other set of attributes (a 500 if we let it through).
_KEY_NAMES = {"pk": {"pk", "sk"}, "gsi1pk": {"pk", "sk", "gsi1pk", "gsi1sk"},
              "gsi2pk": {"pk", "sk", "gsi2pk", "gsi2sk"}}


def encode(last_key: dict[str, Any] | None) -> str | None:
    if not last_key:
        return None
    raw = json.dumps(last_key, separators=(",", ":"), sort_keys=True).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def decode(cursor: str | None, *, partition: str, partition_attribute: str = "pk") -> dict[str, Any] | None:
    if not cursor:
        return None
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        key: object = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (ValueError, binascii.Error, UnicodeDecodeError) as exc:
        raise errors.InvalidInputError.for_field("cursor", "is not a cursor this list gave out") from exc
    if not (
        isinstance(key, dict)
        and set(key) == _KEY_NAMES[partition_attribute]
        and all(isinstance(v, str) and 0 < len(v) <= 1024 for v in key.values())
        and key.get(partition_attribute) == partition
        and all(keys.account_of(key[name]) == keys.account_of(partition)
                for name in ("pk", "gsi1pk", "gsi2pk") if name in key)
    ):
        raise errors.InvalidInputError.for_field("cursor", "is not a cursor this list gave out")
    return key
