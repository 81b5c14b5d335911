"""What DynamoDB calls cost, counted on the process-wide client with botocore's event hooks.

moto's `ConsumedCapacity` figures are constants, so the cost is counted instead: calls per operation,
items read (what DynamoDB reads and bills: a Query's scanned items, a GetItem's item, a BatchGetItem's
found items) and items written (PutItem, UpdateItem and DeleteItem one each, a BatchWriteItem its
requests, a TransactWriteItems its actions; a write refused by its condition still counts, as on AWS).
"""

from __future__ import annotations

import contextlib
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

_SINGLE_WRITES = {"PutItem", "UpdateItem", "DeleteItem"}


@dataclass
class Cost:
    calls: Counter[str] = field(default_factory=Counter)
    read: int = 0
    written: int = 0

    @property
    def total_calls(self) -> int:
        return sum(self.calls.values())

    def describe(self) -> str:
        """`Query 1, TransactWriteItems 1` (in the order the calls were first made)."""
        return ", ".join(f"{name} {count}" for name, count in self.calls.items()) or "no calls"

    def __add__(self, other: Cost) -> Cost:
        return Cost(self.calls + other.calls, self.read + other.read, self.written + other.written)


def items_written(operation: str, params: dict[str, Any]) -> int:
    if operation in _SINGLE_WRITES:
        return 1
    if operation == "BatchWriteItem":
        return sum(len(requests) for requests in params.get("RequestItems", {}).values())
    if operation == "TransactWriteItems":
        return len(params.get("TransactItems", []))
    return 0


def items_read(operation: str, parsed: dict[str, Any]) -> int:
    if operation == "GetItem":
        return 1 if parsed.get("Item") else 0
    if operation in ("BatchGetItem", "TransactGetItems"):
        responses = parsed.get("Responses") or {}
        if isinstance(responses, list):  # TransactGetItems
            return sum(1 for response in responses if response.get("Item"))
        return sum(len(items) for items in responses.values())
    if operation in ("Query", "Scan"):
        return int(parsed.get("ScannedCount", parsed.get("Count", 0)))
    return 0


class DynamoCounter:
    """Counts the calls of the app's DynamoDB client (`chalicelib.aws.client("dynamodb")`) while measuring."""

    def __init__(self) -> None:
        self.cost = Cost()
        self._client: Any = None

    def _before(self, model: Any, params: dict[str, Any], **_: Any) -> None:
        from chalicelib.api.auth import authorizing

        if authorizing.get():
            return  # the authorizer's own read: per token and minute on AWS (API Gateway caches its answer)
        self.cost.calls[model.name] += 1
        self.cost.written += items_written(model.name, params)

    def _after(self, model: Any, parsed: dict[str, Any], **_: Any) -> None:
        from chalicelib.api.auth import authorizing

        if not authorizing.get():
            self.cost.read += items_read(model.name, parsed)

    @contextlib.contextmanager
    def measure(self) -> Iterator[Cost]:
        """The cost of the calls made inside the block (filled in when the block ends)."""
        from chalicelib import aws

        client = aws.client("dynamodb")
        self.cost = Cost()
        # Parameters as the caller gave them (before-call would see the serialised HTTP body).
        client.meta.events.register("before-parameter-build.dynamodb", self._before, unique_id="bench-count-before")
        client.meta.events.register("after-call.dynamodb", self._after, unique_id="bench-count-after")
        result = Cost()
        try:
            yield result
        finally:
            client.meta.events.unregister("before-parameter-build.dynamodb", unique_id="bench-count-before")
            client.meta.events.unregister("after-call.dynamodb", unique_id="bench-count-after")
            result.calls, result.read, result.written = self.cost.calls, self.cost.read, self.cost.written


@contextlib.contextmanager
def dynamodb_cost() -> Iterator[Cost]:
    """`with dynamodb_cost() as cost: ...` — the DynamoDB cost of the block."""
    with DynamoCounter().measure() as cost:
        yield cost
