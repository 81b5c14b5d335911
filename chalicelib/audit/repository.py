"""Audit entries in DynamoDB: `{acc}#AUDIT`, newest first by sort key; entries about a customer also in gsi1."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from chalicelib.audit.models import AuditEntry, AuditFilter
from chalicelib.storage import cursors, keys
from chalicelib.storage.dynamo import Put, Table
from chalicelib.storage.tables import main_table

_AUDIT_PREFIX = "AUDIT#"
#: Sorts after every character of an ISO time, so `until` as a date includes that whole day.
_UPPER = "~"
#: Pages read at most to fill one filtered page (a filter reads entries it then drops).
_MAX_ROUNDS = 10
_KEYS = ("pk", "sk", "gsi1pk", "gsi1sk", "entity", "expires_at_epoch")
#: What stands for a deleted customer's id in the entries about them.
_DELETED = "deleted"


def entry_item(account_id: str, entry: AuditEntry, expires_at_epoch: int) -> dict[str, Any]:
    item: dict[str, Any] = {**keys.audit_entry(account_id, entry.at, entry.id), "entity": "audit",
                            "expires_at_epoch": expires_at_epoch, **entry.model_dump(mode="json")}
    if entry.customer_id:
        item["gsi1pk"] = keys.customer_index(account_id, entry.customer_id)
        item["gsi1sk"] = f"{_AUDIT_PREFIX}{entry.at}#{entry.id}"
    return item


def entry_from_item(item: dict[str, Any]) -> AuditEntry:
    return AuditEntry.model_validate({k: v for k, v in item.items() if k not in _KEYS})


class AuditRepository:
    def __init__(self, table: Table | None = None) -> None:
        self.table = table or main_table()

    def put_action(self, account_id: str, entry: AuditEntry, expires_at_epoch: int) -> Put:
        """The entry as a Put that joins a transaction (never overwrites: ids are unique)."""
        return Put(entry_item(account_id, entry, expires_at_epoch), condition="attribute_not_exists(pk)")

    def retarget(self, action: Put, target: str, customer_id: str | None) -> Put:
        """A pending entry's Put with another target (and customer, unless it names one already)."""
        entry = entry_from_item(dict(action.item))
        entry = entry.model_copy(update={"target": target, "customer_id": entry.customer_id or customer_id})
        account_id = str(action.item["pk"]).removesuffix(keys.audit_partition(""))
        return self.put_action(account_id, entry, int(action.item["expires_at_epoch"]))

    def add(self, account_id: str, entry: AuditEntry, expires_at_epoch: int) -> None:
        self.add_action(self.put_action(account_id, entry, expires_at_epoch))

    def add_action(self, action: Put) -> None:
        self.table.put(action.item, condition=action.condition)

    def page(self, account_id: str, wanted: AuditFilter, limit: int,
             cursor: str | None) -> tuple[list[AuditEntry], str | None]:
        """Entries matching `wanted`, newest first, and the cursor of the rest."""
        low, high = wanted.since or "0", (wanted.until or "9999") + _UPPER
        if wanted.customer_id:
            partition, index, attribute = keys.customer_index(account_id, wanted.customer_id), keys.GSI1, "gsi1pk"
            between = (_AUDIT_PREFIX + low, _AUDIT_PREFIX + high)
        else:
            partition, index, attribute = keys.audit_partition(account_id), None, "pk"
            between = (low, high)
        names: dict[str, str] = {}
        values: dict[str, Any] = {}
        conditions = []
        for field, value in (("actor", wanted.actor), ("action", wanted.action)):
            if value:
                names[f"#{field}"] = field
                values[f":{field}"] = value
                conditions.append(f"#{field} = :{field}")
        start = cursors.decode(cursor, partition=partition, partition_attribute=attribute)
        found: list[dict[str, Any]] = []
        for _ in range(_MAX_ROUNDS):
            page = self.table.query(partition, index=index, sk_between=between, forward=False, limit=limit,
                                    start_key=start, filter_expression=" AND ".join(conditions) or None,
                                    names=names or None, values=values or None)
            found.extend(page.items)
            start = page.last_key
            if len(found) >= limit or not start:
                break
        if len(found) > limit:
            found = found[:limit]
            start = {name: found[-1][name] for name in ("pk", "sk", "gsi1pk", "gsi1sk")
                     if name in found[-1] and (index or not name.startswith("gsi1"))}
        return [entry_from_item(item) for item in found], cursors.encode(start)

    def about_customer(self, account_id: str, customer_id: str) -> Iterator[AuditEntry]:
        """Every entry about the customer, oldest first (for the customer's archive)."""
        for item in self.table.query_all(keys.customer_index(account_id, customer_id), index=keys.GSI1,
                                         sk_prefix=_AUDIT_PREFIX):
            yield entry_from_item(item)

    def move_customer(self, account_id: str, source_id: str, target_id: str) -> None:
        """List the entries about a merged-away customer under the customer it was merged into (idempotent)."""
        for item in self.table.query_all(keys.customer_index(account_id, source_id), index=keys.GSI1,
                                         sk_prefix=_AUDIT_PREFIX):
            self.table.update({"pk": item["pk"], "sk": item["sk"]}, "SET customer_id = :target, gsi1pk = :index",
                              values={":source": source_id, ":target": target_id,
                                      ":index": keys.customer_index(account_id, target_id)},
                              condition="customer_id = :source", return_values="NONE")

    def forget_customer(self, account_id: str, customer_id: str) -> None:
        """Keep the entries about a deleted customer, but no longer naming them: their id leaves the target, the
        actor and the index (idempotent)."""
        for item in self.table.query_all(keys.customer_index(account_id, customer_id), index=keys.GSI1,
                                         sk_prefix=_AUDIT_PREFIX):
            self.table.update({"pk": item["pk"], "sk": item["sk"]},
                              "SET #target = :target, actor = :actor REMOVE customer_id, gsi1pk, gsi1sk",
                              names={"#target": "target"},
                              values={":target": str(item["target"]).replace(customer_id, _DELETED),
                                      ":actor": str(item["actor"]).replace(customer_id, _DELETED)},
                              return_values="NONE")

    def all(self, account_id: str, wanted: AuditFilter) -> Iterator[AuditEntry]:
        """Every entry matching `wanted`, newest first (for the CSV export)."""
        cursor: str | None = None
        while True:
            entries, cursor = self.page(account_id, wanted, 200, cursor)
            yield from entries
            if not cursor:
                return
