"""Fault injection through botocore's event hooks on the live clients (no patching of module globals)."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import Any

from chalicelib import aws


def client_error(code: str, operation: str, message: str = "injected") -> Exception:
    from botocore.exceptions import ClientError

    return ClientError({"Error": {"Code": code, "Message": message}}, operation)


@contextlib.contextmanager
def failing(service: str, operation: str, make_error: Callable[[], Exception], times: int | None = None) -> Iterator[
        list[int]]:
    """Make `operation` (e.g. "GetItem") of the process-wide `service` client raise; `times`: only the
    first n calls. Yields a one-element list counting the injected failures."""
    count = [0]

    def hook(**kwargs: Any) -> None:
        if times is None or count[0] < times:
            count[0] += 1
            raise make_error()

    events = aws.client(service).meta.events
    name = f"before-call.{aws.client(service).meta.service_model.endpoint_prefix}.{operation}"
    events.register(name, hook, unique_id=f"fault-{operation}")
    try:
        yield count
    finally:
        events.unregister(name, unique_id=f"fault-{operation}")
