"""Groups in the account partition; the default is the account's `default_group_id`, so there can
never be two defaults, and moving the default is one conditional write."""

from __future__ import annotations

from typing import Any

from chalicelib.groups.models import Group
from chalicelib.storage import keys
from chalicelib.storage.dynamo import Delete, Put, Table, TransactionCancelledError, Update
from chalicelib.storage.tables import main_table


def group_to_item(account_id: str, group: Group) -> dict[str, Any]:
    return {**keys.group(account_id, group.id), "entity": "group", **group.model_dump()}


def default_change(account_id: str, new_default: str | None, seen_default: str | None) -> Update:
    """Move the account's default group from `seen_default` to `new_default` (None: no default), only if
    nobody changed it meanwhile."""
    if seen_default is None:
        condition = "attribute_not_exists(default_group_id)"
        values: dict[str, Any] = {}
    else:
        condition = "default_group_id = :seen"
        values = {":seen": seen_default}
    if new_default is None:
        return Update(keys.account(account_id), "REMOVE default_group_id", values=values, condition=condition)
    return Update(
        keys.account(account_id), "SET default_group_id = :new", values={**values, ":new": new_default},
        condition=condition,
    )


class GroupRepository:
    def __init__(self, table: Table | None = None) -> None:
        self.table = table or main_table()

    def create(self, account_id: str, group: Group, default: Update | None) -> None:
        actions: list[Any] = [Put(group_to_item(account_id, group), condition="attribute_not_exists(pk)")]
        if default is not None:
            actions.append(default)
        self.table.transact(actions)

    def update(self, account_id: str, group: Group, default: Update | None) -> None:
        actions: list[Any] = [
            Put(group_to_item(account_id, group), condition="attribute_exists(pk)"),
        ]
        if default is not None:
            actions.append(default)
        self.table.transact(actions)

    def member_ids(self, account_id: str, group_id: str) -> list[str]:
        return [item["sk"] for item in self.table.query_all(keys.membership_partition(account_id, group_id))]

    def remove_member(self, account_id: str, group_id: str, customer_id: str, at: str, entry: Put) -> None:
        """Take the group off one customer (if the customer still exists) with the activity `entry`, and drop
        the membership. The customer's `updated_at` moves, so a change made from what it was before fails."""
        try:
            self.table.transact([
                Update(keys.customer(account_id, customer_id), "DELETE #groups :group SET updated_at = :at",
                       names={"#groups": "groups"}, values={":group": {group_id}, ":at": at},
                       condition="attribute_exists(pk)"),
                Delete(keys.membership(account_id, group_id, customer_id)),
                entry,
            ])
        except TransactionCancelledError as exc:
            if exc.reasons[:1] != ["ConditionalCheckFailed"]:
                raise
            # The customer is gone; the membership is all that is left of it.
            self.table.delete(keys.membership(account_id, group_id, customer_id))

    def delete(self, account_id: str, group_id: str, default: Update | None) -> None:
        actions: list[Any] = [Delete(keys.group(account_id, group_id), condition="attribute_exists(pk)")]
        if default is not None:
            actions.append(default)
        self.table.transact(actions)
