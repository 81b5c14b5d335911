"""Base classes of the models that cross the service boundary.

Input models refuse unknown fields and strip surrounding whitespace; all models defer building their
validators until first use (`defer_build`), so a cold start pays only for the models it touches.
PATCH bodies declare each field that may be left out but not cleared as `Omittable[T] = None`.
"""

from typing import Annotated, Any, TypeVar

from pydantic import BaseModel, BeforeValidator, ConfigDict, GetJsonSchemaHandler
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema, PydanticCustomError

_T = TypeVar("_T")


class InputModel(BaseModel):
    """A JSON body or a command: unknown fields are refused, surrounding whitespace of strings dropped."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, defer_build=True)


class QueryModel(BaseModel):
    """Query-string parameters: unknown ones are ignored (caches and tools add their own)."""

    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True, defer_build=True)


class OutputModel(BaseModel):
    model_config = ConfigDict(defer_build=True)


def _refuse_null(value: Any) -> Any:
    # A before-validator sees only values the request sent: an omitted field keeps its default unvalidated.
    if value is None:
        raise PydanticCustomError("null_not_allowed", "may be omitted, but may not be null")
    return value


class _OmittableSchema:
    """The JSON schema of an `Omittable[T]` is T's: the field is optional in the body, but never null."""

    def __get_pydantic_json_schema__(self, schema: CoreSchema, handler: GetJsonSchemaHandler) -> JsonSchemaValue:
        json_schema = handler(schema)
        branches = [branch for branch in json_schema.get("anyOf", ()) if branch != {"type": "null"}]
        if "anyOf" not in json_schema:
            return json_schema
        rest = {key: value for key, value in json_schema.items() if key != "anyOf"}
        return {**branches[0], **rest} if len(branches) == 1 else {**rest, "anyOf": branches}


#: A PATCH field that may be omitted (its value is then None and `exclude_unset` leaves it out) but may not be
#: null: an explicit `null` is 422 "may be omitted, but may not be null". Fields that `null` clears are
#: declared `T | None = None` instead.
Omittable = Annotated[_T | None, BeforeValidator(_refuse_null), _OmittableSchema()]
