"""Tenant isolation, checked where it matters: at every DynamoDB call the app makes.

    with confined_to("acme") as guard:
        api.get("/customers/...")          # any request, event or job of account acme

While the block runs, a botocore hook on the process-wide DynamoDB client (chalicelib.aws) checks every
call's parameters before they are sent: each `Key`, each `Item`'s keys, each `ExclusiveStartKey`, the
partition of each `KeyConditionExpression`, and every key inside `RequestItems` (batches) and
`TransactItems` (transactions) must belong to the account: the partition key is the account id or starts
with `{account}#` (chalicelib/storage/keys.py). The only keys that do not start with an account id, the
scheduler's sparse index entries, are allowed when they name the account itself. A `Scan` is never allowed.

A violation raises inside the call, so nothing crosses over, and is recorded; leaving the block fails the
test if anything was recorded, even if the app caught the exception (and, say, answered 500).
"""

from __future__ import annotations

import contextlib
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from chalicelib import aws
from chalicelib.storage import keys

PARTITION_ATTRIBUTES = ("pk", "gsi1pk")
#: Index partitions that hold account ids only (storage/keys.py, notes 1 and 2): allowed naming the caller.
GLOBAL_INDEX_PARTITIONS = (keys.SCHEDULED_EXPORTS, keys.ACCOUNTS)
_EQUALITY = re.compile(r"^\(?\s*(#?[A-Za-z0-9_]+)\s*=\s*(:[A-Za-z0-9_]+)\s*\)?$")
_HOOK = "before-parameter-build.dynamodb"


class IsolationViolation(AssertionError):
    """A DynamoDB call named a key of another account."""


@dataclass
class Guard:
    account_id: str
    calls: int = 0
    violations: list[str] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def belongs(self, partition: str) -> bool:
        return partition == self.account_id or partition.startswith(f"{self.account_id}#")

    def check(self, operation: str, params: dict[str, Any]) -> None:
        problems = list(_problems(self, operation, params))
        with self._lock:
            self.calls += 1
            self.violations += [f"{operation}: {p}" for p in problems]
        if problems:
            raise IsolationViolation(f"{operation} outside account {self.account_id}: {problems}")


def _string(value: Any) -> str | None:
    return value.get("S") if isinstance(value, dict) else None


def _key_problems(guard: Guard, item: dict[str, Any], what: str) -> Iterator[str]:
    pk = _string(item.get("pk"))
    if pk is None or not guard.belongs(pk):
        yield f"{what} has pk {pk!r}"
    if "gsi1pk" in item:
        index_pk = _string(item["gsi1pk"]) or ""
        if index_pk in GLOBAL_INDEX_PARTITIONS:
            if _string(item.get("gsi1sk")) != guard.account_id:
                yield f"{what} puts {item.get('gsi1sk')} into the global index entry {index_pk}"
        elif not guard.belongs(index_pk):
            yield f"{what} has gsi1pk {index_pk!r}"


def _condition_partition(params: dict[str, Any]) -> str | None:
    """The partition value a KeyConditionExpression names (None: it names none)."""
    names = params.get("ExpressionAttributeNames", {})
    values = params.get("ExpressionAttributeValues", {})
    for clause in re.split(r"\s+AND\s+", params.get("KeyConditionExpression", ""), flags=re.IGNORECASE):
        match = _EQUALITY.match(clause.strip())
        if match and names.get(match[1], match[1]) in PARTITION_ATTRIBUTES:
            return _string(values.get(match[2]))
    return None


def _problems(guard: Guard, operation: str, params: dict[str, Any]) -> Iterator[str]:
    if operation == "Scan":
        yield "a Scan reads every account"
        return
    if "Key" in params:
        yield from _key_problems(guard, params["Key"], "Key")
    if "Item" in params:
        yield from _key_problems(guard, params["Item"], "Item")
    if "ExclusiveStartKey" in params:
        yield from _key_problems(guard, params["ExclusiveStartKey"], "ExclusiveStartKey")
    if operation == "Query":
        partition = _condition_partition(params)
        if partition is None or not guard.belongs(partition):
            yield f"KeyConditionExpression {params.get('KeyConditionExpression')!r} on partition {partition!r}"
    for table_requests in params.get("RequestItems", {}).values():
        if isinstance(table_requests, dict):  # BatchGetItem
            for key in table_requests.get("Keys", []):
                yield from _key_problems(guard, key, "batch Key")
        else:  # BatchWriteItem
            for request in table_requests:
                if "PutRequest" in request:
                    yield from _key_problems(guard, request["PutRequest"]["Item"], "batch Item")
                if "DeleteRequest" in request:
                    yield from _key_problems(guard, request["DeleteRequest"]["Key"], "batch Key")
    for action in params.get("TransactItems", []):
        for kind, body in action.items():
            if "Key" in body:
                yield from _key_problems(guard, body["Key"], f"{kind} Key")
            if "Item" in body:
                yield from _key_problems(guard, body["Item"], f"{kind} Item")


@contextlib.contextmanager
def confined_to(account_id: str) -> Iterator[Guard]:
    """Every DynamoDB call in the block must stay within `account_id`; the test fails otherwise."""
    guard = Guard(account_id)

    def hook(params: dict[str, Any], model: Any, **_: Any) -> None:
        guard.check(model.name, params)

    events = aws.client("dynamodb").meta.events
    unique_id = f"isolation-{id(guard)}"
    events.register(_HOOK, hook, unique_id=unique_id)
    try:
        yield guard
    finally:
        events.unregister(_HOOK, unique_id=unique_id)
    if guard.violations:
        raise IsolationViolation(f"{len(guard.violations)} DynamoDB calls left account {account_id}:\n"
                                 + "\n".join(guard.violations))
