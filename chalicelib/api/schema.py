"""Shapes shared by every list and error reply."""

from __future__ import annotations

from typing import Generic, TypeVar

from pydantic import Field

from chalicelib.models import OutputModel, QueryModel

T = TypeVar("T")

DEFAULT_LIMIT = 50
MAX_LIMIT = 200


class ListQuery(QueryModel):
    limit: int = Field(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT)
    cursor: str | None = Field(None, max_length=2048)


class Page(OutputModel, Generic[T]):
    items: list[T]
    next_cursor: str | None = None


class ErrorDetail(OutputModel):
    code: str = Field(examples=["validation_error"])
    message: str
    details: list[dict[str, object] | str] = []
    request_id: str | None = None


class ErrorReply(OutputModel):
    error: ErrorDetail
