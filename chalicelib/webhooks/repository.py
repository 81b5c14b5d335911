"""Webhook endpoints (`{acc}#WEBHOOK`) and their delivery attempts (`{acc}#WEBHOOK#{id}`, newest last by
sort key, expiring through the table's TTL)."""

from __future__ import annotations

import builtins
import time
from collections.abc import Mapping
from typing import Any, NamedTuple

from chalicelib.storage import cursors, keys
from chalicelib.storage.dynamo import ConditionFailedError, Table, deserialize
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


#: What an item holds besides its content: its keys and index attributes.
_KEY_ATTRIBUTES = frozenset({"pk", "sk", "gsi1pk", "gsi1sk", "gsi2pk", "gsi2sk"})


class StoredChange(NamedTuple):
    """One committed write as the table's stream carries it: INSERT, MODIFY or REMOVE of an item of `entity`
    in an account, with the item's fields (keys left out) after and before it, and about when it was made."""

    write: str
    entity: str | None
    account_id: str
    new: dict[str, Any]
    old: dict[str, Any]
    approximate_time: str


def stored_change(record: Mapping[str, Any]) -> StoredChange | None:
    """The change a stream record carries (records as Lambda hands them over); None for one that leaves no item
    (a removal)."""
    new, old = _image(record, "NewImage"), _image(record, "OldImage")
    if not new or "pk" not in new:
        return None
    return StoredChange(write=str(record.get("eventName")), entity=new.get("entity"),
                        account_id=keys.account_of(str(new["pk"])), new=_content(new), old=_content(old),
                        approximate_time=_approximate_time(record))


def _image(record: Mapping[str, Any], name: str) -> dict[str, Any]:
    raw = (record.get("dynamodb") or {}).get(name)
    return deserialize(raw) if raw else {}


def _content(item: dict[str, Any]) -> dict[str, Any]:
    return {name: value for name, value in item.items() if name not in _KEY_ATTRIBUTES}


def _approximate_time(record: Mapping[str, Any]) -> str:
    from datetime import UTC, datetime

    from chalicelib import clock

    seconds = (record.get("dynamodb") or {}).get("ApproximateCreationDateTime")
    if seconds is None:
        return clock.now_iso()
    if isinstance(seconds, datetime):  # boto3's reading of the stream; Lambda passes epoch seconds
        return clock.iso(seconds)
    return clock.iso(datetime.fromtimestamp(float(seconds), UTC))
