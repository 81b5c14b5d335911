"""Attribute definitions in the account partition."""

from __future__ import annotations

from typing import Any

from chalicelib.attributes.models import Attribute
from chalicelib.storage import keys
from chalicelib.storage.dynamo import ConditionFailedError, Put, Table, TransactionCancelledError, Update
from chalicelib.storage.tables import main_table


def attribute_to_item(account_id: str, attribute: Attribute) -> dict[str, Any]:
    return {**keys.attribute(account_id, attribute.id), "entity": "attribute", **attribute.model_dump()}


class _ValueGoneError(Exception):
    """The customer, or its value of the attribute, is gone already."""


class AttributeRepository:
    def __init__(self, table: Table | None = None) -> None:
        self.table = table or main_table()

    def create(self, account_id: str, attribute: Attribute) -> None:
        self.table.put(attribute_to_item(account_id, attribute), condition="attribute_not_exists(pk)")

    def replace(self, account_id: str, attribute: Attribute, seen_updated_at: str) -> None:
        self.table.put(attribute_to_item(account_id, attribute), condition="updated_at = :seen",
                       values={":seen": seen_updated_at})

    def set_positions(self, account_id: str, positions: dict[str, int]) -> None:
        """Give attributes their places, 100 per transaction (an account has at most 200 attributes); an
        attribute deleted meanwhile fails its chunk (ConditionFailedError) rather than coming back."""
        pairs = list(positions.items())
        for start in range(0, len(pairs), 100):
            try:
                self.table.transact([
                    Update(keys.attribute(account_id, attribute_id), "SET #position = :position",
                           names={"#position": "position"}, values={":position": position},
                           condition="attribute_exists(pk)")
                    for attribute_id, position in pairs[start:start + 100]
                ])
            except TransactionCancelledError as exc:
                raise ConditionFailedError() from exc

    def delete(self, account_id: str, attribute_id: str) -> None:
        self.table.delete(keys.attribute(account_id, attribute_id))

    def remove_customer_value(self, account_id: str, customer_id: str, attribute_id: str, at: str,
                              entry: Put) -> None:
        """Take a deleted attribute's value off a customer, with the activity `entry`; nothing if the customer
        or the value is gone already. The customer's `updated_at` moves, so a change made from what it was
        before fails instead of writing the value back."""
        try:
            self.table.transact([
                Update(keys.customer(account_id, customer_id), "REMOVE #attributes.#id SET updated_at = :at",
                       names={"#attributes": "attributes", "#id": attribute_id}, values={":at": at},
                       condition="attribute_exists(#attributes.#id)", fails_with=_ValueGoneError),
                entry,
            ])
        except _ValueGoneError:
            pass
