"""Domain errors. Services raise these; `chalicelib.api.errors` turns them into HTTP in one place.

Each error carries its machine-readable `code` (the contract's snake_case codes) and optional
`details` (a list of `{"field": ..., "message": ...}` dicts, or other small JSON values).
"""

from __future__ import annotations

from typing import Any


class DossierError(Exception):
    code = "error"

    def __init__(self, message: str, details: list[Any] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details or []


class InvalidInputError(DossierError):
    code = "validation_error"

    @classmethod
    def for_field(cls, field: str, message: str) -> InvalidInputError:
        return cls(f"{field}: {message}", [{"field": field, "message": message}])


class BadRequestError(InvalidInputError):
    """Well-formed input that asks for something impossible (merging a customer into itself): 400, with the
    `validation_error` code and the field like any invalid input."""


class PayloadTooLargeError(DossierError):
    code = "payload_too_large"


class UnauthorizedError(DossierError):
    code = "unauthorized"


class ForbiddenError(DossierError):
    code = "forbidden"


class PermissionDeniedError(ForbiddenError):
    """A member asked for something an admin has not allowed members (`/account/permissions`)."""

    code = "permission_denied"


class NotFoundError(DossierError):
    code = "not_found"


class ConflictError(DossierError):
    code = "conflict"


class PlanLimitError(DossierError):
    code = "plan_limit"


class LinkExpiredError(DossierError):
    code = "link_expired"


class FileTooLargeError(DossierError):
    code = "file_too_large"


class QuotaExceededError(DossierError):
    code = "quota_exceeded"


class UnsupportedTypeError(DossierError):
    code = "unsupported_type"


class UploadLimitError(DossierError):
    """One link or customer holds as many open upload reservations (count or bytes) as it may."""

    code = "upload_limit"


class RateLimitedError(DossierError):
    """Too many requests of one kind in a short time; `retry_after` says when (seconds) to try again."""

    code = "rate_limited"

    def __init__(self, message: str, retry_after: int, details: list[Any] | None = None) -> None:
        super().__init__(message, details or [{"retry_after": max(1, retry_after)}])
        self.retry_after = max(1, retry_after)


class SuppressedAddressError(DossierError):
    """The address bounced or complained before: mail to it is not sent again (422)."""

    code = "address_suppressed"


def invalid_input_from(exc: Any, prefix: str = "") -> InvalidInputError:
    """An InvalidInputError naming each field a pydantic ValidationError found."""
    details = []
    for problem in exc.errors(include_url=False, include_context=False, include_input=False):
        location = ".".join(str(part) for part in (prefix, *problem.get("loc", ())) if part != "")
        details.append({"field": location or prefix or "body", "message": problem.get("msg", "invalid")})
    summary = "; ".join(f"{d['field']}: {d['message']}" for d in details[:5])
    return InvalidInputError(f"Invalid input: {summary}", details)
