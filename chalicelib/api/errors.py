"""The one place where errors become HTTP responses.

Domain errors (`chalicelib.errors`), input that pydantic refused, errors API Gateway or Chalice produce
themselves (no route, wrong method, missing token) and unexpected exceptions all leave the API in the
contract's shape: `{"error": {"code", "message", "details"}}`.
"""

from __future__ import annotations

import json
from typing import Any

from chalice import Response

from chalicelib import errors
from chalicelib.api.pages import ResponseHeaders

STATUS_BY_ERROR: dict[type[errors.DossierError], int] = {
    errors.InvalidInputError: 422,
    errors.BadRequestError: 400,
    errors.PayloadTooLargeError: 413,
    errors.UnauthorizedError: 401,
    errors.ForbiddenError: 403,
    errors.NotFoundError: 404,
    errors.ConflictError: 409,
    errors.PlanLimitError: 409,
    errors.LinkExpiredError: 410,
    errors.FileTooLargeError: 413,
    errors.QuotaExceededError: 413,
    errors.UnsupportedTypeError: 415,
    errors.UploadLimitError: 413,
    errors.RateLimitedError: 429,
    errors.SuppressedAddressError: 422,
}

#: Errors that API Gateway (on AWS) or Chalice's local gateway answer before our code runs, mapped to the
#: contract's codes. `infra/` installs the same mapping as API Gateway "gateway responses".
GATEWAY_ERRORS: dict[int, tuple[str, str]] = {
    401: ("unauthorized", "A valid bearer token is required."),
    403: ("forbidden", "This token may not use this route."),
    404: ("not_found", "There is no such route."),
    405: ("method_not_allowed", "This route does not support that method."),
    413: ("payload_too_large", "The request body is too large."),
    415: ("unsupported_media_type", "Send the request body as application/json."),
    429: ("too_many_requests", "Too many requests; slow down and retry."),
    500: ("internal", "An internal error occurred."),
    504: ("timeout", "The request took too long."),
}

JSON_HEADERS = {"Content-Type": "application/json"}


def error_body(code: str, message: str, details: list[Any] | None = None, **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"code": code, "message": message, "details": details or []}
    body.update(extra)
    return {"error": body}


def status_for(exc: errors.DossierError) -> int:
    for error_type in type(exc).__mro__:
        if error_type in STATUS_BY_ERROR:
            return STATUS_BY_ERROR[error_type]
    return 400


def domain_error_response(exc: errors.DossierError) -> Response:
    headers: ResponseHeaders = dict(JSON_HEADERS)
    if isinstance(exc, errors.UnauthorizedError):
        # RFC 6750: name the expected scheme and why the token failed (the messages have no quotes).
        headers["WWW-Authenticate"] = f'Bearer error="invalid_token", error_description="{exc.message}"'
    if isinstance(exc, errors.RateLimitedError):
        headers["Retry-After"] = str(exc.retry_after)
    return Response(
        body=error_body(exc.code, exc.message, exc.details), status_code=status_for(exc), headers=headers
    )


def input_error_response(exc: Any) -> Response:
    """A pydantic ValidationError on the request's body or query: 400 if the body is not JSON at all,
    422 naming each field otherwise."""
    if any(p.get("type") == "json_invalid" for p in exc.errors(include_url=False)):
        return Response(
            body=error_body("validation_error", "The request body is not valid JSON."),
            status_code=400,
            headers=dict(JSON_HEADERS),
        )
    return domain_error_response(errors.invalid_input_from(exc))


def gateway_error_response(status: int, headers: dict[str, str] | None = None, **extra: Any) -> Response:
    code, message = GATEWAY_ERRORS.get(status, ("error", "The request failed."))
    return Response(
        body=error_body(code, message, **extra), status_code=status, headers={**(headers or {}), **JSON_HEADERS}
    )


def is_contract_error(body: Any) -> bool:
    if isinstance(body, bytes | str):
        try:
            body = json.loads(body)
        except ValueError:
            return False
    return isinstance(body, dict) and isinstance(body.get("error"), dict) and "code" in body["error"]
