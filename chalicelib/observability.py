"""Structured logs and metrics (powertools), shared by the API and the event handlers.

The service name differs from the Chalice app name on purpose: Chalice logs through a logger named after
the app, and sharing that name would print every line twice.

Both are made on first use, not at import: importing powertools costs a cold start about as much as all
of Dossier's own modules, and an answer that logs nothing (a refused token, the OpenAPI document) should
not pay for it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Generic, TypeVar

if TYPE_CHECKING:  # pragma: no cover
    from aws_lambda_powertools import Logger, Metrics

SERVICE = "dossier-service"
NAMESPACE = "Dossier"

T = TypeVar("T")


class _OnFirstUse(Generic[T]):
    """Stands in for an object made by `factory` the first time one of its attributes is used."""

    def __init__(self, factory: Callable[[], T]) -> None:
        self._factory = factory
        self._made: T | None = None
        self._lock = threading.Lock()

    def _target(self) -> T:
        if self._made is None:
            with self._lock:
                if self._made is None:
                    self._made = self._factory()
        return self._made

    def __getattr__(self, name: str) -> Any:
        return getattr(self._target(), name)


def _make_logger() -> Logger:
    from aws_lambda_powertools import Logger

    return Logger(service=SERVICE)


#: Every invocation's flush goes through one lock: the metric set is shared by every Metrics instance of the
#: process, so on the local stack, where the API and the pumps run side by side, a flush could otherwise find the
#: set another thread just published.
_flush_lock = threading.Lock()


def _make_metrics() -> Metrics:
    from aws_lambda_powertools import Metrics

    class _Metrics(Metrics):
        def flush_metrics(self, raise_on_empty_metrics: bool = False) -> None:
            """Publish what was recorded; an invocation that recorded nothing publishes nothing (powertools
            would warn about the empty set on every such invocation)."""
            with _flush_lock:
                if self.metric_set or raise_on_empty_metrics:
                    super().flush_metrics(raise_on_empty_metrics=raise_on_empty_metrics)

    return _Metrics(namespace=NAMESPACE, service=SERVICE)


logger: Logger = _OnFirstUse(_make_logger)  # type: ignore[assignment]  # a proxy that makes the Logger on first use
metrics: Metrics = _OnFirstUse(_make_metrics)  # type: ignore[assignment]  # likewise for Metrics
