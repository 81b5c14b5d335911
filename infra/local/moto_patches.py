"""Fixes for moto's DynamoDB (5.2.5), applied to the local stack, the test suite and the benchmarks.

Each makes a request cost what it touches instead of what the table holds, and changes no answer:

- Transactions. moto deep-copies every table a transaction names before it runs, to swap the copy back
  if an action fails: every write costs time in proportion to everything ever stored (about 2 s per
  customer created once an account holds 1,500). Here a transaction keeps an undo journal instead: the
  first time it reads an item (moto reads each item before it checks, puts, updates or deletes it) the
  item as it was, or its absence, is recorded, and if the transaction fails for any reason every
  recorded item is put back as it was. A failed transaction changes nothing, as in moto; the table stays
  the same object.
- Queries. moto answers a Query on the table by sorting every item of the table, keeping the partition's
  and walking all of them. Partitions are kept sorted here (sortedcontainers' SortedDict, keyed by the
  sort key as moto orders it), and a Query hands moto's own loop only the part of the partition that can
  change its answer: the items its key condition selects after ExclusiveStartKey, at most Limit + 1 of
  them, and the item just beyond (moto's loop decides with it whether to set LastEvaluatedKey). Results,
  order, counts and pagination are moto's. moto keeps no structure for an index: a Query on one walked
  every item of the table (2.5 s with 10,000 customers). Here each table's items are registered by the
  value of each index's partition key (`_IndexBuckets`, kept up to date by every write), and moto's walk
  gets only the items registered under the queried value; moto sorts and pages them as before.
- moto keeps a reference to every model object it ever made (`instances_tracked`, for its dashboard),
  so every copy lived as long as the process. DynamoDB's models are no longer tracked; nothing but the
  dashboard reads that list for them.
- Replies. moto writes each DynamoDB reply by walking botocore's shapes, trying five name aliases for each
  of an AttributeValue's ten members: for every attribute of every item, about twice the cost of the
  request itself. An AttributeValue's string, number, boolean, null and string-set members are copied as
  they are (moto holds them in wire form); binary, map and list members still go moto's way. moto also
  listed its handler's functions with `inspect.getmembers` on every request; the list is kept per class.
  The replies are byte for byte moto's (tests/infra/test_moto_patches.py).
- Update expressions. moto parses each update expression twice per request and only reads the tree (its
  validator works on a deep copy): each expression text is parsed once per process. Its traversers rebuilt
  their node types for every node they visit; they are kept per traverser class. The validator's copy of the
  tree (it replaces nodes as it resolves them) was made by `copy.deepcopy`, node by node in Python, a fifth
  of an update's cost; it is made by pickling the tree and reading it back (the same classes, attributes and
  sharing; a tree that does not pickle is deep-copied as before).
- Routing. To find a request's handler moto builds every service's URL table again for each request (S3's
  even re-imports its URL module, for the custom endpoints the environment may name): a tenth of the cost
  of a small request. A backend class's table is kept per class and per the two settings it depends on
  (`MOTO_ENABLE_ISO_REGIONS`, `MOTO_S3_CUSTOM_ENDPOINTS`); each request gets a copy.
- Item size. moto checks the 400 KB item limit on every attribute it stores by adding up the sizes of all the
  item's attributes again, so building an item of n attributes measures n²/2 of them (for every item written
  and every copy of one). Building an item here keeps the running sum instead; the check, its order and its
  error are moto's (an attribute added later, by an update, is still checked moto's way).
- Names. moto turns an action's or attribute's CamelCase name into snake_case character by character for
  every request, and SQS does it for each of a queue's attributes whenever it reads them (every send and
  receive); the conversion is a function of the name, so each name is converted once per process.

Each replaced function's source is pinned (`PINNED_SOURCES`, checked by tests/infra/test_moto_patches.py):
a moto that changed underneath the patches fails the suite instead of silently answering differently.
"""

from __future__ import annotations

import bisect
import contextlib
import copy
import functools
import hashlib
import inspect
import threading
import weakref
from collections.abc import Iterator
from typing import Any

MOTO_VERSION = "5.2.5"
#: sha256 of the source of each moto function the patches replace or rely on (moto 5.2.5).
PINNED_SOURCES = {
    "moto.dynamodb.models.DynamoDBBackend.transact_write_items":
        "81db2cb7d94e39c90b3a2077e1f4bb41a449c558ef9b1b1e2910fdaa39978ad4",
    "moto.dynamodb.models.DynamoDBBackend.update_item":
        "218984588dd689a5de81678ce11e6a40d05c91e7b6c21b44c4ed4122fe74aa9f",
    "moto.dynamodb.models.DynamoDBBackend.delete_item":
        "083a4bb1af18f6fd2feef40195a4c9c803da66cb2cacd14f87916c6e76930ea5",
    "moto.dynamodb.models.table.Table.__init__":
        "a56181a75aa270051d49daeb6a1f55b3eba543e6f58b4391e46d24a7cf8bbc74",
    "moto.dynamodb.models.table.Table.get_item":
        "b08e98fe37b7e5836afe03b010d637ef50df5dea6cbecd9cf8816eef326a21cd",
    "moto.dynamodb.models.table.Table.put_item":
        "de23933013ef842639046c19bcf7e418bce0474d810f6719368be4cedce11d47",
    "moto.dynamodb.models.table.Table.delete_item":
        "1594f7b07616c8cb8cdf0fbf58d6f54eeac83f25d7ac7b14e832a08e10efd8f9",
    "moto.dynamodb.models.table.Table.query":
        "002b4d00be6df07cf37f6cbe0132e5eb89455ae12a8e79b23db3fb492450f21e",
    "moto.dynamodb.models.table.Table.all_items":
        "c80d2ee3c896acd0cab6ca35aaeae3ab3fb65858933f8a3403d4e027c240f31d",
    "moto.dynamodb.models.DynamoDBBackend.query":
        "b8f2b308cd13edb48bb59ab0321ec3f935605629acb1d1ed634ba9f2bbcb107e",
    "moto.dynamodb.models.table.Table.sorted_items":
        "216dac1cd6b659d283e91006b809136623723efb90125b015e07052478724937",
    "moto.dynamodb.models.table.StreamShard.add":
        "357dc6da267e5dd7d46e18ee25d14b232a98679677906a2f02e4d454d1f11e03",
    "moto.dynamodb.models.table.Table._item_comes_before_dct":
        "6d70f41f7cb059f40e932e9c6c13cc57b6052c5d025c51235df414adf172bee1",
    "moto.core.serialize.BaseJSONSerializer._serialize_type_structure":
        "36873909cd0aeb4defa91cc9912c6e90a62d7d92ced6150ac7de92fd10a81967",
    "moto.core.serialize.ResponseSerializer._serialize_type_structure":
        "f9b47068f40ce489e55e7a0bf78accec38597d27168dc3d095ac2fc18312d4a8",
    "moto.core.serialize.ResponseSerializer._serialize_structure_member":
        "437fdce43aa5ac844fb5fe22865b90d228b875b6b1787dc6bfdccad91968b3c0",
    "moto.core.serialize.ResponseSerializer._default_serialize":
        "25ce8ddbb1a991c029a745f87eeaa360b697b69ba7295fb74143859a5233afb7",
    "moto.core.serialize.BaseJSONSerializer._serialize_type_string":
        "44954e02145012baee50de6592411c1376aad480ea3440a3b3ab6ce932bbf78d",
    "moto.core.serialize.BaseJSONSerializer._serialize_type_list":
        "f87b14fe9166e099846349860a5e3c9d9984939d82ed0f67de07ad12e790cd26",
    "moto.core.utils.method_names_from_class":
        "9dbac89d082b655fee902c450e69de9dbadf9699ad06411298494984b55138c3",
    "moto.core.responses.BaseResponse.call_action":
        "26076963fd17fd1a40be642032b5a8d90f159c19d01b80a5f0b0c839770ee0d6",
    "moto.dynamodb.parsing.expressions.UpdateExpressionParser.make":
        "2c00ed96d6e191f243b449166e75bfb38f307b2e19405bc0981847061e0dbee3",
    "moto.dynamodb.parsing.ast_nodes.DepthFirstTraverser.nodes_to_be_processed":
        "1c2c84c8097e35172d289d2cc30029d2d1c518f7680232a3f3c9f09e56a5e9b0",
    "moto.dynamodb.parsing.validators.Validator.__init__":
        "9489b532dd0fb359e273711c1a67971f1b73af47ddbaa91868e9cc42a26ddbb3",
    "moto.dynamodb.parsing.validators.UpdateExpressionFunctionEvaluator.process_function":
        "536966a18d2a7414f6486dd9d577e72bc03e6586984e27393f8208cf8399a382",
    "moto.dynamodb.responses.DynamoHandler.update_item":
        "638893af1afd43d274f3788d61ac13b447729de915c6f5ad3bbf008b92dd8e80",
    "moto.dynamodb.responses.DynamoHandler.transact_write_items":
        "61c163fff213f33a39317a17fda194a9c1e800992421575d2080f4500bf45372",
    "moto.core.base_backend.BaseBackend.urls":
        "56c80a13356d740baa9a4be5e39b4b184fb6bea3c6b00f5e7f3aee866f6a4960",
    "moto.core.base_backend.BaseBackend._url_module":
        "0ca6b9bd8269474e113d2611d29b00875b60414c2c44542cdddff4eec0140b46",
    "moto.s3.models.S3Backend._url_module":
        "248ddfae4fb5f33ee9f7a650849d8246e59c24031b0b2cb587afb8c46cf6b25c",
    "moto.dynamodb.models.dynamo_type.Item.__init__":
        "d9c12b62cb921831aab9b2eb22ac24fbd600689064a0219ae3ffbe057ae4be74",
    "moto.core.utils.camelcase_to_underscores":
        "084cdc5bab92db95a0ebd8d554c70b212a057d35825b08ca3b80b202d4965eb3",
    "moto.sqs.models.Queue.attributes":
        "40cb990b121628d535cecbcd0e0d333984024633b70a097489ae8611e1a59338",
    "moto.dynamodb.models.dynamo_type.LimitedSizeDict.__setitem__":
        "d979580fdbe14f79f3216564e1385c4b3485db82bc88193326c467a037331e81",
}

_local = threading.local()


def source_hash(qualified_name: str) -> str:
    """sha256 of a moto function's source, by its dotted name (module, class, function)."""
    import importlib

    module_name, class_name, function_name = qualified_name.rsplit(".", 2)
    owner = getattr(importlib.import_module(module_name), class_name)
    function = owner.__dict__[function_name]
    function = function.fget if isinstance(function, property) else function
    function = getattr(function, "__dossier_original__", function)
    function = function.fget if isinstance(function, property) else function
    return hashlib.sha256(inspect.getsource(function).encode()).hexdigest()


# --- transactions: an undo journal instead of a copy of each table -------------------------------------


class _Journal:
    """The items a running transaction read, as they were before it changed any of them."""

    def __init__(self) -> None:
        self._prior: dict[tuple[int, Any, Any], tuple[Any, Any, Any, Any]] = {}
        self._streams: dict[int, tuple[Any, list[Any], int]] = {}

    def record(self, table: Any, hash_key: Any, range_key: Any) -> None:
        entry = (id(table), hash_key, range_key)
        if entry in self._prior:
            return
        if table.range_key_attr:
            partition = table.items.get(hash_key)  # .get: the table's defaultdict must not grow here
            current = partition.get(range_key) if partition is not None else None
        else:
            current = table.items.get(hash_key)
        # update_item changes the stored item in place: keep a copy, not the item.
        self._prior[entry] = (table, hash_key, range_key, copy.deepcopy(current) if current is not None else None)
        shard = table.stream_shard
        if shard is not None and id(table) not in self._streams:
            self._streams[id(table)] = (shard, shard.items, len(shard.items))

    def undo(self) -> None:
        for table, hash_key, range_key, prior in reversed(self._prior.values()):
            with _reindexed(table, hash_key, range_key):
                _restore(table, hash_key, range_key, prior)
        for shard, records, length in self._streams.values():
            if shard.items is records:  # the records a failed transaction added are dropped, as moto's copy did
                del records[length:]


def _restore(table: Any, hash_key: Any, range_key: Any, prior: Any) -> None:
    if not table.range_key_attr:
        if prior is None:
            table.items.pop(hash_key, None)
        else:
            table.items[hash_key] = prior
    elif prior is None:
        partition = table.items.get(hash_key)
        if partition is not None:
            partition.pop(range_key, None)
    else:
        table.items[hash_key][range_key] = prior


class _NoTableCopies:
    """Stands in for the `copy` module inside moto.dynamodb.models: while a transaction keeps a journal,
    the 'copy' of a table for its rollback is the table itself (swapping it back is then a no-op)."""

    def __getattr__(self, name: str) -> Any:
        return getattr(copy, name)

    @staticmethod
    def deepcopy(value: Any, memo: Any = None) -> Any:
        from moto.dynamodb.models.table import Table

        if getattr(_local, "journal", None) is not None and isinstance(value, Table):
            return value
        return copy.deepcopy(value, memo)


def _journaled_transactions(original: Any) -> Any:
    @functools.wraps(original)
    def transact_write_items(self: Any, transact_items: Any) -> Any:
        journal = _Journal()
        _local.journal = journal
        try:
            return original(self, transact_items)
        except BaseException:
            journal.undo()
            raise
        finally:
            _local.journal = None

    return transact_write_items


def _journaled_reads(original: Any) -> Any:
    @functools.wraps(original)
    def get_item(self: Any, hash_key: Any, range_key: Any = None, *args: Any, **kwargs: Any) -> Any:
        journal = getattr(_local, "journal", None)
        if journal is not None:
            journal.record(self, hash_key, range_key if self.range_key_attr else None)
        return original(self, hash_key, range_key, *args, **kwargs)

    return get_item


# --- queries: sorted partitions, and moto's loop over only what can change its answer -------------------


def _sorted_partitions(original: Any) -> Any:
    @functools.wraps(original)
    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:  # noqa: N807 - replaces Table.__init__
        from collections import defaultdict

        from sortedcontainers import SortedDict

        original(self, *args, **kwargs)
        if self.range_key_attr:
            self.items = defaultdict(SortedDict)
        _index(self)  # from the start: every write registers its item, no table-wide build later

    return __init__


#: moto's key condition functions -> the part of a sorted partition they select, as (before, after):
#: `before(key)` is true for the keys sorted before the selected ones, `after(key)` for those after them.
def _interval_tests(function: Any, values: list[Any]) -> tuple[Any, Any] | None:
    from moto.dynamodb.comparisons import COMPARISON_FUNCS

    def never(_key: Any) -> bool:
        return False

    first = values[0] if values else None
    tests = {
        "EQ": (1, lambda k: k < first, lambda k: k > first),
        "LT": (1, never, lambda k: k >= first),
        "LE": (1, never, lambda k: k > first),
        "GT": (1, lambda k: k <= first, never),
        "GE": (1, lambda k: k < first, never),
        "BETWEEN": (2, lambda k: k < first, lambda k: k > values[-1]),
        # The keys starting with a prefix follow the prefix itself, before every greater key that does not.
        "BEGINS_WITH": (1, lambda k: k < first, lambda k: k > first and not k.startswith(first)),
    }
    for name, (arity, before, after) in tests.items():
        if COMPARISON_FUNCS[name] is function and len(values) == arity:
            return before, after
    return None


def _first(count: int, start: int, test: Any) -> int:
    """The first position in [start, count) where the monotone `test` holds (count if none)."""
    return bisect.bisect_left(range(start, count), True, key=test) + start


def _candidates(table: Any, arguments: dict[str, Any]) -> list[Any] | None:
    """The part of the queried partition that can change moto's answer, in moto's order; None when the
    query is not one this can narrow (moto then walks as it always did)."""
    from sortedcontainers import SortedDict

    if not _narrowable(table, arguments):
        return None
    partition = table.items.get(arguments["hash_key"])
    if partition is None:
        return []
    if not isinstance(partition, SortedDict):
        return None
    keys = partition.keys()
    bounds = _range_bounds(table, arguments, keys)
    if bounds is None:
        return None
    low, high = bounds
    forward = arguments["scan_index_forward"] is not False
    values_view = partition.values()
    start_key = arguments["exclusive_start_key"]
    if start_key is not None:
        low, high = _after_start_key(table, values_view, start_key, forward, low, high)
    return _walked(values_view, len(keys), low, high, arguments["limit"], forward)


def _narrowable(table: Any, arguments: dict[str, Any]) -> bool:
    """Whether the query is one `_candidates` can narrow: on the table, one partition, at most one condition on
    the range key (a string or number), no filter, a sane Limit."""
    limit = arguments["limit"]
    conditions = arguments.get("range_key_conditions") or []
    return not (arguments.get("index_name") or arguments["hash_key"] is None or not table.range_key_attr
                or arguments.get("filter_kwargs")
                or len(conditions) > 1 or (conditions and conditions[0][0] != table.range_key_attr)
                or (limit is not None and (type(limit) is not int or limit < 1))
                or table.range_key_type not in ("S", "N"))


def _range_bounds(table: Any, arguments: dict[str, Any], keys: Any) -> tuple[int, int] | None:
    """The positions [low, high) of the sorted range keys the key condition admits; None if it cannot tell."""
    from moto.dynamodb.comparisons import get_comparison_func

    comparison, values = arguments["range_comparison"], arguments["range_objs"]
    count = len(keys)
    if not comparison:
        return 0, count
    if any(v.type != table.range_key_type for v in values):
        return None
    tests = _interval_tests(get_comparison_func(comparison), [v.cast_value for v in values])
    if tests is None or (table.range_key_type != "S" and comparison.upper() == "BEGINS_WITH"):
        return None
    before, after = tests
    low = _first(count, 0, lambda i: not before(keys[i].cast_value))
    return low, max(low, _first(count, low, lambda i: after(keys[i].cast_value)))


def _after_start_key(table: Any, values_view: Any, start_key: Any, forward: bool, low: int, high: int
                     ) -> tuple[int, int]:
    """[low, high) without the items moto skips as at or before the start key (a prefix of its walk)."""
    def skipped(i: int) -> bool:
        return table._item_comes_before_dct(values_view[i], start_key, [table.hash_key_attr],
                                           [table.range_key_attr], forward)

    if forward:
        return max(low, _first(high, low, lambda i: not skipped(i))), high
    return low, min(high, _first(high, low, skipped))


def _walked(values_view: Any, count: int, low: int, high: int, limit: int | None, forward: bool) -> list[Any]:
    """The items of [low, high) moto's walk reaches, and those after them that can still change its answer."""
    from moto.dynamodb.models.table import RESULT_SIZE_LIMIT

    walk = limit + 1 if limit is not None else count  # moto stops at the item after the Limit-th
    if forward:
        selected = list(values_view[low:min(high, low + walk)])
        beyond = range(high, count) if low + walk >= high else range(0)
    else:
        selected = list(values_view[max(low, high - walk):high])
        beyond = range(low - 1, -1, -1) if high - walk <= low else range(0)
    candidates = selected
    if beyond:
        # Past the selection moto's loop keeps walking: an item there changes the answer only by making
        # the results too large (LastEvaluatedKey) or by being the next after the Limit-th. Handing over the
        # first is enough while the selection plus the largest item moto stores stays under the size limit.
        biggest_item = 405_000  # moto refuses larger items (LimitedSizeDict)
        if sum(item.size() for item in selected) + biggest_item <= RESULT_SIZE_LIMIT:
            beyond = beyond[:1]
        extra = [values_view[i] for i in beyond]
        candidates = selected + extra if forward else extra[::-1] + selected
    return candidates


def _narrowed_queries(original: Any) -> Any:
    signature = inspect.signature(original)

    @functools.wraps(original)
    def query(self: Any, *args: Any, **kwargs: Any) -> Any:
        bound = signature.bind(self, *args, **kwargs)
        try:
            if bound.arguments.get("index_name"):
                candidates = _index_candidates(self, bound.arguments)
            else:
                candidates = _candidates(self, bound.arguments)
        except Exception:  # a malformed query: moto's own walk answers it (or refuses it) as before
            candidates = None
        _local.query = (self, candidates, bool(bound.arguments.get("index_name")))
        try:
            return original(self, *args, **kwargs)
        finally:
            _local.query = None

    return query


def _narrowed_items(original: Any) -> Any:
    @functools.wraps(original)
    def all_items(self: Any) -> list[Any]:
        current = getattr(_local, "query", None)
        if current is None or current[0] is not self:
            return original(self)
        _local.query = None  # once: a nested call is not the query's walk
        table, candidates, on_index = current
        if candidates is not None:
            return candidates
        if on_index:
            # moto sorts an index query's matches by the index keys and the table keys (a total order),
            # so sorting every item of the table beforehand changes nothing.
            items: list[Any] = []
            for partition in self.items.values():
                items.extend(partition.values() if self.range_key_attr else (partition,))
            return items
        return original(self)

    return all_items


# --- index queries: the items of one index key, not every item of the table ----------------------------


class _IndexBuckets:
    """For each secondary index of a table, which items (by table key) hold each value of its partition key.

    moto keeps no index structure: it answers a Query on an index by walking every item of the table and
    keeping those whose index keys match. Handing its walk only the items registered under the queried
    value gives the same answer as long as every item is registered under the value it holds now (an item
    registered under a value it no longer holds is filtered out by moto's walk as before). So every write
    re-registers the item it wrote: puts and deletes (Table.put_item, Table.delete_item, which batch
    writes, transactions and PartiQL use too), updates (they change the stored item in place) and a
    failed transaction's undo. Made with the table (or, for a table made before the patches, at the first
    Query of an index); built again from every item when the table's items were replaced as a whole (a
    restored backup), after `forget`, or for an index added later.
    """

    def __init__(self, table: Any) -> None:
        self.items = table.items
        self.attributes = {index.name: _index_hash(index) for index in table.all_indexes()}
        self.buckets: dict[str, dict[Any, dict[tuple[Any, Any], None]]] = {name: {} for name in self.attributes}
        for item in _every_item(table):
            self.add(item.hash_key, item.range_key if table.range_key_attr else None, item)

    def values(self, item: Any) -> dict[str, Any]:
        return {name: item.attrs.get(attribute) for name, attribute in self.attributes.items()
                if attribute is not None and item.attrs.get(attribute) is not None}

    def add(self, hash_key: Any, range_key: Any, item: Any) -> None:
        for name, value in self.values(item).items():
            self.buckets[name].setdefault(value, {})[(hash_key, range_key)] = None

    def remove(self, hash_key: Any, range_key: Any, values: dict[str, Any]) -> None:
        for name, value in values.items():
            bucket = self.buckets[name].get(value)
            if bucket is not None:
                bucket.pop((hash_key, range_key), None)
                if not bucket:
                    del self.buckets[name][value]


def _index_hash(index: Any) -> str | None:
    hashes = [key["AttributeName"] for key in index.schema if key["KeyType"] == "HASH"]
    return hashes[0] if len(hashes) == 1 else None  # moto's multi-attribute keys: walked as moto does


def _every_item(table: Any) -> Iterator[Any]:
    for partition in list(table.items.values()):
        if table.range_key_attr:
            yield from list(partition.values())
        else:
            yield partition


def _stored(table: Any, hash_key: Any, range_key: Any) -> Any:
    if not table.range_key_attr:
        return table.items.get(hash_key)
    partition = table.items.get(hash_key)
    return partition.get(range_key) if partition is not None else None


def _buckets(table: Any) -> _IndexBuckets | None:
    """The table's index buckets if they are up to date (None if there are none to keep)."""
    buckets = table.__dict__.get("_dossier_index_buckets")
    if buckets is not None and buckets.items is not table.items:
        forget(table)
        return None
    return buckets


#: The tables that have index buckets (all forgotten when the patches are removed: writes made meanwhile
#: would not be registered).
_indexed_tables: weakref.WeakSet[Any] = weakref.WeakSet()


def _index(table: Any) -> _IndexBuckets:
    buckets = _IndexBuckets(table)
    table.__dict__["_dossier_index_buckets"] = buckets
    _indexed_tables.add(table)
    return buckets


def forget(table: Any) -> None:
    """Drop a table's index buckets (after writing its items other than through moto's operations)."""
    table.__dict__.pop("_dossier_index_buckets", None)
    _indexed_tables.discard(table)


@contextlib.contextmanager
def _reindexed(table: Any, hash_key: Any, range_key: Any) -> Iterator[None]:
    """The item at a key re-registered after the block changed it (also when the block raises)."""
    buckets = _buckets(table)
    if buckets is None:
        yield
        return
    range_key = range_key if table.range_key_attr else None
    try:
        before = _stored(table, hash_key, range_key)
        values = buckets.values(before) if before is not None else {}
    except TypeError:  # a value moto cannot key by: walk as moto does from now on
        forget(table)
        yield
        return
    try:
        yield
    finally:
        try:
            buckets.remove(hash_key, range_key, values)
            after = _stored(table, hash_key, range_key)
            if after is not None:
                buckets.add(hash_key, range_key, after)
        except TypeError:
            forget(table)


def _key_of(table: Any, attributes: dict[str, Any]) -> tuple[Any, Any]:
    from moto.dynamodb.models.dynamo_type import DynamoType

    hash_key = DynamoType(attributes[table.hash_key_attr])
    return hash_key, DynamoType(attributes[table.range_key_attr]) if table.range_key_attr else None


def _reindexed_put(original: Any) -> Any:
    @functools.wraps(original)
    def put_item(self: Any, item_attrs: dict[str, Any], *args: Any, **kwargs: Any) -> Any:
        if _buckets(self) is None:
            return original(self, item_attrs, *args, **kwargs)
        try:
            hash_key, range_key = _key_of(self, item_attrs)
        except (KeyError, TypeError):
            return original(self, item_attrs, *args, **kwargs)  # refused by moto before it writes
        with _reindexed(self, hash_key, range_key):
            return original(self, item_attrs, *args, **kwargs)

    return put_item


def _reindexed_delete(original: Any) -> Any:
    @functools.wraps(original)
    def delete_item(self: Any, hash_key: Any, range_key: Any) -> Any:
        with _reindexed(self, hash_key, range_key):
            return original(self, hash_key, range_key)

    return delete_item


def _reindexed_update(original: Any) -> Any:
    @functools.wraps(original)
    def update_item(self: Any, table_name: str, key: dict[str, Any], *args: Any, **kwargs: Any) -> Any:
        table = self.tables.get(table_name)
        if table is None or _buckets(table) is None:
            return original(self, table_name, key, *args, **kwargs)
        try:
            hash_key, range_key = _key_of(table, key)
        except (KeyError, TypeError):
            forget(table)  # a key moto reads its own way: walk as moto does from now on
            return original(self, table_name, key, *args, **kwargs)
        with _reindexed(table, hash_key, range_key):
            return original(self, table_name, key, *args, **kwargs)

    return update_item


def _index_candidates(table: Any, arguments: dict[str, Any]) -> list[Any] | None:
    """The items that may hold the queried value of an index's partition key; None: every item."""
    index_name = arguments.get("index_name")
    conditions = arguments.get("hash_key_conditions") or []
    if len(conditions) != 1:
        return None
    attribute, value = conditions[0]
    if attribute == table.hash_key_attr:  # a local index: the table's partition
        partition = table.items.get(value)
        if partition is None:
            return []
        return list(partition.values()) if table.range_key_attr else [partition]
    buckets = _buckets(table)
    if buckets is None or index_name not in buckets.attributes:  # none yet, or an index added since
        buckets = _index(table)
    if buckets.attributes.get(index_name) != attribute:
        return None
    keys = buckets.buckets[index_name].get(value, {})
    return [item for item in (_stored(table, h, r) for h, r in keys) if item is not None]


# --- responses: DynamoDB's attribute values written as they are -----------------------------------------

#: The members of DynamoDB's AttributeValue whose value moto holds in wire form already (str, bool, a list of
#: str); B, BS, M and L still go through moto's serializer (base64, nesting).
_PLAIN_MEMBERS = {"S": str, "N": str, "BOOL": bool, "NULL": bool, "SS": list, "NS": list}


def _plain_attribute_values(original: Any) -> Any:
    """moto serializes every AttributeValue (each attribute of each item a reply holds) by trying five name
    aliases for each of its ten members, two thirds of a Query's cost. An AttributeValue holds one member,
    already in wire form (a string, a boolean, a list of strings): copy it; the rest goes moto's way."""

    @functools.wraps(original)
    def _serialize_type_structure(self: Any, serialized: Any, value: Any, shape: Any, key: str) -> None:
        if not (key and shape.name == "AttributeValue" and type(value) is dict
                and self.operation_model.service_model.service_name in ("dynamodb", "dynamodbstreams")):
            return original(self, serialized, value, shape, key)
        wrapper = self.MAP_TYPE()
        for member_key, member_shape in shape.members.items():
            member = value.get(member_key)
            if member is None:
                continue
            plain = _PLAIN_MEMBERS.get(member_key)
            if plain is not None and type(member) is plain and (plain is not list or all(
                    type(entry) is str for entry in member)):
                wrapper[member_key] = list(member) if plain is list else member
            else:
                member_shape.parent = shape
                self._serialize(wrapper, member, member_shape, member_key)
        self._default_serialize(serialized, wrapper, shape, key)

    return _serialize_type_structure


def _cached_method_names(original: Any) -> Any:
    """moto lists a handler class's functions with `inspect.getmembers` on every request; a class's
    functions do not change while it serves."""
    return functools.lru_cache(maxsize=None)(original)


# --- update expressions: parsed once per expression ------------------------------------------------------


def _parsed_once(original: Any) -> Any:
    """moto parses an update expression twice per request (the handler, then the backend), though it only
    reads the tree: the validator works on a deep copy. Each expression text is parsed once; one that does not
    parse raises each time, as before."""
    return classmethod(functools.lru_cache(maxsize=4096)(original.__func__))


class _PickledTreeCopies:
    """Stands in for `deepcopy` inside moto.dynamodb.parsing.validators: the validator's copy of an update
    expression's tree is pickled and read back; list_append's copy of a list value (not a node) is moto's.
    The tree holds plain objects only (nodes, their children lists, strings, tuples), for which pickling and
    reading back makes what deepcopy makes, in C."""

    def __init__(self, original: Any) -> None:
        self.__dossier_original__ = original

    def __call__(self, value: Any, memo: Any = None) -> Any:
        import pickle

        from moto.dynamodb.parsing.ast_nodes import Node

        if memo is None and isinstance(value, Node):
            try:
                # The bytes are the ones just written from moto's own tree, never outside data
                return pickle.loads(pickle.dumps(value, pickle.HIGHEST_PROTOCOL))  # noqa: S301
            except (pickle.PicklingError, TypeError, AttributeError):
                pass  # a node class pickle cannot name: deep-copied as moto does
        return self.__dossier_original__(value, memo)


def _nodes_per_class(original: Any) -> Any:
    """moto rebuilds a traverser's node types from a fresh map for every node it visits; the types are the
    keys of the class's map, the same for every instance."""
    kinds: dict[type, tuple[type, ...]] = {}

    @functools.wraps(original)
    def nodes_to_be_processed(self: Any) -> tuple[type, ...]:
        found = kinds.get(type(self))
        if found is None:
            found = kinds[type(self)] = original(self)
        return found

    return nodes_to_be_processed


# --- per request: routing and item sizes -----------------------------------------------------------


#: A backend class's URL table, by the class and the settings moto reads while building it.
_url_tables: dict[tuple[type, str, str], dict[str, Any]] = {}


def _urls_per_class(original: property) -> property:
    """moto builds a backend's URL table (its url bases times its paths, with the China and ISO domains) for
    every request it routes, and S3's re-imports moto.s3.urls each time. The table depends on the backend's
    class and two settings only; each caller gets its own copy."""
    import os

    def urls(self: Any) -> dict[str, Any]:
        settings = os.environ.get("MOTO_ENABLE_ISO_REGIONS", ""), os.environ.get("MOTO_S3_CUSTOM_ENDPOINTS", "")
        key = (type(self), *settings)
        table = _url_tables.get(key)
        if table is None:
            table = _url_tables[key] = original.fget(self)  # type: ignore[misc]
        return dict(table)

    urls.__dossier_original__ = original  # type: ignore[attr-defined]
    return property(urls, doc=original.__doc__)


@functools.cache  # moto imports the one function into three modules: they share one cache
def _names_converted_once(original: Any) -> Any:
    """camelcase_to_underscores depends on its argument only."""
    return functools.lru_cache(maxsize=4096)(original)


def _item_sizes_summed_once(original: Any) -> Any:
    """moto's Item.__init__ stores each attribute through LimitedSizeDict.__setitem__, which adds up the sizes
    of all attributes stored so far before each one. The same check with a running sum: an attribute that
    would take the item past moto's limit raises ItemSizeTooLarge at the same attribute, as moto's does."""
    from moto.dynamodb.exceptions import ItemSizeTooLarge
    from moto.dynamodb.models.dynamo_type import DynamoType, LimitedSizeDict
    from moto.dynamodb.models.utilities import bytesize

    @functools.wraps(original)
    def __init__(self: Any, hash_key: Any, range_key: Any, attrs: dict[str, Any]) -> None:  # noqa: N807
        self.hash_key = hash_key
        self.range_key = range_key
        self.attrs = LimitedSizeDict()
        stored = 0  # LimitedSizeDict's "current_item_size": the keys' and the values' sizes
        for key, value in attrs.items():
            value = DynamoType(value)
            value_size = value.size()
            if stored + bytesize(key) + value_size > 405000:  # moto's limit, as LimitedSizeDict checks it
                raise ItemSizeTooLarge
            dict.__setitem__(self.attrs, key, value)
            stored += bytesize(str(key)) + value_size

    return __init__


# --- model tracking ----------------------------------------------------------------------------------


def _untracked(tracked_new: Any) -> Any:
    def __new__(cls: type, *args: Any, **kwargs: Any) -> Any:  # noqa: N807 - replaces BaseModel.__new__
        if cls.__module__.startswith("moto.dynamodb."):
            return object.__new__(cls)
        return tracked_new(cls, *args, **kwargs)

    return staticmethod(__new__)


_applied: list[tuple[Any, str, Any]] = []


def _replace(owner: Any, name: str, replacement: Any, original: Any) -> None:
    _applied.append((owner, name, original))
    setattr(owner, name, replacement)


def apply() -> None:
    """Patch moto in this process (idempotent). Tables made before keep moto's plain partitions and are
    queried moto's way."""
    from moto.core import responses, serialize, utils
    from moto.core.base_backend import BaseBackend
    from moto.core.common_models import BaseModel
    from moto.dynamodb import models
    from moto.dynamodb.models.dynamo_type import Item
    from moto.dynamodb.models.table import Table
    from moto.dynamodb.parsing import ast_nodes, expressions, validators
    from moto.sqs import models as sqs_models

    from infra.local import moto_s3_events

    moto_s3_events.apply()
    if _applied:
        return
    _replace(BaseModel, "__new__", _untracked(BaseModel.__new__), BaseModel.__dict__["__new__"])
    for owner, name, make in (
        (models.DynamoDBBackend, "transact_write_items", _journaled_transactions),
        (Table, "get_item", _journaled_reads),
        (Table, "__init__", _sorted_partitions),
        (Table, "query", _narrowed_queries),
        (Table, "all_items", _narrowed_items),
        (Table, "put_item", _reindexed_put),
        (Table, "delete_item", _reindexed_delete),
        (models.DynamoDBBackend, "update_item", _reindexed_update),
        (serialize.BaseJSONSerializer, "_serialize_type_structure", _plain_attribute_values),
        (responses, "method_names_from_class", _cached_method_names),
        (expressions.UpdateExpressionParser, "make", _parsed_once),
        (ast_nodes.DepthFirstTraverser, "nodes_to_be_processed", _nodes_per_class),
        (BaseBackend, "urls", _urls_per_class),
        (Item, "__init__", _item_sizes_summed_once),
        (utils, "camelcase_to_underscores", _names_converted_once),
        (responses, "camelcase_to_underscores", _names_converted_once),
        (sqs_models, "camelcase_to_underscores", _names_converted_once),
    ):
        original = owner.__dict__[name]
        replacement = make(original)
        if not isinstance(replacement, property):  # a property's getter names its original
            replacement.__dossier_original__ = original
        _replace(owner, name, replacement, original)
    _replace(models, "copy", _NoTableCopies(), models.copy)
    _replace(validators, "deepcopy", _PickledTreeCopies(validators.deepcopy), validators.deepcopy)


def remove() -> None:
    """moto as it was (the tests compare both); tables made while patched keep their sorted partitions."""
    while _applied:
        owner, name, original = _applied.pop()
        setattr(owner, name, original)
    for table in list(_indexed_tables):
        forget(table)
