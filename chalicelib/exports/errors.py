"""Errors of the exports domain (turned into HTTP by chalicelib.api.errors, like every DossierError)."""

from __future__ import annotations

from chalicelib import errors


class UnknownFormatError(errors.DossierError):
    """A format outside the closed set the contract names. The contract's `validation_error` code, answered
    with 400 as the issue asks: deliberately not an InvalidInputError (422), so the generic status applies."""

    code = "validation_error"

    def __init__(self, given: str, allowed: tuple[str, ...]) -> None:
        message = f"Unknown export format '{given[:20]}'; use one of: {', '.join(allowed)}."
        super().__init__(message, [{"field": "format", "message": message}])


class JobFailedError(Exception):
    """A job could not be completed; `reason` is what its record shows (no internals)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason
