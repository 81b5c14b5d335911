"""Group rules: unique names, at most one default, deleting a group takes it off its customers."""

from __future__ import annotations

from chalicelib import clock, errors, ids
from chalicelib.accounts.repository import AccountPartition
from chalicelib.accounts.service import load_partition
from chalicelib.activity import repository as activity
from chalicelib.groups.models import MAX_GROUPS, Group
from chalicelib.groups.repository import GroupRepository, default_change
from chalicelib.storage.dynamo import TransactionCancelledError


def _group(partition: AccountPartition, group_id: str) -> Group:
    group = partition.groups.get(group_id) if ids.is_id(group_id) else None
    if group is None:
        raise errors.NotFoundError("There is no such group.")
    return group


def _check_name(partition: AccountPartition, name: str, own_id: str | None = None) -> None:
    existing = partition.group_named(name)
    if existing is not None and existing.id != own_id:
        raise errors.ConflictError(f"A group named '{existing.name}' already exists.", [{"field": "name"}])


def _changed_concurrently(exc: TransactionCancelledError) -> errors.ConflictError:
    return errors.ConflictError("The groups were changed meanwhile; reload and try again.")


def list_groups(account_id: str) -> tuple[list[Group], str | None]:
    partition = load_partition(account_id)
    return sorted(partition.groups.values(), key=lambda g: g.name.casefold()), partition.account.default_group_id


def create_group(account_id: str, name: str, is_default: bool) -> tuple[Group, bool]:
    partition = load_partition(account_id)
    if len(partition.groups) >= MAX_GROUPS:
        raise errors.ConflictError(f"An account has at most {MAX_GROUPS} groups.")
    _check_name(partition, name)
    moment = clock.now_iso()
    group = Group(id=ids.new_id(), name=name, created_at=moment, updated_at=moment)
    seen = partition.account.default_group_id
    try:
        GroupRepository().create(account_id, group, default_change(account_id, group.id, seen) if is_default else None)
    except TransactionCancelledError as exc:
        raise _changed_concurrently(exc) from exc
    return group, is_default


def update_group(account_id: str, group_id: str, name: str | None, is_default: bool | None) -> tuple[Group, bool]:
    partition = load_partition(account_id)
    group = _group(partition, group_id)
    seen = partition.account.default_group_id
    was_default = seen == group.id
    if name is not None:
        _check_name(partition, name, own_id=group.id)
        group = group.model_copy(update={"name": name, "updated_at": clock.now_iso()})
    default = None
    if is_default is True and not was_default:
        default = default_change(account_id, group.id, seen)
    elif is_default is False and was_default:
        default = default_change(account_id, None, seen)
    try:
        GroupRepository().update(account_id, group, default)
    except TransactionCancelledError as exc:
        raise _changed_concurrently(exc) from exc
    return group, was_default if is_default is None else is_default


def delete_group(account_id: str, actor: str, group_id: str) -> None:
    """Take the group off its customers (recorded in their history), then delete it."""
    partition = load_partition(account_id)
    group = _group(partition, group_id)
    repository = GroupRepository()
    for customer_id in repository.member_ids(account_id, group.id):
        moment = clock.now_iso()
        entry = activity.entry(account_id, customer_id, "groups_changed", actor,
                               {"added": [], "removed": [group.id], "reason": "group_deleted"}, at=moment)
        repository.remove_member(account_id, group.id, customer_id, moment, entry)
    seen = partition.account.default_group_id
    try:
        repository.delete(account_id, group.id, default_change(account_id, None, seen) if seen == group.id else None)
    except TransactionCancelledError as exc:
        raise _changed_concurrently(exc) from exc
