"""File records and upload reservations in DynamoDB."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from chalicelib.attributes.models import GENERAL_AREA
from chalicelib.storage import keys
from chalicelib.storage.dynamo import ConditionFailedError, Table
from chalicelib.storage.tables import main_table


class FileRepository:
    def __init__(self, table: Table | None = None) -> None:
        self.table = table or main_table()

    def all_items(self, account_id: str) -> Iterable[dict[str, Any]]:
        return self.table.query_all(keys.files_partition(account_id))

    def move_to_general(self, account_id: str, file_id: str) -> None:
        """The file's area was deleted: keep the file, under the general documents."""
        try:
            self.table.update(keys.file(account_id, file_id), "SET area = :general", values={":general": GENERAL_AREA},
                              condition="attribute_exists(pk)", return_values="NONE")
        except ConditionFailedError:
            pass  # deleted meanwhile
