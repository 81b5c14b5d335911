"""moto made faster where its cost is its own, for the benchmarks only.

1. Answers. moto 5.2 renders every DynamoDB attribute value through its generic, model-driven response serializer,
looking up each of the ten members of `AttributeValue` (S, N, B, SS, ...) by alias: about 15 ms per
returned customer item (20 attribute values). That is moto's own cost, not DynamoDB's, and it would make
reading 10,000 customers take minutes. Attribute values are stored in moto already in their wire shape,
so they are written out as they are; values holding binaries (`B`, `BS`) take moto's own path.

Nothing the app sends or receives changes (a test compares both paths answer for answer), and every
figure of the benchmarks is a count or a ratio taken in the same process, so this only shortens the run.

2. Items. moto checks an item's size limit again for every attribute it adds (quadratic in attributes:
about 5 ms per customer item); the size is checked once per item here, against the same limit.

Transactions and queries are the local stack's own fixes (infra/local/moto_patches.py): an undo journal
instead of a copy of the table, and sorted partitions a Query bisects.

`store_items` puts seed items into moto's table without a request (the items the repositories build).
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterable, Iterator
from typing import Any

_SCALARS = {"S", "N", "BOOL", "NULL", "SS", "NS"}


class _Binary(Exception):
    """A value that holds binaries: rendered by moto's own serializer."""


def wire_value(value: Any) -> dict[str, Any]:
    """The DynamoDB JSON of a stored attribute value (a moto DynamoType or its dict form)."""
    from moto.dynamodb.models.dynamo_type import DynamoType

    if isinstance(value, DynamoType):
        kind, inner = value.type, value.value
    elif isinstance(value, dict) and len(value) == 1:
        ((kind, inner),) = value.items()
    else:
        raise _Binary
    if kind in _SCALARS:
        return {kind: list(inner) if kind in ("SS", "NS") else inner}
    if kind == "M":
        return {"M": {name: wire_value(member) for name, member in inner.items()}}
    if kind == "L":
        return {"L": [wire_value(member) for member in inner]}
    raise _Binary


#: moto's item size limit (between DynamoDB's 400 KB and what AWS was found to accept).
MOTO_ITEM_SIZE_LIMIT = 405_000


def _string_item(plain: dict[str, str], hash_name: str, range_name: str) -> Any:
    """An item of string attributes only, built without moto's per-value type dispatch."""
    from moto.dynamodb.exceptions import ItemSizeTooLarge
    from moto.dynamodb.models.dynamo_type import DynamoType, Item, LimitedSizeDict

    attributes = LimitedSizeDict.__new__(LimitedSizeDict)
    size = 0
    for name, value in plain.items():
        typed = DynamoType.__new__(DynamoType)
        typed.type, typed.value = "S", value
        dict.__setitem__(attributes, name, typed)
        size += len(name.encode()) + len(value.encode())
    if size > MOTO_ITEM_SIZE_LIMIT:
        raise ItemSizeTooLarge
    item = Item.__new__(Item)
    item.hash_key, item.range_key, item.attrs = attributes[hash_name], attributes[range_name], attributes
    return item


def store_items(table_name: str, region: str, items: Iterable[dict[str, Any]]) -> int:
    """Put items (plain dicts, as the repositories build them) into moto's in-process table; how many."""
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.dynamodb.models import dynamodb_backends
    from moto.dynamodb.models.dynamo_type import Item

    from chalicelib.storage.dynamo import serialize
    from infra.local import moto_patches

    table = dynamodb_backends[DEFAULT_ACCOUNT_ID][region].get_table(table_name)
    hash_name, range_name = table.hash_key_attr, table.range_key_attr
    count = 0
    # Hundreds of thousands of small objects that all stay: the cyclic collector would only rescan them.
    collecting = gc.isenabled()
    gc.disable()
    try:
        for plain in items:
            if all(type(value) is str for value in plain.values()):  # index entries, memberships
                item = _string_item(plain, hash_name, range_name)
            else:
                item = Item(None, None, serialize(plain))
                item.hash_key, item.range_key = item.attrs[hash_name], item.attrs[range_name]
            table.items[item.hash_key][item.range_key] = item
            count += 1
    finally:
        if collecting:
            gc.enable()
        moto_patches.forget(table)  # its index buckets, if any, do not know these items
    return count


def _fast_structure(original: Any) -> Any:
    def _serialize_type_structure(self: Any, serialized: Any, value: Any, shape: Any, key: str) -> None:
        if key and shape.name == "AttributeValue" and value is not None:
            try:
                self._default_serialize(serialized, wire_value(value), shape, key)
                return
            except _Binary:
                pass
        original(self, serialized, value, shape, key)

    return _serialize_type_structure


def _item_init(self: Any, hash_key: Any, range_key: Any, attrs: dict[str, Any]) -> None:
    from moto.dynamodb.exceptions import ItemSizeTooLarge
    from moto.dynamodb.models.dynamo_type import DynamoType, LimitedSizeDict
    from moto.dynamodb.models.utilities import bytesize

    self.hash_key = hash_key
    self.range_key = range_key
    built = LimitedSizeDict.__new__(LimitedSizeDict)
    dict.__init__(built, {name: DynamoType(value) for name, value in attrs.items()})
    if sum(bytesize(name) + value.size() for name, value in built.items()) > MOTO_ITEM_SIZE_LIMIT:
        raise ItemSizeTooLarge
    self.attrs = built


_installed: list[tuple[Any, str, Any]] | None = None


def install() -> None:
    """Patch moto in this process (until `uninstall`)."""
    global _installed
    if _installed is not None:
        return
    from moto.core.serialize import BaseJSONSerializer
    from moto.dynamodb.models.dynamo_type import Item

    replacements = [
        (BaseJSONSerializer, "_serialize_type_structure", _fast_structure),
        (Item, "__init__", lambda _original: _item_init),
    ]
    _installed = []
    for owner, name, make in replacements:
        original = owner.__dict__[name]
        _installed.append((owner, name, original))
        setattr(owner, name, make(original))


def uninstall() -> None:
    global _installed
    for owner, name, original in reversed(_installed or []):
        setattr(owner, name, original)
    _installed = None


@contextlib.contextmanager
def patched() -> Iterator[None]:
    """moto patched inside the block (and left as it was found)."""
    installed_before = _installed is not None
    install()
    try:
        yield
    finally:
        if not installed_before:
            uninstall()
