"""Rate limit counters: one item per limited thing and fixed window, counted with a conditional ADD and
removed by the table's TTL a day after its window."""

from __future__ import annotations

from chalicelib.storage import keys
from chalicelib.storage.dynamo import ConditionFailedError, Table, without_companion
from chalicelib.storage.tables import main_table

_KEPT_AFTER_WINDOW = 86_400


class LimitRepository:
    def __init__(self, table: Table | None = None) -> None:
        self.table = table or main_table()

    def take(self, account_id: str, scope: str, window: int, window_end: int, limit: int) -> bool:
        """Count one more in the window unless `limit` is reached; whether it was counted."""
        # Not the change a request records: its audit entry waits for the request's own write.
        try:
            with without_companion():
                self.table.update(
                    keys.limit_counter(account_id, scope, window),
                    "ADD #count :one SET expires_at_epoch = :expires",
                    names={"#count": "count"},
                    values={":one": 1, ":limit": limit, ":expires": window_end + _KEPT_AFTER_WINDOW},
                    condition="attribute_not_exists(#count) OR #count < :limit",
                    return_values="NONE",
                )
        except ConditionFailedError:
            return False
        return True
