"""Shapes shared by every list and error reply."""

import functools
from typing import Generic, TypeVar

from pydantic import BaseModel, Field, create_model

from chalicelib.models import OutputModel, QueryModel

DEFAULT_LIMIT = 50
MAX_LIMIT = 200


class ListQuery(QueryModel):
    limit: int = Field(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT)
    cursor: str | None = Field(None, max_length=2048)


_Item = TypeVar("_Item", bound=BaseModel)


class Page(OutputModel, Generic[_Item]):
    """What every list answers; `page_of` makes the concrete model of one item type."""

    items: list[_Item]
    next_cursor: str | None = None


@functools.cache
def page_of(item: type[_Item]) -> type[Page[_Item]]:
    """The list reply of `item`s, `{"items": [...], "next_cursor": ...}`: a concrete model made once per item
    type (a generic's parametrisation would build its validator at import, slowing every cold start)."""
    return create_model(f"{item.__name__}Page", __base__=Page, __module__=item.__module__,
                        items=(list[item], ...))  # type: ignore[valid-type]  # a type made at run time


class DeletionJobOut(OutputModel):
    """A deletion accepted: what was deleted is gone for every request from now on; what referred to it is
    cleaned up by the job in the background."""

    id: str
    status: str = Field("deleting", description='"deleting": gone at once; references are removed in the background')
    job_id: str


class ErrorDetail(OutputModel):
    code: str = Field(examples=["validation_error"])
    message: str
    details: list[dict[str, object] | str] = []
    request_id: str | None = None


class ErrorReply(OutputModel):
    error: ErrorDetail
