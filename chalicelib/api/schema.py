"""Base classes of the API's request and response models.

Models defer building their validators until first use (`defer_build`): a cold start that serves one
route only pays for the models that route touches.
"""

from __future__ import annotations

from typing import Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field

T = TypeVar("T")

DEFAULT_LIMIT = 50
MAX_LIMIT = 200


class RequestModel(BaseModel):
    """A JSON body: unknown fields are refused, surrounding whitespace of strings is dropped."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, defer_build=True)


class QueryModel(BaseModel):
    """Query-string parameters: unknown ones are ignored (caches and tools add their own)."""

    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True, defer_build=True)


class ResponseModel(BaseModel):
    model_config = ConfigDict(defer_build=True)


class ListQuery(QueryModel):
    limit: int = Field(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT)
    cursor: str | None = Field(None, max_length=2048)


class Page(ResponseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None = None


class ErrorDetail(ResponseModel):
    code: str = Field(examples=["validation_error"])
    message: str
    details: list[dict[str, object] | str] = []
    request_id: str | None = None


class ErrorReply(ResponseModel):
    error: ErrorDetail
