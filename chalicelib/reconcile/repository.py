"""Reading and repairing counters for the reconciliation: the account's and each customer's counters as stored,
and a repair conditioned on the value read. Records themselves (files, links) are read through their domains'
services."""

from __future__ import annotations

from typing import Any

from chalicelib.reconcile.models import ACCOUNT, ACCOUNT_COUNTERS, CUSTOMER_COUNTERS
from chalicelib.storage import keys
from chalicelib.storage.dynamo import ConditionFailedError, Table
from chalicelib.storage.tables import main_table


class CounterRepository:
    def __init__(self, table: Table | None = None) -> None:
        self.table = table or main_table()

    def counters(self, account_id: str) -> dict[str, dict[str, Any]]:
        """The counters as stored (None: not set), the account's under ACCOUNT and each customer's under its id;
        customers being deleted or merged are left out (their counters are moving by design)."""
        account = self.table.get(keys.account(account_id)) or {}
        found = {ACCOUNT: {name: account.get(name) for name in ACCOUNT_COUNTERS}}
        for item in self.table.query_all(keys.customers_partition(account_id)):
            if not item.get("closing"):
                found[item["id"]] = {name: item.get(name) for name in CUSTOMER_COUNTERS}
        return found

    def customer_count(self, account_id: str) -> int:
        """How many customers the account has stored, those being deleted or merged included."""
        return sum(1 for _ in self.table.query_all(keys.customers_partition(account_id)))

    def repair(self, account_id: str, target: str, counter: str, seen: Any, expected: Any) -> bool:
        """Bring one counter of the account (target ACCOUNT) or a customer (its id) from `seen` (None: not set) to
        `expected`, only if it still holds `seen`; False if it changed meanwhile (or the item is gone). A number
        gets the difference ADDed, a map (area_counts) is replaced as a whole."""
        item_key = keys.account(account_id) if target == ACCOUNT else keys.customer(account_id, target)
        names = {"#counter": counter}
        condition = "attribute_exists(pk) AND " + (
            "attribute_not_exists(#counter)" if seen is None else "#counter = :seen")
        values: dict[str, Any] = {} if seen is None else {":seen": seen}
        if isinstance(expected, dict):
            expression = "SET #counter = :expected"
            values[":expected"] = expected
        else:
            expression = "ADD #counter :difference"
            values[":difference"] = expected - (seen or 0)
        try:
            self.table.update(item_key, expression, names=names, values=values, condition=condition,
                              return_values="NONE")
        except ConditionFailedError:
            return False
        return True
