"""Groups in the account partition; the default is the account's `default_group_id`, so there can
never be two defaults. Every change to the groups also moves the account's `groups_version` in the same
transaction, conditioned on the version read, so rules checked on what was read (unique names, the group
limit) hold under concurrent changes."""

from __future__ import annotations

from typing import Any

from chalicelib.groups.models import Group
from chalicelib.storage import keys
from chalicelib.storage.dynamo import Delete, Put, Table, Update
from chalicelib.storage.tables import main_table
from chalicelib.storage.updates import UpdateExpression


def group_to_item(account_id: str, group: Group) -> dict[str, Any]:
    return {**keys.group(account_id, group.id), "entity": "group", **group.model_dump()}


class _Keep:
    """The default group stays as it is."""


KEEP = _Keep()


def groups_change(account_id: str, seen_version: int, seen_default: str | None,
                  new_default: str | None | _Keep = KEEP) -> Update:
    """The account item's part of every change to the groups. `groups_version` moves on only if nobody
    changed the groups since they were read (so unique names and the group limit, checked on what was
    read, still hold when the write lands), and the default moves from `seen_default` to `new_default`."""
    update = UpdateExpression().set("groups_version", seen_version + 1)
    values: dict[str, Any] = {":seen": seen_version}
    # Accounts stored before the version existed have none: that reads as 0.
    conditions = ["groups_version = :seen" if seen_version else
                  "(attribute_not_exists(groups_version) OR groups_version = :seen)"]
    if not isinstance(new_default, _Keep):
        if seen_default is None:
            conditions.append("attribute_not_exists(default_group_id)")
        else:
            conditions.append("default_group_id = :seen_default")
            values[":seen_default"] = seen_default
        if new_default is None:
            update.remove("default_group_id")
        else:
            update.set("default_group_id", new_default)
    return update.action(keys.account(account_id), condition=" AND ".join(conditions), values=values)


class _CustomerGoneError(Exception):
    """The customer is gone (deleted or merged away)."""


class GroupRepository:
    def __init__(self, table: Table | None = None) -> None:
        self.table = table or main_table()

    def create(self, account_id: str, group: Group, change: Update) -> None:
        self.table.transact([Put(group_to_item(account_id, group), condition="attribute_not_exists(pk)"), change])

    def update(self, account_id: str, group: Group, change: Update) -> None:
        self.table.transact([Put(group_to_item(account_id, group), condition="attribute_exists(pk)"), change])

    def member_ids(self, account_id: str, group_id: str) -> list[str]:
        return [item["sk"] for item in self.table.query_all(keys.membership_partition(account_id, group_id))]

    def member_ids_page(self, account_id: str, group_id: str, start: dict[str, Any] | None, limit: int
                        ) -> tuple[list[str], dict[str, Any] | None]:
        """One page of the group's members, from `start`; the next start, None at the end."""
        page = self.table.query(keys.membership_partition(account_id, group_id), limit=limit, start_key=start)
        return [item["sk"] for item in page.items], page.last_key

    def remove_member(self, account_id: str, group_id: str, customer_id: str, at: str, entry: Put) -> None:
        """Take the group off one customer (if the customer still exists) with the activity `entry`, and drop
        the membership. The customer's `updated_at` moves, so a change made from what it was before fails."""
        try:
            self.table.transact([
                Update(keys.customer(account_id, customer_id), "DELETE #groups :group SET updated_at = :at",
                       names={"#groups": "groups"}, values={":group": {group_id}, ":at": at},
                       condition="attribute_exists(pk)", fails_with=_CustomerGoneError),
                Delete(keys.membership(account_id, group_id, customer_id)),
                entry,
            ])
        except _CustomerGoneError:
            # The customer is gone; the membership is all that is left of it.
            self.table.delete(keys.membership(account_id, group_id, customer_id))

    def delete(self, account_id: str, group_id: str, change: Update) -> None:
        self.table.transact([Delete(keys.group(account_id, group_id), condition="attribute_exists(pk)"), change])
