"""Registrations waiting for their e-mail confirmation, and which customer a confirmed address became.

A pending registration is not a customer: it counts against no limit, appears in no list, and the table's
TTL removes it when its confirmation link expires.
"""

from __future__ import annotations

from typing import Any

from chalicelib.intake.models import PendingRegistration
from chalicelib.storage import keys
from chalicelib.storage.dynamo import ConditionFailedError, Table
from chalicelib.storage.tables import main_table


class RegistrationRepository:
    def __init__(self, table: Table | None = None) -> None:
        self.table = table or main_table()

    def add(self, account_id: str, pending: PendingRegistration, expires_at_epoch: int) -> None:
        self.table.put({**keys.registration(account_id, pending.id), "entity": "registration",
                        **pending.model_dump(), "expires_at_epoch": expires_at_epoch},
                       condition="attribute_not_exists(pk)")

    def take(self, account_id: str, registration_id: str) -> PendingRegistration | None:
        """Remove the pending registration and return it: a confirmation link works once."""
        try:
            item = self.table.delete(keys.registration(account_id, registration_id), condition="attribute_exists(pk)")
        except ConditionFailedError:
            return None
        return PendingRegistration.model_validate(_fields(item or {}))

    def get(self, account_id: str, registration_id: str) -> PendingRegistration | None:
        item = self.table.get(keys.registration(account_id, registration_id))
        return PendingRegistration.model_validate(_fields(item)) if item else None

    def customer_of(self, account_id: str, email_hash: str) -> str | None:
        item = self.table.get(keys.registered_email(account_id, email_hash))
        return item.get("customer_id") if item else None

    def claim(self, account_id: str, email_hash: str, registration_id: str, stale_customer_id: str | None) -> bool:
        """Reserve the address for this registration's new customer (replacing a claim whose customer is gone);
        False if another confirmation holds it."""
        condition = "attribute_not_exists(pk)"
        values: dict[str, Any] = {}
        if stale_customer_id:
            condition += " OR customer_id = :stale"
            values[":stale"] = stale_customer_id
        try:
            self.table.put({**keys.registered_email(account_id, email_hash), "entity": "registered_email",
                            "registration_id": registration_id}, condition=condition, values=values or None)
        except ConditionFailedError:
            return False
        return True

    def release(self, account_id: str, email_hash: str, registration_id: str) -> None:
        """Give up a claim whose customer could not be created."""
        try:
            self.table.delete(keys.registered_email(account_id, email_hash), condition="registration_id = :mine",
                              values={":mine": registration_id})
        except ConditionFailedError:
            pass

    def record_customer(self, account_id: str, email_hash: str, customer_id: str) -> None:
        self.table.put({**keys.registered_email(account_id, email_hash), "entity": "registered_email",
                        "customer_id": customer_id})


def _fields(item: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in item.items() if k in PendingRegistration.model_fields}
