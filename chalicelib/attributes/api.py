"""HTTP: custom attributes and upload areas (`/attributes`)."""

from typing import Annotated

from pydantic import Field

from chalicelib.activity.models import staff_actor
from chalicelib.api.routing import Router
from chalicelib.api.schema import DeletionJobOut, page_of
from chalicelib.attributes import service
from chalicelib.attributes.models import (
    MAX_ATTRIBUTES,
    MAX_INFO_TEXT_CHARS,
    MAX_OPTIONS,
    MAX_PATTERN_CHARS,
    Attribute,
    AttributeType,
    Scope,
)
from chalicelib.auth.tokens import Principal
from chalicelib.fields import MultiLine, SingleLine
from chalicelib.models import InputModel, Omittable, OutputModel, QueryModel

router = Router(__name__, tag="attributes")

AttributeName = Annotated[str, Field(min_length=1, max_length=100), SingleLine]
InfoText = Annotated[str, Field(min_length=1, max_length=MAX_INFO_TEXT_CHARS,
                                description="info only: plain text shown in the field's place (never HTML)"),
                     MultiLine]


class AttributeOut(OutputModel):
    id: str
    scope: Scope
    name: str
    type: AttributeType
    required: bool
    options: list[str]
    pattern: str | None
    in_portal: bool
    text: str | None = Field(description="info only: the text shown (German)")
    text_en: str | None = Field(description="info only: the text shown in English (else the German one)")
    position: int
    created_at: str
    updated_at: str

    @classmethod
    def of(cls, attribute: Attribute) -> "AttributeOut":
        return cls.model_validate(attribute.model_dump())


class NewAttribute(InputModel):
    scope: Scope = "customer"
    name: AttributeName
    type: AttributeType
    required: bool = False
    options: list[str] = Field(default_factory=list, max_length=MAX_OPTIONS)
    pattern: str | None = Field(None, min_length=1, max_length=MAX_PATTERN_CHARS,
                                description="Text only: a regular expression (RE2 syntax) the whole value must match")
    in_portal: bool = True
    text: InfoText | None = None
    text_en: InfoText | None = None


class AttributeChanges(InputModel):
    scope: Omittable[Scope] = None
    name: Omittable[AttributeName] = None
    type: Omittable[AttributeType] = None
    required: Omittable[bool] = None
    options: Omittable[list[str]] = Field(None, max_length=MAX_OPTIONS)
    pattern: str | None = Field(None, min_length=1, max_length=MAX_PATTERN_CHARS)
    in_portal: Omittable[bool] = None
    text: InfoText | None = None
    text_en: InfoText | None = None


class AttributeOrder(InputModel):
    ids: list[str] = Field(max_length=MAX_ATTRIBUTES, description="Attribute ids in their new order; attributes "
                           "not named follow in their current order")


class AttributeQuery(QueryModel):
    scope: Scope | None = None


@router.route("/attributes", "GET", summary="Attribute definitions", query=AttributeQuery,
              response=page_of(AttributeOut))
def list_attributes(principal: Principal, query: AttributeQuery) -> OutputModel:
    found = service.list_attributes(principal.account_id, query.scope)
    return page_of(AttributeOut)(items=[AttributeOut.of(a) for a in found])


@router.route("/attributes", "POST", summary="Define an attribute or upload area", body=NewAttribute,
              response=AttributeOut, status=201, errors=(409,), permission="attributes_manage")
def create_attribute(principal: Principal, body: NewAttribute) -> AttributeOut:
    return AttributeOut.of(service.create_attribute(principal.account_id, body.model_dump()))


@router.route("/attributes/order", "PUT", summary="Order the attributes (every list follows it)",
              body=AttributeOrder, response=page_of(AttributeOut), errors=(409,), permission="attributes_manage")
def reorder_attributes(principal: Principal, body: AttributeOrder) -> OutputModel:
    ordered = service.reorder_attributes(principal.account_id, body.ids)
    return page_of(AttributeOut)(items=[AttributeOut.of(a) for a in ordered])


@router.route("/attributes/{id}", "GET", summary="One attribute", response=AttributeOut)
def get_attribute(principal: Principal, id: str) -> AttributeOut:  # noqa: A002
    return AttributeOut.of(service.get_attribute(principal.account_id, id))


@router.route("/attributes/{id}", "PATCH", summary="Change an attribute (type and scope only while unused)",
              body=AttributeChanges, response=AttributeOut, errors=(409,), permission="attributes_manage")
def update_attribute(principal: Principal, id: str, body: AttributeChanges) -> AttributeOut:  # noqa: A002
    changed = service.update_attribute(principal.account_id, id, body.model_dump(exclude_unset=True))
    return AttributeOut.of(changed)


@router.route("/attributes/{id}", "DELETE",
              summary="Delete an attribute at once; its values and uses are removed in the background",
              response=DeletionJobOut, status=202, permission="attributes_manage")
def delete_attribute(principal: Principal, id: str) -> DeletionJobOut:  # noqa: A002
    job_id = service.delete_attribute(principal.account_id, staff_actor(principal.user_id), id)
    return DeletionJobOut(id=id, job_id=job_id)
