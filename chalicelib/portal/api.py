"""HTTP: the portal API behind a link (the link's token is the credential; no staff token)."""

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from chalicelib.accounts.api import BrandingOut
from chalicelib.api.routing import Access, Router
from chalicelib.api.schema import ListQuery, page_of
from chalicelib.files.models import UploadRequest
from chalicelib.links.api import ItemOut
from chalicelib.links.models import NotApplicable
from chalicelib.models import OutputModel
from chalicelib.portal import service

router = Router(__name__, tag="portal")

MAX_SUBMITTED_VALUES = 100


class PortalFileOut(OutputModel):
    id: str
    filename: str
    size: int
    uploaded_at: str
    review: str
    review_comment: str | None
    reject_reason: str | None


class AreaOut(OutputModel):
    id: str
    name: str
    required: bool
    files: list[PortalFileOut]


class FieldOut(OutputModel):
    id: str
    name: str
    type: str
    required: bool
    options: list[str]
    pattern: str | None
    text: str | None = Field(None, description="info only: the text shown in the field's place (German)")
    text_en: str | None = Field(None, description="info only: the text in English (else the German one)")
    value: Any = Field(None, description="the stored value; a signature's is its reference {signature_id, "
                                         "customer_id, signed_at, sha256, size}; info holds none")


class SentFileOut(OutputModel):
    id: str
    filename: str
    size: int
    uploaded_at: str
    download_url: str | None


class LimitsOut(OutputModel):
    max_file_bytes: int
    remaining_bytes: int
    allowed_types: dict[str, list[str]] = Field(description="content type → allowed file name extensions")


class AccountOut(OutputModel):
    branding: BrandingOut


class CustomerOut(OutputModel):
    name: str


class LinkOut(OutputModel):
    message: str
    expires_at: str
    due_at: str | None = None
    status: str


class ContextItemOut(OutputModel):
    id: str
    kind: str
    name: str
    required: bool
    help: str
    state: str
    files: list[str]
    comment: str | None = None


class PortalContext(OutputModel):
    account: AccountOut
    customer: CustomerOut
    link: LinkOut
    items: list[ContextItemOut] = Field(description="the link's checklist, each item with its state")
    areas: list[AreaOut]
    attributes: list[FieldOut]
    sent_files: list[SentFileOut]
    more_files_cursor: str | None = Field(
        None, description="set when the customer has more files than the context shows: GET /p/{token}/files?cursor=")
    limits: LimitsOut


class MoreFileOut(OutputModel):
    id: str
    direction: str
    area: str
    filename: str
    size: int
    uploaded_at: str
    review: str | None = None
    review_comment: str | None = None
    reject_reason: str | None = None
    download_url: str | None = None


class UploadOut(OutputModel):
    file_id: str
    url: str
    fields: dict[str, str] = Field(description="Send every entry as a form field, then the file as `file`, last")
    expires_at: str


class AttributeValues(BaseModel):
    """attribute id → value (null clears). A model of free keys rather than a RootModel: parametrising a
    RootModel builds its validator at import, which every cold start would pay."""

    model_config = ConfigDict(extra="allow", defer_build=True, json_schema_extra={
        "description": "attribute id → value (null clears); at most 100 entries"})

    @model_validator(mode="after")
    def _bounded(self) -> "AttributeValues":
        if len(self.model_extra or {}) > MAX_SUBMITTED_VALUES:
            raise ValueError(f"at most {MAX_SUBMITTED_VALUES} values at once")
        return self

    def values(self) -> dict[str, Any]:
        return dict(self.model_extra or {})


class FieldsOut(OutputModel):
    attributes: list[FieldOut]


@router.route("/p/{token}/context", "GET", summary="What the link shows: branding, areas, fields, sent files",
              access=Access.PORTAL, response=PortalContext, errors=(410,))
def portal_context(token: str) -> PortalContext:
    return PortalContext.model_validate(service.context(token))


@router.route("/p/{token}/files", "GET", summary="The customer's files beyond those in the context, newest first",
              access=Access.PORTAL, query=ListQuery, response=page_of(MoreFileOut), errors=(410,))
def portal_files(token: str, query: ListQuery) -> OutputModel:
    found, cursor = service.more_files(token, query.limit, query.cursor)
    return page_of(MoreFileOut)(items=[MoreFileOut.model_validate(f) for f in found], next_cursor=cursor)


@router.route("/p/{token}/uploads", "POST", summary="A presigned POST for one file straight to S3",
              access=Access.PORTAL, body=UploadRequest, response=UploadOut, status=201,
              errors=(410, 413, 415, 429))
def portal_upload(token: str, body: UploadRequest) -> UploadOut:
    upload = service.presign(token, body)
    return UploadOut(file_id=upload.file_id, url=upload.url, fields=upload.fields, expires_at=upload.expires_at)


@router.route("/p/{token}/attributes", "PUT", summary="Fill in the link's fields (validated like staff writes)",
              access=Access.PORTAL, body=AttributeValues, response=FieldsOut, errors=(410,))
def portal_attributes(token: str, body: AttributeValues) -> FieldsOut:
    return FieldsOut.model_validate({"attributes": service.submit_attributes(token, body.values())})


@router.route("/p/{token}/items/{item_id}/not-applicable", "POST",
              summary="Say that a checklist item does not apply (with a comment); saying it again changes nothing",
              access=Access.PORTAL, body=NotApplicable, response=ItemOut, errors=(409, 410))
def portal_not_applicable(token: str, item_id: str, body: NotApplicable) -> ItemOut:
    return ItemOut.of(service.mark_not_applicable(token, item_id, body.comment))


@router.route("/p/{token}/items/{item_id}/not-applicable", "DELETE",
              summary="Take back a not-applicable mark (409 once staff accepted it)",
              access=Access.PORTAL, response=ItemOut, errors=(409, 410))
def portal_not_applicable_undo(token: str, item_id: str) -> ItemOut:
    return ItemOut.of(service.undo_not_applicable(token, item_id))
