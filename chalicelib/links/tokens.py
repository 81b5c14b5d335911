"""Capability tokens: `<account>.<id>[.<id>].<secret>`, the secret 256 bits from `secrets`.

Only a SHA-256 of the secret is stored; the whole token is shown once, in a URL. The ids in front let the
portal read what the token opens under the account's own keys: a link token names the customer and the
link (`<account>.<customer>.<link>.<secret>`), so one BatchGetItem reads link, customer and account
together; the registration link's token names its own id. A token whose parts were changed finds nothing
or fails the constant-time comparison, and is answered like an unknown one.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets

from chalicelib.auth.tokens import ACCOUNT_ID_PATTERN
from chalicelib.ids import ID_PATTERN

_ACCOUNT = re.compile(ACCOUNT_ID_PATTERN)
_ID = re.compile(ID_PATTERN)
_SECRET = re.compile(r"^[A-Za-z0-9_-]{43}$")
_MAX_TOKEN_CHARS = 200


def new_token(account_id: str, *ids: str) -> tuple[str, str]:
    """(token, hash of its secret)."""
    secret = secrets.token_urlsafe(32)
    return ".".join([account_id, *ids, secret]), hash_secret(secret)


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def parse(token: str, ids: int = 1) -> tuple[str, ...] | None:
    """(account id, *ids, secret) of a well-formed token with `ids` ids, or None for anything else."""
    parts = token.split(".") if len(token) <= _MAX_TOKEN_CHARS else []
    if len(parts) != ids + 2:
        return None
    account, *middle, secret = parts
    if not _ACCOUNT.match(account) or not _SECRET.match(secret) or not all(_ID.match(i) for i in middle):
        return None
    return (account, *middle, secret)


def matches(secret: str, stored_hash: str) -> bool:
    return hmac.compare_digest(hash_secret(secret), stored_hash)
