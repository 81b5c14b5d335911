"""Middleware for event-driven functions: log keys per invocation and metrics flushed once."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from chalicelib.observability import logger, metrics


def event_middleware(event: Any, get_response: Callable[[Any], Any]) -> Any:
    context = getattr(event, "context", None)
    logger.thread_safe_clear_keys()
    logger.thread_safe_append_keys(request_id=getattr(context, "aws_request_id", None),
                                   function=getattr(context, "function_name", None))
    try:
        return get_response(event)
    finally:
        metrics.flush_metrics()
