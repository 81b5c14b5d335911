"""HTTP middleware: request-scoped log keys, contract-shaped errors for what Chalice answers itself,
common headers, and metrics flushed once per request."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from chalice import Response
from chalice.app import Request

from chalicelib.api import errors as http_errors
from chalicelib.observability import logger, metrics
from chalicelib.settings import get_settings

#: Every answer: nothing is cached (replies are per token), no referrer leaks a portal URL, and browsers use
#: only HTTPS for two years (sent on every stage: browsers ignore it over plain HTTP, so the local stack is
#: unaffected).
COMMON_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "Strict-Transport-Security": "max-age=63072000",
}


def http_middleware(request: Request, get_response: Callable[[Request], Response]) -> Response:
    request_id = getattr(getattr(request, "lambda_context", None), "aws_request_id", None)
    logger.thread_safe_clear_keys()
    logger.thread_safe_append_keys(request_id=request_id, method=request.method, path=request.path)
    try:
        response = get_response(request)
        if (response.status_code >= 400 and not http_errors.is_contract_error(response.body)
                and not _is_html_page(response)):
            # Chalice's own answers (wrong method, unsupported media type, unhandled error).
            response = http_errors.gateway_error_response(
                response.status_code, headers=_kept_headers(response.headers), request_id=request_id
            )
        for name, value in COMMON_HEADERS.items():
            response.headers.setdefault(name, value)
        if get_settings().staff_origin:
            # The staff front end is served from another origin; API Gateway answers its preflight.
            response.headers.setdefault("Access-Control-Allow-Origin", get_settings().staff_origin)
        if request_id:
            response.headers["X-Request-Id"] = request_id
        status_class = f"{response.status_code // 100}xx"
        metrics.add_metric(name=f"Http{status_class}", unit="Count", value=1)
        logger.info("request handled", extra={"status": response.status_code})
        return response
    finally:
        metrics.flush_metrics()


def _is_html_page(response: Response) -> bool:
    """The portal's own 404/410 pages: answered in HTML on purpose (Chalice itself never answers HTML)."""
    return any(k.lower() == "content-type" and str(v).startswith("text/html") for k, v in response.headers.items())


def _kept_headers(headers: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in headers.items() if k.lower() in ("allow",)}
