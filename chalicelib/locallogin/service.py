"""One-time local login codes: issued by the local stack's tools, redeemed by the staff console.

A code is `<account>.<secret>` (256 random bits); it works once and for at most 15 minutes. The whole
feature exists only on the local stage: anywhere else issuing fails and redeeming answers like an
unknown route, since real sign-in goes through the identity provider.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import time

from chalicelib import errors
from chalicelib.auth.tokens import ACCOUNT_ID_PATTERN, Principal, Role, issue_token
from chalicelib.locallogin.models import LocalLoginOut, LoginGrant
from chalicelib.locallogin.repository import LocalLoginRepository
from chalicelib.settings import get_settings

CODE_TTL_SECONDS = 15 * 60
_CODE = re.compile(ACCOUNT_ID_PATTERN[:-1] + r"\.[A-Za-z0-9_-]{43}$")


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def ensure_local_stage() -> None:
    """Refuse, as an unknown route would, anywhere but the local stage."""
    if get_settings().stage != "local":
        raise errors.NotFoundError("No such route.")


def issue_login_code(account_id: str, role: Role = "admin", user_id: str | None = None) -> str:
    """A fresh single-use code that signs `user_id` (default `<account>-<role>`) of an existing account in."""
    from chalicelib.accounts import service as accounts

    ensure_local_stage()
    user_id = user_id or f"{account_id}-{role}"
    issue_token(account_id, user_id, role)  # the same checks of account id and role as any token
    accounts.get_account(Principal(account_id, user_id, role))  # NotFoundError for an unknown account
    secret = secrets.token_urlsafe(32)
    grant = LoginGrant(account_id=account_id, user_id=user_id, role=role)
    LocalLoginRepository().store(_hash(secret), grant, int(time.time()) + CODE_TTL_SECONDS)
    return f"{account_id}.{secret}"


def console_login_url(code: str) -> str:
    """The console URL that signs in with `code`; a fragment, so the code never reaches a server log."""
    return f"{get_settings().public_base_url}/app/#login={code}"


def redeem_login_code(code: str) -> LocalLoginOut:
    """Exchange a code for a staff bearer token, once (the team records the sign-in: users.service)."""
    ensure_local_stage()
    refused = errors.UnauthorizedError("This login code is unknown, used or expired.")
    if not _CODE.match(code):
        raise refused
    account_id, secret = code.split(".", 1)
    grant = LocalLoginRepository().take(account_id, _hash(secret), int(time.time()))
    if grant is None:
        raise refused
    token = issue_token(grant.account_id, grant.user_id, grant.role)
    return LocalLoginOut(token=token, account=grant.account_id, role=grant.role, user=grant.user_id)
