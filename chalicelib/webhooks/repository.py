"""Webhook endpoints (`{acc}#WEBHOOK`) and their delivery attempts (`{acc}#WEBHOOK#{id}`, newest last by
sort key, expiring through the table's TTL)."""

from __future__ import annotations

import builtins
import time
from typing import Any

from chalicelib.storage import cursors, keys
from chalicelib.storage.dynamo import ConditionFailedError, Table
from chalicelib.storage.tables import main_table
from chalicelib.webhooks.models import DeliveryAttempt, Endpoint

#: How long delivery attempts are kept.
ATTEMPT_RETENTION_SECONDS = 30 * 24 * 3600


class EndpointGoneError(Exception):
    """The endpoint does not exist (any more)."""


class EndpointChangedError(Exception):
    """The endpoint was changed or deleted since it was read."""


def _endpoint_item(account_id: str, endpoint: Endpoint) -> dict[str, Any]:
    item = {**keys.webhook(account_id, endpoint.id), "entity": "webhook", **endpoint.model_dump()}
    return {name: value for name, value in item.items() if value is not None}


def _endpoint(item: dict[str, Any]) -> Endpoint:
    return Endpoint.model_validate({name: item.get(name) for name in Endpoint.model_fields if name in item})


class WebhookRepository:
    def __init__(self, table: Table | None = None) -> None:
        self.table = table or main_table()

    # --- endpoints ---

    def create(self, account_id: str, endpoint: Endpoint) -> None:
        self.table.put(_endpoint_item(account_id, endpoint), condition="attribute_not_exists(pk)")

    def get(self, account_id: str, endpoint_id: str) -> Endpoint | None:
        item = self.table.get(keys.webhook(account_id, endpoint_id))
        return _endpoint(item) if item else None

    def list(self, account_id: str) -> list[Endpoint]:
        return [_endpoint(item) for item in self.table.query_all(keys.webhooks_partition(account_id))]

    def replace(self, account_id: str, endpoint: Endpoint, seen_updated_at: str) -> None:
        """Store the changed endpoint if nobody changed it since it was read."""
        try:
            self.table.put(_endpoint_item(account_id, endpoint), condition="updated_at = :seen",
                           values={":seen": seen_updated_at})
        except ConditionFailedError as exc:
            raise EndpointChangedError(endpoint.id) from exc

    def delete(self, account_id: str, endpoint_id: str) -> bool:
        return self.table.delete(keys.webhook(account_id, endpoint_id)) is not None

    def mark_failing(self, account_id: str, endpoint_id: str, since: str) -> str:
        """Start a run of failures at `since` unless one runs already; when the current run began."""
        try:
            item = self.table.update(keys.webhook(account_id, endpoint_id),
                                     "SET failing_since = if_not_exists(failing_since, :since)",
                                     values={":since": since}, condition="attribute_exists(pk)")
        except ConditionFailedError as exc:
            raise EndpointGoneError(endpoint_id) from exc
        return str(item["failing_since"])

    def mark_healthy(self, account_id: str, endpoint_id: str) -> None:
        try:
            self.table.update(keys.webhook(account_id, endpoint_id), "REMOVE failing_since",
                              condition="attribute_exists(pk) AND attribute_exists(failing_since)",
                              return_values="NONE")
        except ConditionFailedError:
            pass  # healthy already, or deleted meanwhile

    def disable_failing(self, account_id: str, endpoint_id: str, at: str) -> bool:
        """Switch the endpoint off because it kept failing; False if it was off (or gone) already, so only one
        delivery of many that fail at once tells the account."""
        try:
            self.table.update(keys.webhook(account_id, endpoint_id),
                              "SET enabled = :off, disabled_reason = :failing, updated_at = :at",
                              values={":off": False, ":on": True, ":failing": "failing", ":at": at},
                              condition="attribute_exists(pk) AND enabled = :on", return_values="NONE")
        except ConditionFailedError:
            return False
        return True

    # --- delivery attempts ---

    def record_attempt(self, account_id: str, endpoint_id: str, attempt: DeliveryAttempt) -> None:
        item = {**keys.webhook_delivery(account_id, endpoint_id, attempt.at, attempt.id), "entity": "webhook_delivery",
                **attempt.model_dump(), "expires_at_epoch": int(time.time()) + ATTEMPT_RETENTION_SECONDS}
        self.table.put({name: value for name, value in item.items() if value is not None})

    def attempts(self, account_id: str, endpoint_id: str, limit: int, cursor: str | None
                 ) -> tuple[builtins.list[DeliveryAttempt], str | None]:
        """Newest first."""
        partition = keys.webhook_deliveries_partition(account_id, endpoint_id)
        page = self.table.query(partition, forward=False, limit=limit,
                                start_key=cursors.decode(cursor, partition=partition))
        attempts = [DeliveryAttempt.model_validate({name: item.get(name) for name in DeliveryAttempt.model_fields
                                                    if name in item}) for item in page.items]
        return attempts, cursors.encode(page.last_key)
