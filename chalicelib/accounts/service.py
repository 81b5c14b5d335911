"""Account rules: creation (idempotent), reading and changing settings, the operator's subscription changes."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from pydantic import ValidationError as PydanticValidationError

from chalicelib import clock, errors
from chalicelib.accounts.definitions import AccountPartition as AccountPartition
from chalicelib.accounts.models import CUSTOMER_LIMITS, Account, IntakeLink, Plan
from chalicelib.accounts.repository import AccountRepository
from chalicelib.accounts.repository import account_from_item as account_from_item
from chalicelib.auth.tokens import ACCOUNT_ID_PATTERN, Principal
from chalicelib.storage.dynamo import ConditionFailedError


def create_account(
    account_id: str, name: str | None = None, plan: Plan = "pro"
) -> tuple[Account, bool]:
    """The account, and whether it was created now (False: it already existed and is unchanged)."""
    if not re.match(ACCOUNT_ID_PATTERN, account_id):
        raise errors.InvalidInputError.for_field("id", "2-40 lowercase letters, digits or '-'")
    repository = AccountRepository()
    moment = clock.now_iso()
    account = Account(id=account_id, name=name or account_id, plan=plan, created_at=moment, updated_at=moment)
    if repository.create(account):
        return account, True
    existing = repository.get(account_id)
    if existing is None:  # deleted between the two calls
        raise errors.ConflictError("The account changed while it was being created; try again.")
    return existing, False


GIB = 1024**3
#: Extra storage is booked in whole GiB; 1 TiB bounds a typing mistake.
MAX_EXTRA_STORAGE_BYTES = 1024 * GIB


def change_subscription(account_id: str, plan: Plan | None = None, extra_storage_bytes: int | None = None
                        ) -> Account:
    """What the account pays for: its plan and booked extra storage. An operator's (billing) change with no API
    route: a tenant never books for itself. A smaller plan or quota keeps what is stored and only refuses what
    no longer fits (new customers, new uploads)."""
    fields: dict[str, Any] = {}
    if plan is not None:
        if plan not in CUSTOMER_LIMITS:
            raise errors.InvalidInputError.for_field("plan", f"one of {', '.join(CUSTOMER_LIMITS)}")
        fields["plan"] = plan
    if extra_storage_bytes is not None:
        if not 0 <= extra_storage_bytes <= MAX_EXTRA_STORAGE_BYTES:
            raise errors.InvalidInputError.for_field("extra_storage_bytes", "0 to 1 TiB")
        fields["extra_storage_bytes"] = extra_storage_bytes
    repository = AccountRepository()
    if not fields:
        account = repository.get(account_id)
        if account is None:
            raise errors.NotFoundError("This account does not exist.")
        return account
    try:
        return repository.set_fields(account_id, fields, clock.now_iso())
    except ConditionFailedError as exc:
        raise errors.NotFoundError("This account does not exist.") from exc


def find_account(account_id: str) -> Account | None:
    """The account with this id, or None (for callers that answer an unknown account their own way)."""
    return AccountRepository().get(account_id)


def account_ids() -> Iterator[str]:
    """The id of every account, from the account directory (for scheduled jobs, never for a request)."""
    return AccountRepository().ids()


def set_intake_link(account_id: str, intake: IntakeLink | None) -> Account:
    """Open the account's registration link (replacing the one before) or, with None, close it."""
    try:
        return AccountRepository().set_fields(account_id, {"intake": intake.model_dump() if intake else None},
                                              clock.now_iso())
    except ConditionFailedError as exc:
        raise errors.NotFoundError("This account does not exist.") from exc


def get_account(principal: Principal) -> Account:
    account = AccountRepository().get(principal.account_id)
    if account is None:
        raise errors.NotFoundError("This account does not exist.")
    return account


def update_settings(
    principal: Principal, changes: dict[str, Any]
) -> Account:
    """Apply settings changes; nested sections (`branding`, `portal`, `export_schedule`) merge field by
    field with what is stored."""
    repository = AccountRepository()
    current = get_account(principal)
    fields: dict[str, Any] = {}
    for name, value in changes.items():
        if isinstance(value, dict):
            section = getattr(current, name)
            try:
                current_fields = section.model_dump()
                # A nested section inside a section (portal.permissions) merges field by field too.
                merged = type(section).model_validate({**current_fields, **{
                    key: {**current_fields[key], **part} if isinstance(part, dict) and isinstance(
                        current_fields.get(key), dict) else part for key, part in value.items()}})
            except PydanticValidationError as exc:
                raise errors.invalid_input_from(exc, prefix=name) from exc
            fields[name] = merged.model_dump(mode="json")
        else:
            fields[name] = value
    if not fields:
        return current
    # The scheduler finds the accounts whose export schedule is enabled in an index of their own.
    scheduled = fields["export_schedule"]["enabled"] if "export_schedule" in fields else None
    try:
        return repository.set_fields(principal.account_id, fields, clock.now_iso(), scheduled=scheduled)
    except ConditionFailedError as exc:
        raise errors.NotFoundError("This account does not exist.") from exc


def load_partition(account_id: str) -> AccountPartition:
    """The account with its groups and attribute definitions (one query)."""
    partition = AccountRepository().load_partition(account_id)
    if partition is None:
        raise errors.NotFoundError("This account does not exist.")
    return partition
