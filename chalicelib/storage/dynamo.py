"""DynamoDB adapter: plain dicts in and out, AWS error codes translated where AWS is called.

Repositories build keys (`keys.py`) and expressions; this module serialises values, pages through
results, chunks batch calls, and turns `ClientError`s into the exceptions below.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
from collections.abc import Iterator, Mapping, Sequence
from contextvars import ContextVar
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, NamedTuple, TypeVar

from chalicelib import aws

BATCH_GET_LIMIT = 100
BATCH_WRITE_LIMIT = 25
TRANSACTION_LIMIT = 100
_MAX_UNPROCESSED_ROUNDS = 8


class ConditionFailedError(Exception):
    """A conditional write did not apply (the condition was false)."""

    def __init__(self, item: dict[str, Any] | None = None) -> None:
        super().__init__("condition failed")
        self.item = item


class TransactionCancelledError(Exception):
    """A transaction did not apply and no named condition explains it (a conflict with another transaction,
    or a condition the repository gave no name). `reasons` are the cancellation codes, for logs only: callers
    react to the named errors `Table.transact` raises, never to positions in this list."""

    def __init__(self, reasons: list[str]) -> None:
        super().__init__(f"transaction cancelled: {reasons}")
        self.reasons = reasons

    @property
    def is_conflict(self) -> bool:
        return any(code == "TransactionConflict" for code in self.reasons)


class TransactionConflictError(TransactionCancelledError):
    """A transaction lost to another one writing the same items at the same moment (no condition was false):
    reading again and retrying is the answer."""


#: What a transaction raises when an action's condition is false: an exception (instance or class) the
#: repository chose for that condition, so the caller learns which condition failed by its name.
FailsWith = BaseException | type[BaseException] | None


#: A Put that rides along with the next write of the current request (the request's audit entry, see
#: chalicelib/audit): it commits in the same transaction as the first change, or not at all. Taken off once
#: written; a write that fails leaves it pending for the next one.
companion_write: ContextVar[Put | None] = ContextVar("companion_write", default=None)


@contextlib.contextmanager
def without_companion() -> Iterator[None]:
    """Writes inside do not carry the pending companion (a rate counter is not the change a request records)."""
    token = companion_write.set(None)
    try:
        yield
    finally:
        companion_write.reset(token)


@functools.cache
def _codec() -> tuple[Any, Any]:
    from boto3.dynamodb.types import TypeDeserializer, TypeSerializer

    return TypeSerializer(), TypeDeserializer()


def _to_dynamo_value(value: Any) -> Any:
    if isinstance(value, float):
        return Decimal(str(value))
    if isinstance(value, Mapping):
        return {k: _to_dynamo_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_to_dynamo_value(v) for v in value]
    return value


def _from_dynamo_value(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {k: _from_dynamo_value(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_from_dynamo_value(v) for v in value]
    if isinstance(value, set):
        return {_from_dynamo_value(v) for v in value}
    return value


def serialize(item: Mapping[str, Any]) -> dict[str, Any]:
    serializer, _ = _codec()
    return {k: serializer.serialize(_to_dynamo_value(v)) for k, v in item.items() if v is not None}


def deserialize(item: Mapping[str, Any]) -> dict[str, Any]:
    _, deserializer = _codec()
    return {k: _from_dynamo_value(deserializer.deserialize(v)) for k, v in item.items()}


def _serialize_values(values: Mapping[str, Any] | None) -> dict[str, Any] | None:
    if not values:
        return None
    serializer, _ = _codec()
    return {k: serializer.serialize(_to_dynamo_value(v)) for k, v in values.items()}


def _expression_args(
    condition: str | None, names: Mapping[str, str] | None, values: Mapping[str, Any] | None
) -> dict[str, Any]:
    args: dict[str, Any] = {}
    if condition:
        args["ConditionExpression"] = condition
    if names:
        args["ExpressionAttributeNames"] = dict(names)
    serialized = _serialize_values(values)
    if serialized:
        args["ExpressionAttributeValues"] = serialized
    return args


@dataclass(frozen=True)
class Put:
    item: Mapping[str, Any]
    condition: str | None = None
    names: Mapping[str, str] | None = None
    values: Mapping[str, Any] | None = None
    fails_with: FailsWith = field(default=None, compare=False)

    def to_request(self, table: str) -> dict[str, Any]:
        body = {"TableName": table, "Item": serialize(self.item)}
        body.update(_expression_args(self.condition, self.names, self.values))
        return {"Put": body}


@dataclass(frozen=True)
class Update:
    key: Mapping[str, str]
    expression: str
    names: Mapping[str, str] | None = None
    values: Mapping[str, Any] | None = None
    condition: str | None = None
    fails_with: FailsWith = field(default=None, compare=False)

    def to_request(self, table: str) -> dict[str, Any]:
        body = {"TableName": table, "Key": serialize(self.key), "UpdateExpression": self.expression}
        body.update(_expression_args(self.condition, self.names, self.values))
        return {"Update": body}


@dataclass(frozen=True)
class Delete:
    key: Mapping[str, str]
    condition: str | None = None
    names: Mapping[str, str] | None = None
    values: Mapping[str, Any] | None = None
    fails_with: FailsWith = field(default=None, compare=False)

    def to_request(self, table: str) -> dict[str, Any]:
        body = {"TableName": table, "Key": serialize(self.key)}
        body.update(_expression_args(self.condition, self.names, self.values))
        return {"Delete": body}


@dataclass(frozen=True)
class Check:
    key: Mapping[str, str]
    condition: str
    names: Mapping[str, str] | None = None
    values: Mapping[str, Any] | None = None
    fails_with: FailsWith = field(default=None, compare=False)

    def to_request(self, table: str) -> dict[str, Any]:
        body = {"TableName": table, "Key": serialize(self.key)}
        body.update(_expression_args(self.condition, self.names, self.values))
        return {"ConditionCheck": body}


Action = Put | Update | Delete | Check


class Page(NamedTuple):
    items: list[dict[str, Any]]
    last_key: dict[str, Any] | None = None
    scanned: int = 0


@dataclass
class Table:
    """One DynamoDB table, through the process-wide client."""

    name: str

    @property
    def client(self) -> Any:
        return aws.client("dynamodb")

    def _call(self, operation: str, **kwargs: Any) -> dict[str, Any]:
        from botocore.exceptions import ClientError

        try:
            reply: dict[str, Any] = getattr(self.client, operation)(**kwargs)
            return reply
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code", "")
            if code == "ConditionalCheckFailedException":
                raw = exc.response.get("Item")
                raise ConditionFailedError(deserialize(raw) if isinstance(raw, dict) and raw else None) from exc
            if code == "TransactionCanceledException":
                reasons = [r.get("Code", "None") for r in exc.response.get("CancellationReasons", [])]
                if "ConditionalCheckFailed" not in reasons and "TransactionConflict" in reasons:
                    raise TransactionConflictError(reasons) from exc
                raise TransactionCancelledError(reasons) from exc
            raise

    def get(self, key: Mapping[str, str], consistent: bool = True) -> dict[str, Any] | None:
        reply = self._call("get_item", TableName=self.name, Key=serialize(key), ConsistentRead=consistent)
        raw = reply.get("Item")
        return deserialize(raw) if raw else None

    def put(
        self,
        item: Mapping[str, Any],
        condition: str | None = None,
        names: Mapping[str, str] | None = None,
        values: Mapping[str, Any] | None = None,
    ) -> None:
        companion = companion_write.get()
        if companion is not None:
            self._write_with_companion(Put(item, condition, names, values), companion, item)
            return
        self._call(
            "put_item",
            TableName=self.name,
            Item=serialize(item),
            **_expression_args(condition, names, values),
        )

    def update(
        self,
        key: Mapping[str, str],
        expression: str,
        names: Mapping[str, str] | None = None,
        values: Mapping[str, Any] | None = None,
        condition: str | None = None,
        return_values: str = "ALL_NEW",
    ) -> dict[str, Any]:
        companion = companion_write.get()
        # A counter read back (UPDATED_NEW) must come from its own atomic update: it writes alone.
        if companion is not None and return_values in ("NONE", "ALL_NEW"):
            self._write_with_companion(Update(key, expression, names, values, condition), companion, key,
                                       old_on_failure=True)
            return (self.get(key) or {}) if return_values == "ALL_NEW" else {}
        reply = self._call(
            "update_item",
            TableName=self.name,
            Key=serialize(key),
            UpdateExpression=expression,
            ReturnValues=return_values,
            ReturnValuesOnConditionCheckFailure="ALL_OLD",
            **_expression_args(condition, names, values),
        )
        return deserialize(reply.get("Attributes") or {})

    def apply(self, action: Update, return_values: str = "ALL_NEW") -> dict[str, Any]:
        """`update` with what the action holds (e.g. one built with storage.updates); a false condition raises
        ConditionFailedError, as `update` does (`fails_with` names a condition in a transaction only)."""
        return self.update(action.key, action.expression, names=action.names, values=action.values,
                           condition=action.condition, return_values=return_values)

    def delete(
        self,
        key: Mapping[str, str],
        condition: str | None = None,
        names: Mapping[str, str] | None = None,
        values: Mapping[str, Any] | None = None,
    ) -> dict[str, Any] | None:
        companion = companion_write.get()
        old = self.get(key) if companion is not None else None
        if companion is not None and old is not None:
            guard = f"({condition}) AND attribute_exists(pk)" if condition else "attribute_exists(pk)"
            try:
                self._write_with_companion(Delete(key, guard, names, values), companion, key)
            except ConditionFailedError:
                if condition:
                    raise
                return None  # deleted meanwhile by someone else: as delete_item, nothing to return
            return old
        reply = self._call(
            "delete_item",
            TableName=self.name,
            Key=serialize(key),
            ReturnValues="ALL_OLD",
            **_expression_args(condition, names, values),
        )
        raw = reply.get("Attributes")
        return deserialize(raw) if raw else None

    def query(
        self,
        pk: str,
        *,
        sk_prefix: str | None = None,
        sk_between: tuple[str, str] | None = None,
        index: str | None = None,
        limit: int | None = None,
        start_key: Mapping[str, Any] | None = None,
        forward: bool = True,
        filter_expression: str | None = None,
        names: Mapping[str, str] | None = None,
        values: Mapping[str, Any] | None = None,
        consistent: bool = True,
    ) -> Page:
        pk_name, sk_name = (f"{index}pk", f"{index}sk") if index else ("pk", "sk")
        all_names = {"#pk": pk_name, **(names or {})}
        all_values: dict[str, Any] = {":pk": pk, **(values or {})}
        condition = "#pk = :pk"
        if sk_prefix is not None:
            condition += " AND begins_with(#sk, :sk_prefix)"
            all_names["#sk"] = sk_name
            all_values[":sk_prefix"] = sk_prefix
        elif sk_between is not None:
            condition += " AND #sk BETWEEN :sk_low AND :sk_high"
            all_names["#sk"] = sk_name
            all_values[":sk_low"], all_values[":sk_high"] = sk_between
        args: dict[str, Any] = {
            "TableName": self.name,
            "KeyConditionExpression": condition,
            "ExpressionAttributeNames": all_names,
            "ExpressionAttributeValues": _serialize_values(all_values),
            "ScanIndexForward": forward,
        }
        if index:
            args["IndexName"] = index
        else:
            args["ConsistentRead"] = consistent
        if limit:
            args["Limit"] = limit
        if start_key:
            args["ExclusiveStartKey"] = serialize(start_key)
        if filter_expression:
            args["FilterExpression"] = filter_expression
        reply = self._call("query", **args)
        last = reply.get("LastEvaluatedKey")
        return Page(
            items=[deserialize(i) for i in reply.get("Items", [])],
            last_key=deserialize(last) if last else None,
            scanned=reply.get("ScannedCount", 0),
        )

    def query_all(self, pk: str, **kwargs: Any) -> Iterator[dict[str, Any]]:
        """Every item of the query, page by page (for jobs, never for a request's hot path)."""
        start: Mapping[str, Any] | None = None
        while True:
            page = self.query(pk, start_key=start, **kwargs)
            yield from page.items
            if not page.last_key:
                return
            start = page.last_key

    def batch_get(self, keys: Sequence[Mapping[str, str]], consistent: bool = True) -> list[dict[str, Any]]:
        """The items that exist among `keys`, in no particular order."""
        found: list[dict[str, Any]] = []
        unique = list({(k["pk"], k["sk"]): k for k in keys}.values())
        for start in range(0, len(unique), BATCH_GET_LIMIT):
            pending: dict[str, Any] | None = {
                self.name: {
                    "Keys": [serialize(k) for k in unique[start : start + BATCH_GET_LIMIT]],
                    "ConsistentRead": consistent,
                }
            }
            rounds = 0
            while pending:
                reply = self._call("batch_get_item", RequestItems=pending)
                found.extend(deserialize(i) for i in reply.get("Responses", {}).get(self.name, []))
                pending = reply.get("UnprocessedKeys") or None
                rounds += 1
                if pending and rounds >= _MAX_UNPROCESSED_ROUNDS:
                    raise RuntimeError("DynamoDB left keys unprocessed after retries")
        return found

    def batch_write(
        self, puts: Sequence[Mapping[str, Any]] = (), deletes: Sequence[Mapping[str, str]] = ()
    ) -> None:
        requests = [{"PutRequest": {"Item": serialize(i)}} for i in puts]
        requests += [{"DeleteRequest": {"Key": serialize(k)}} for k in deletes]
        for start in range(0, len(requests), BATCH_WRITE_LIMIT):
            pending: dict[str, Any] | None = {self.name: requests[start : start + BATCH_WRITE_LIMIT]}
            rounds = 0
            while pending:
                reply = self._call("batch_write_item", RequestItems=pending)
                pending = reply.get("UnprocessedItems") or None
                rounds += 1
                if pending and rounds >= _MAX_UNPROCESSED_ROUNDS:
                    raise RuntimeError("DynamoDB left writes unprocessed after retries")

    def transact(self, actions: Sequence[Action]) -> None:
        """Write `actions` all or none. When conditions are false, raises the `fails_with` of a failed action
        that names one (when several named conditions fail at once, the first of them in `actions`: a
        repository lists the condition that should win first); TransactionCancelledError otherwise."""
        if not actions:
            return
        if len(actions) > TRANSACTION_LIMIT:
            raise ValueError(f"a transaction holds at most {TRANSACTION_LIMIT} actions, got {len(actions)}")
        companion = companion_write.get()
        if companion is not None and len(actions) < TRANSACTION_LIMIT:
            actions = [*actions, companion]
        else:
            companion = None
        try:
            self._call("transact_write_items", TransactItems=[a.to_request(self.name) for a in actions])
        except TransactionCancelledError as exc:
            for action, code in zip(actions, exc.reasons, strict=False):
                if code == "ConditionalCheckFailed" and action.fails_with is not None:
                    raise action.fails_with from exc
            raise
        if companion is not None:
            companion_write.set(None)

    def _write_with_companion(self, action: Action, companion: Put, key: Mapping[str, Any],
                              old_on_failure: bool = False) -> None:
        """A single write as a transaction with the pending companion; a false condition raises
        ConditionFailedError as the single write would (with the item as it is, for an update)."""
        try:
            self._call("transact_write_items",
                       TransactItems=[action.to_request(self.name), companion.to_request(self.name)])
        except TransactionCancelledError as exc:
            if exc.reasons[:1] == ["ConditionalCheckFailed"]:
                item = self.get({"pk": key["pk"], "sk": key["sk"]}) if old_on_failure else None
                raise ConditionFailedError(item) from exc
            raise
        companion_write.set(None)


_Named = TypeVar("_Named", bound=Action)


def named(action: _Named, fails_with: FailsWith) -> _Named:
    """`action` whose false condition raises `fails_with` from `Table.transact`."""
    return dataclasses.replace(action, fails_with=fails_with)
