"""Reading and repairing counters for the reconciliation. Records themselves are read and changed through
their own repositories (files, links, customers); only the counter repairs live here."""

from __future__ import annotations

from typing import Any

from chalicelib.storage import keys
from chalicelib.storage.dynamo import ConditionFailedError, Table
from chalicelib.storage.tables import main_table


class CounterRepository:
    def __init__(self, table: Table | None = None) -> None:
        self.table = table or main_table()

    def account_item(self, account_id: str) -> dict[str, Any] | None:
        return self.table.get(keys.account(account_id))

    def repair(self, item_key: dict[str, str], counter: str, seen: Any, expected: Any) -> bool:
        """Bring one counter from `seen` (None: not set) to `expected`, only if it still holds `seen`;
        False if it changed meanwhile (or the item is gone). A number gets the difference ADDed, a map
        (area_counts) is replaced as a whole."""
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
