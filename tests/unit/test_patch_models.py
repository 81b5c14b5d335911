"""PATCH bodies say "may be omitted, may not be null" one way (`Omittable[T]`): an omitted field stays unset, an
explicit null is refused at that field, and the OpenAPI schema shows only the clearable fields as nullable."""

from __future__ import annotations

import typing

import pytest
from pydantic import BaseModel, Field, ValidationError

import app  # noqa: F401  (registers every route)
from chalicelib.api.routing import OPERATIONS
from chalicelib.models import InputModel, Omittable

NOT_NULL = "may be omitted, but may not be null"


def _patch_bodies() -> list[type[BaseModel]]:
    return sorted({op.body for op in OPERATIONS if op.method == "PATCH" and op.body is not None},
                  key=lambda model: model.__name__)


def _omittable_fields(model: type[BaseModel]) -> list[str]:
    return [name for name, info in model.model_fields.items() if any(
        type(meta).__name__ == "_OmittableSchema" for meta in info.metadata)]


class Example(InputModel):
    name: Omittable[str] = Field(None, min_length=1)
    tags: Omittable[list[str]] = Field(None, max_length=2)
    email: str | None = None


def test_an_omitted_field_stays_unset_and_none() -> None:
    example = Example.model_validate({})
    assert example.name is None and example.model_fields_set == set()
    assert example.model_dump(exclude_unset=True) == {}


def test_an_explicit_null_is_refused_at_its_field_while_a_clearable_field_takes_null() -> None:
    with pytest.raises(ValidationError) as caught:
        Example.model_validate({"name": None, "tags": None, "email": None})
    problems = {problem["loc"]: problem["msg"] for problem in caught.value.errors()}
    assert problems == {("name",): NOT_NULL, ("tags",): NOT_NULL}
    assert Example.model_validate({"email": None}).model_dump(exclude_unset=True) == {"email": None}


def test_the_field_constraints_still_apply() -> None:
    with pytest.raises(ValidationError):
        Example.model_validate({"name": ""})
    with pytest.raises(ValidationError):
        Example.model_validate({"tags": ["a", "b", "c"]})


def test_the_json_schema_of_an_omittable_field_is_not_nullable() -> None:
    properties = Example.model_json_schema()["properties"]
    assert properties["name"]["type"] == "string" and "anyOf" not in properties["name"]
    assert properties["tags"]["type"] == "array" and properties["tags"]["maxItems"] == 2
    assert {"type": "null"} in properties["email"]["anyOf"]


@pytest.mark.parametrize("model", _patch_bodies(), ids=lambda model: model.__name__)
def test_every_patch_body_refuses_null_on_each_field_it_does_not_clear(model: type[BaseModel]) -> None:
    omittable = _omittable_fields(model)
    for name in omittable:
        with pytest.raises(ValidationError) as caught:
            model.model_validate({name: None})
        assert [(p["loc"], p["msg"]) for p in caught.value.errors()] == [((name,), NOT_NULL)]
    # Every other field of a PATCH body is required (a state change, not a partial update) or one null clears.
    for name, info in model.model_fields.items():
        if name not in omittable:
            assert info.is_required() or type(None) in typing.get_args(info.annotation), f"{model.__name__}.{name}"
