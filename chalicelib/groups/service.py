"""Group rules: unique names, at most one default, deleting a group takes it off its customers."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from chalicelib import clock, errors, ids
from chalicelib.accounts.repository import AccountPartition
from chalicelib.accounts.service import load_partition
from chalicelib.activity import repository as activity
from chalicelib.groups.models import MAX_GROUPS, Group
from chalicelib.groups.repository import KEEP, GroupRepository, groups_change
from chalicelib.races import retry_lost_races
from chalicelib.storage.dynamo import TransactionCancelledError

T = TypeVar("T")


def _group(partition: AccountPartition, group_id: str) -> Group:
    group = partition.groups.get(group_id) if ids.is_id(group_id) else None
    if group is None:
        raise errors.NotFoundError("There is no such group.")
    return group


def _check_name(partition: AccountPartition, name: str, own_id: str | None = None) -> None:
    existing = partition.group_named(name)
    if existing is not None and existing.id != own_id:
        raise errors.ConflictError(f"A group named '{existing.name}' already exists.", [{"field": "name"}])


def _retrying(change: Callable[[], T]) -> T:
    """A change checked on groups another change replaced is checked again against the fresh groups."""
    return retry_lost_races(change, TransactionCancelledError,
                            "The groups were changed meanwhile; reload and try again.")


def list_groups(account_id: str) -> tuple[list[Group], str | None]:
    partition = load_partition(account_id)
    return sorted(partition.groups.values(), key=lambda g: g.name.casefold()), partition.account.default_group_id


def create_group(account_id: str, name: str, is_default: bool) -> tuple[Group, bool]:
    return _retrying(lambda: _create_once(account_id, name, is_default))


def _create_once(account_id: str, name: str, is_default: bool) -> tuple[Group, bool]:
    partition = load_partition(account_id)
    if len(partition.groups) >= MAX_GROUPS:
        raise errors.ConflictError(f"An account has at most {MAX_GROUPS} groups.")
    _check_name(partition, name)
    moment = clock.now_iso()
    group = Group(id=ids.new_id(), name=name, created_at=moment, updated_at=moment)
    account = partition.account
    change = groups_change(account_id, account.groups_version, account.default_group_id,
                           group.id if is_default else KEEP)
    GroupRepository().create(account_id, group, change)
    return group, is_default


def update_group(account_id: str, group_id: str, name: str | None, is_default: bool | None) -> tuple[Group, bool]:
    return _retrying(lambda: _update_once(account_id, group_id, name, is_default))


def _update_once(account_id: str, group_id: str, name: str | None, is_default: bool | None) -> tuple[Group, bool]:
    partition = load_partition(account_id)
    group = _group(partition, group_id)
    account = partition.account
    was_default = account.default_group_id == group.id
    if name is not None:
        _check_name(partition, name, own_id=group.id)
        group = group.model_copy(update={"name": name, "updated_at": clock.now_iso()})
    new_default: str | None | object = KEEP
    if is_default is True and not was_default:
        new_default = group.id
    elif is_default is False and was_default:
        new_default = None
    GroupRepository().update(account_id, group, groups_change(account_id, account.groups_version,
                                                              account.default_group_id, new_default))  # type: ignore[arg-type]
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
    _retrying(lambda: _delete_once(account_id, group.id))


def _delete_once(account_id: str, group_id: str) -> None:
    partition = load_partition(account_id)
    _group(partition, group_id)  # gone meanwhile: 404, not a retry
    account = partition.account
    seen = account.default_group_id
    change = groups_change(account_id, account.groups_version, seen, None if seen == group_id else KEEP)
    GroupRepository().delete(account_id, group_id, change)
