"""Upload links in DynamoDB: account-wide partition, listed per customer through gsi1."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from chalicelib.storage import keys
from chalicelib.storage.dynamo import ConditionFailedError, Table
from chalicelib.storage.tables import main_table


class LinkRepository:
    def __init__(self, table: Table | None = None) -> None:
        self.table = table or main_table()

    def all_items(self, account_id: str) -> Iterable[dict[str, Any]]:
        return self.table.query_all(keys.links_partition(account_id))

    def forget_attribute(self, account_id: str, link: dict[str, Any], attribute_id: str) -> None:
        """Take a deleted attribute off a link: from its areas, its fields and its values."""
        try:
            self.table.update(
                keys.link(account_id, link["id"]),
                "SET areas = :areas, #attributes = :attributes REMOVE #values.#id",
                names={"#attributes": "attributes", "#values": "values", "#id": attribute_id},
                values={
                    ":areas": [a for a in link.get("areas", []) if a != attribute_id],
                    ":attributes": [a for a in link.get("attributes", []) if a != attribute_id],
                },
                condition="attribute_exists(pk)",
                return_values="NONE",
            )
        except ConditionFailedError:
            pass  # deleted meanwhile
