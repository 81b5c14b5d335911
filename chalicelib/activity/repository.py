"""Activity entries: written inside the transaction of the change they describe, listed per customer."""

from __future__ import annotations

from typing import Any

from chalicelib import clock, ids
from chalicelib.activity.models import Activity, ActivityType
from chalicelib.storage import cursors, keys
from chalicelib.storage.dynamo import Put, Table, Update
from chalicelib.storage.tables import main_table


def entry(
    account_id: str, customer_id: str, kind: ActivityType, actor: str, data: dict[str, Any] | None = None,
    at: str | None = None,
) -> Put:
    """The Put action that records one activity entry (add it to the change's transaction)."""
    moment = at or clock.now_iso()
    activity_id = ids.new_id()
    item = {
        **keys.activity(account_id, moment, activity_id),
        "gsi1pk": keys.customer_index(account_id, customer_id),
        "gsi1sk": f"{keys.ACTIVITY_PREFIX}{moment}#{activity_id}",
        "entity": "activity",
        "id": activity_id,
        "customer_id": customer_id,
        "at": moment,
        "kind": kind,
        "actor": actor,
        "data": data or {},
    }
    return Put(item)


def amended(written: Put, kind: ActivityType, data: dict[str, Any]) -> Update:
    """The write that turns an entry written earlier (`written`, its Put) into another kind with other data: for
    a step recorded before it was done (a reminder claimed, then mailed) that then did not happen as recorded."""
    return Update({"pk": written.item["pk"], "sk": written.item["sk"]}, "SET #kind = :kind, #data = :data",
                  names={"#kind": "kind", "#data": "data"}, values={":kind": kind, ":data": data},
                  condition="attribute_exists(pk)")


def from_item(item: dict[str, Any]) -> Activity:
    return Activity(id=item["id"], customer_id=item["customer_id"], at=item["at"], type=item["kind"],
                    actor=item["actor"], data=item.get("data") or {})


class ActivityRepository:
    def __init__(self, table: Table | None = None) -> None:
        self.table = table or main_table()

    def page(self, account_id: str, customer_id: str, limit: int, cursor: str | None
             ) -> tuple[list[Activity], str | None]:
        """Newest first."""
        partition = keys.customer_index(account_id, customer_id)
        page = self.table.query(
            partition,
            index=keys.GSI1,
            sk_prefix=keys.ACTIVITY_PREFIX,
            forward=False,
            limit=limit,
            start_key=cursors.decode(cursor, partition=partition, partition_attribute="gsi1pk"),
        )
        return [from_item(i) for i in page.items], cursors.encode(page.last_key)

    def move(self, account_id: str, source_id: str, target_id: str) -> None:
        """Re-point a customer's history to another customer (merge); idempotent."""
        partition = keys.customer_index(account_id, source_id)
        for item in self.table.query_all(partition, index=keys.GSI1, sk_prefix=keys.ACTIVITY_PREFIX):
            self.table.update(
                {"pk": item["pk"], "sk": item["sk"]}, "SET customer_id = :target, gsi1pk = :index",
                values={":source": source_id, ":target": target_id,
                        ":index": keys.customer_index(account_id, target_id)},
                condition="customer_id = :source", return_values="NONE",
            )

    def keys_of(self, account_id: str, customer_id: str) -> list[dict[str, str]]:
        items = self.table.query_all(keys.customer_index(account_id, customer_id), index=keys.GSI1,
                                     sk_prefix=keys.ACTIVITY_PREFIX)
        return [{"pk": item["pk"], "sk": item["sk"]} for item in items]

    def history(self, account_id: str, customer_id: str) -> list[Activity]:
        """Every entry of the customer's history, in the index's order (oldest first)."""
        items = self.table.query_all(keys.customer_index(account_id, customer_id), index=keys.GSI1,
                                     sk_prefix=keys.ACTIVITY_PREFIX)
        return [from_item(item) for item in items]
