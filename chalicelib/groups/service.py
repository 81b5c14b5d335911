"""Group rules: unique names, at most one default, deleting a group takes it off its customers."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from chalicelib import clock, errors, ids
from chalicelib.accounts.service import AccountPartition, load_partition
from chalicelib.activity import service as activity
from chalicelib.groups.models import MAX_GROUPS, Group
from chalicelib.groups.repository import KEEP, GroupRepository, _Keep, groups_change
from chalicelib.jobs import queue as jobs_queue
from chalicelib.jobs.messages import DeleteGroupMessage
from chalicelib.races import retry_lost_races
from chalicelib.storage.dynamo import TransactionCancelledError

#: A deletion job's run takes at most this many members off, then hands the rest on (its checkpoint).
JOB_MEMBERS_PER_RUN = 1000
JOB_PAGE_SIZE = 100

T = TypeVar("T")


def _group(partition: AccountPartition, group_id: str) -> Group:
    group = partition.groups.get(group_id) if ids.is_id(group_id) else None
    if group is None:
        raise errors.NotFoundError("There is no such group.")
    return group


def member_ids(account_id: str, group_id: str, limit: int) -> list[str]:
    """The ids of the group's members (NotFoundError for an unknown group); InvalidInputError if it has more
    than `limit`."""
    _group(load_partition(account_id), group_id)
    repository = GroupRepository()
    found: list[str] = []
    cursor = None
    while True:
        page, cursor = repository.member_ids_page(account_id, group_id, cursor, min(limit + 1, 1000))
        found += page
        if len(found) > limit:
            raise errors.InvalidInputError.for_field("group_id", f"the group has more than {limit} members")
        if cursor is None:
            return found


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
    new_default: str | None | _Keep = KEEP
    if is_default is True and not was_default:
        new_default = group.id
    elif is_default is False and was_default:
        new_default = None
    GroupRepository().update(account_id, group, groups_change(account_id, account.groups_version,
                                                              account.default_group_id, new_default))
    return group, was_default if is_default is None else is_default


def delete_group(account_id: str, actor: str, group_id: str) -> str:
    """The group goes at once; a job on the jobs queue then takes it off its members (recorded in their
    history), a page at a time. The job's id."""
    _group(load_partition(account_id), group_id)
    job_id = ids.new_id()
    # Queued first: if the group could not be deleted, the job refuses to run (and ends in the DLQ).
    jobs_queue.send(DeleteGroupMessage(kind="delete_group", account_id=account_id, job_id=job_id, group_id=group_id,
                                       actor=actor))
    _retrying(lambda: _delete_once(account_id, group_id))
    return job_id


def run_group_deletion(job: DeleteGroupMessage) -> DeleteGroupMessage | None:
    """One run of the job: at most JOB_MEMBERS_PER_RUN members from its checkpoint; the message that goes on,
    or None when done. Idempotent, so a redelivered run is harmless."""
    if job.group_id in load_partition(job.account_id).groups:
        raise RuntimeError(f"group {job.group_id} still exists; its deletion did not go through")
    repository = GroupRepository()
    cursor, seen = job.cursor, 0
    while seen < JOB_MEMBERS_PER_RUN:
        members, cursor = repository.member_ids_page(job.account_id, job.group_id, cursor, JOB_PAGE_SIZE)
        for customer_id in members:
            moment = clock.now_iso()
            entry = activity.entry(job.account_id, customer_id, "groups_changed", job.actor,
                                   {"added": [], "removed": [job.group_id], "reason": "group_deleted"}, at=moment)
            repository.remove_member(job.account_id, job.group_id, customer_id, moment, entry)
        seen += len(members)
        if cursor is None:
            return None
    return job.model_copy(update={"cursor": cursor})


def _delete_once(account_id: str, group_id: str) -> None:
    partition = load_partition(account_id)
    _group(partition, group_id)  # gone meanwhile: 404, not a retry
    account = partition.account
    seen = account.default_group_id
    change = groups_change(account_id, account.groups_version, seen, None if seen == group_id else KEEP)
    GroupRepository().delete(account_id, group_id, change)
