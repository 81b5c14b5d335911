"""Attribute rules: consistent definitions, unique names, no type change once values exist, and
deleting an attribute removes its values (files of a deleted upload area stay, as general documents).

Checking for and removing values reads every customer (or link, or file) of the account: these are rare
admin actions, and the cost is what keeps every customer write to one item.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, Literal

from chalicelib import clock, errors, ids
from chalicelib.accounts.service import AccountPartition, load_partition
from chalicelib.activity import service as activity
from chalicelib.attributes.models import MAX_ATTRIBUTES, MAX_OPTIONS, Attribute, Scope
from chalicelib.attributes.patterns import PatternError, compile_pattern
from chalicelib.attributes.repository import AttributeRepository
from chalicelib.fields import has_control_characters, has_line_breaks
from chalicelib.jobs import queue as jobs_queue
from chalicelib.jobs.messages import DeleteAttributeMessage
from chalicelib.storage.dynamo import ConditionFailedError

#: A deletion job's run goes through at most this many items, then hands the rest on (its checkpoint), so a
#: run stays far inside the function's time limit whatever the account holds (workers/attributes.py runs it).
JOB_ITEMS_PER_RUN = 1000
JOB_PAGE_SIZE = 100
#: Where an attribute's values are kept: customers, links and files, which sit above attributes, so app.py
#: registers the reader of them (`read_values_with`).
ValueReader = Callable[[str, Attribute], Iterator[Any]]
_value_reader: list[ValueReader] = []


def read_values_with(reader: ValueReader) -> None:
    _value_reader[:] = [reader]


def _attribute(partition: AccountPartition, attribute_id: str) -> Attribute:
    attribute = partition.attributes.get(attribute_id) if ids.is_id(attribute_id) else None
    if attribute is None:
        raise errors.NotFoundError("There is no such attribute.")
    return attribute


def _checked_definition(partition: AccountPartition, attribute: Attribute) -> Attribute:
    """The definition made consistent, or InvalidInputError/ConflictError."""
    existing = partition.attribute_named(attribute.scope, attribute.name)
    if existing is not None and existing.id != attribute.id:
        raise errors.ConflictError(f"A {attribute.scope} attribute named '{existing.name}' already exists.",
                                   [{"field": "name"}])
    if attribute.type == "select":
        _check_options(attribute.options)
    elif attribute.options:
        raise errors.InvalidInputError.for_field("options", "only select attributes have options")
    if attribute.pattern is not None:
        _check_pattern(attribute, attribute.pattern)
    _check_info(attribute)
    return attribute


def _check_info(attribute: Attribute) -> None:
    """Display text: an `info` attribute has its text and is never required (it holds no value); no other
    type has a text."""
    if attribute.type != "info":
        for name in ("text", "text_en"):
            if getattr(attribute, name) is not None:
                raise errors.InvalidInputError.for_field(name, "only info attributes have a text")
        return
    if not attribute.text:
        raise errors.InvalidInputError.for_field("text", "an info attribute needs the text it shows")
    if attribute.required:
        raise errors.InvalidInputError.for_field("required", "an info attribute shows text and cannot be required")


def _check_options(options: list[str]) -> None:
    """A select attribute's options: 1 to MAX_OPTIONS, each 1-100 characters on one line, unique ignoring case."""
    if not options:
        raise errors.InvalidInputError.for_field("options", "a select attribute needs at least one option")
    if len(options) > MAX_OPTIONS:
        raise errors.InvalidInputError.for_field("options", f"at most {MAX_OPTIONS} options")
    for index, option in enumerate(options):
        if not option or len(option) > 100 or has_control_characters(option) or has_line_breaks(option):
            raise errors.InvalidInputError.for_field(f"options.{index}", "1-100 characters on one line")
    if len({o.casefold() for o in options}) != len(options):
        raise errors.InvalidInputError.for_field("options", "options must be unique")


def _check_pattern(attribute: Attribute, pattern: str) -> None:
    if attribute.type != "text":
        raise errors.InvalidInputError.for_field("pattern", "only text attributes have a pattern")
    try:
        compile_pattern(pattern)
    except PatternError as exc:
        raise errors.InvalidInputError.for_field("pattern", str(exc)) from exc


def list_attributes(account_id: str, scope: Scope | None) -> list[Attribute]:
    partition = load_partition(account_id)
    # The partition holds the attributes in their order (position, then creation).
    return [a for a in partition.attributes.values() if scope is None or a.scope == scope]


def get_attribute(account_id: str, attribute_id: str) -> Attribute:
    return _attribute(load_partition(account_id), attribute_id)


def create_attribute(account_id: str, definition: dict[str, Any]) -> Attribute:
    partition = load_partition(account_id)
    if len(partition.attributes) >= MAX_ATTRIBUTES:
        raise errors.ConflictError(f"An account has at most {MAX_ATTRIBUTES} attributes.")
    moment = clock.now_iso()
    last = max((a.position for a in partition.attributes.values()), default=-1)
    attribute = _checked_definition(
        partition, Attribute(id=ids.new_id(), created_at=moment, updated_at=moment, position=last + 1, **definition)
    )
    AttributeRepository().create(account_id, attribute)
    return attribute


def reorder_attributes(account_id: str, ordered_ids: list[str]) -> list[Attribute]:
    """Put the named attributes first, in the given order; those not named (made meanwhile, say) follow in
    their current order, so a reorder sent from a slightly stale list still applies."""
    partition = load_partition(account_id)
    if len(set(ordered_ids)) != len(ordered_ids):
        raise errors.InvalidInputError.for_field("ids", "each attribute may be named once")
    for index, attribute_id in enumerate(ordered_ids):
        if not ids.is_id(attribute_id) or attribute_id not in partition.attributes:
            raise errors.InvalidInputError.for_field(f"ids.{index}", "there is no such attribute")
    rest = [a.id for a in partition.attributes.values() if a.id not in set(ordered_ids)]
    wanted = {attribute_id: position for position, attribute_id in enumerate([*ordered_ids, *rest])}
    changed = {i: p for i, p in wanted.items() if partition.attributes[i].position != p}
    try:
        AttributeRepository().set_positions(account_id, changed)
    except ConditionFailedError as exc:
        raise errors.ConflictError("An attribute was deleted meanwhile; reload and try again.") from exc
    return sorted((a.model_copy(update={"position": wanted[a.id]}) for a in partition.attributes.values()),
                  key=lambda a: a.position)


def _values(account_id: str, attribute: Attribute) -> Iterator[Any]:
    """Every stored value of the attribute (files, for an upload area)."""
    if not _value_reader:
        raise RuntimeError("no reader of attribute values is registered (app.py wires workers.attributes')")
    return _value_reader[0](account_id, attribute)


def update_attribute(account_id: str, attribute_id: str, changes: dict[str, Any]) -> Attribute:
    partition = load_partition(account_id)
    current = _attribute(partition, attribute_id)
    updated = current.model_copy(update={**changes, "updated_at": clock.now_iso()})
    if updated.type != "select" and "options" not in changes:
        updated.options = []
    if updated.type != "text" and "pattern" not in changes:
        updated.pattern = None
    if updated.type != "info":
        updated.text = changes.get("text")
        updated.text_en = changes.get("text_en")
    updated = _checked_definition(partition, Attribute.model_validate(updated.model_dump()))
    if updated.type != current.type or updated.scope != current.scope:
        if next(_values(account_id, current), None) is not None:
            raise errors.ConflictError(
                f"'{current.name}' already has values; its type and scope can no longer change.",
                [{"field": "type" if updated.type != current.type else "scope"}],
            )
    elif current.type == "select":
        removed = set(current.options) - set(updated.options)
        used = sorted({v for v in _values(account_id, current) if v in removed})
        if used:
            raise errors.ConflictError(f"Options still in use cannot be removed: {', '.join(used)}",
                                       [{"field": "options"}])
    try:
        AttributeRepository().replace(account_id, updated, current.updated_at)
    except ConditionFailedError as exc:
        raise errors.ConflictError("The attribute was changed meanwhile; reload and try again.") from exc
    return updated


def delete_attribute(account_id: str, actor: str, attribute_id: str) -> str:
    """The definition goes at once (nothing can use the attribute any more); a job on the jobs queue then
    takes it off files, customers and links, a page at a time. The job's id."""
    partition = load_partition(account_id)
    attribute = _attribute(partition, attribute_id)
    job_id = ids.new_id()
    then: Literal["files", "customers"] | None = (
        "files" if attribute.type == "file" else "customers" if attribute.scope == "customer" else None)
    # Queued first: if the definition could not be deleted, the job refuses to run (and ends in the DLQ).
    jobs_queue.send(DeleteAttributeMessage(kind="delete_attribute", account_id=account_id, job_id=job_id,
                                           attribute_id=attribute.id, actor=actor, phase="links", then=then))
    AttributeRepository().delete(account_id, attribute.id)
    return job_id


def check_deleted(account_id: str, attribute_id: str) -> None:
    """A deletion job refuses to run (RuntimeError, so it ends in the DLQ) for an attribute that still exists:
    its deletion did not go through."""
    if attribute_id in load_partition(account_id).attributes:
        raise RuntimeError(f"attribute {attribute_id} still exists; its deletion did not go through")


def forget_customer_value(account_id: str, customer_id: str, attribute_id: str, value: Any, actor: str) -> None:
    """Take a deleted attribute's value off a customer, recorded in its history; nothing if it is gone already."""
    moment = clock.now_iso()
    entry = activity.entry(account_id, customer_id, "attributes_changed", actor, {
        "changed": {attribute_id: {"from": value, "to": None}}, "reason": "attribute_deleted"}, at=moment)
    AttributeRepository().remove_customer_value(account_id, customer_id, attribute_id, moment, entry)
