"""Link tokens: `<account>.<link id>.<secret>`, the secret 256 bits from `secrets`.

Only a SHA-256 of the secret is stored; the whole token is shown once, in the link's URL. The account and
link id let the portal find the link with one read under the account's own keys; a token whose parts
were changed finds nothing or fails the constant-time comparison, and is answered like an unknown one.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets

from chalicelib.auth.tokens import ACCOUNT_ID_PATTERN
from chalicelib.ids import ID_PATTERN

_TOKEN = re.compile(
    rf"^(?P<account>{ACCOUNT_ID_PATTERN[1:-1]})\.(?P<link>{ID_PATTERN[1:-1]})\.(?P<secret>[A-Za-z0-9_-]{{43}})$"
)


def new_token(account_id: str, link_id: str) -> tuple[str, str]:
    """(token, hash of its secret)."""
    secret = secrets.token_urlsafe(32)
    return f"{account_id}.{link_id}.{secret}", hash_secret(secret)


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def parse(token: str) -> tuple[str, str, str] | None:
    """(account id, link id, secret), or None for anything that is not a well-formed token."""
    match = _TOKEN.match(token) if len(token) <= 200 else None
    return (match["account"], match["link"], match["secret"]) if match else None


def matches(secret: str, stored_hash: str) -> bool:
    return hmac.compare_digest(hash_secret(secret), stored_hash)
