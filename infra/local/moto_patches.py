"""Two fixes for moto's DynamoDB, applied to the local stack and the test suite.

- moto snapshots the whole table for a rollback once per *action* of a transaction (a 40-action
  transaction copies the table 40 times), which makes transactions cost O(actions x table size). The
  snapshot is taken once per table here; what moto does with it is unchanged.
- moto keeps a reference to every model object it ever made (`instances_tracked`, for its dashboard),
  so every snapshot, a copy of the whole table, lived as long as the process: the local stack grew by about
  1 MB per request and slowed down as the collector walked it all. DynamoDB's models are no longer tracked;
  nothing but the dashboard reads that list for them.
"""

from __future__ import annotations

import copy
import functools
import threading
from typing import Any

_local = threading.local()


class _SnapshotOncePerTransaction:
    """Stands in for the `copy` module inside moto.dynamodb.models."""

    def __getattr__(self, name: str) -> Any:
        return getattr(copy, name)

    @staticmethod
    def deepcopy(value: Any, memo: Any = None) -> Any:
        from moto.dynamodb.models.table import Table

        snapshots = getattr(_local, "snapshots", None)
        if snapshots is None or not isinstance(value, Table):
            return copy.deepcopy(value, memo)
        if id(value) not in snapshots:
            snapshots[id(value)] = copy.deepcopy(value)
        return snapshots[id(value)]


def _untrack_dynamodb_models() -> None:
    from moto.core.common_models import BaseModel

    tracked_new = BaseModel.__new__

    def __new__(cls: type, *args: Any, **kwargs: Any) -> Any:  # noqa: N807 - replaces BaseModel.__new__
        if cls.__module__.startswith("moto.dynamodb."):
            return object.__new__(cls)
        return tracked_new(cls, *args, **kwargs)

    BaseModel.__new__ = staticmethod(__new__)  # type: ignore[method-assign,assignment]


def apply() -> None:
    from moto.dynamodb import models

    if getattr(models, "_dossier_patched", False):
        return
    _untrack_dynamodb_models()
    original = models.DynamoDBBackend.transact_write_items

    @functools.wraps(original)
    def transact_write_items(self: Any, transact_items: Any) -> Any:
        _local.snapshots = {}
        try:
            return original(self, transact_items)
        finally:
            _local.snapshots = None

    models.copy = _SnapshotOncePerTransaction()  # type: ignore[attr-defined]
    models.DynamoDBBackend.transact_write_items = transact_write_items  # type: ignore[method-assign]
    models._dossier_patched = True  # type: ignore[attr-defined]
