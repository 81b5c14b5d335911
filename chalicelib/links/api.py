"""HTTP: a customer's upload links (create, list, revoke, e-mail again), and the review of a file (its checklist
item follows)."""

from typing import Any

from chalicelib import clock
from chalicelib.activity.models import staff_actor
from chalicelib.api.routing import Router
from chalicelib.api.schema import page_of
from chalicelib.auth.tokens import Principal
from chalicelib.customers.api import SignatureOut
from chalicelib.files.api import FileOut, ReviewChange
from chalicelib.links import service
from chalicelib.links.models import Item, ItemKind, ItemMarkChange, ItemState, LinkState, LinkStatus, LinkView, NewLink
from chalicelib.models import OutputModel

router = Router(__name__, tag="links")
#: A file's review, documented with the files: it lives here because the checklist item the file was uploaded
#: for follows the review, and files sit below links.
file_review_routes = Router(__name__, tag="files")


class ItemOut(OutputModel):
    id: str
    kind: ItemKind
    attribute_id: str
    required: bool
    help: str
    state: ItemState
    files: list[str]
    value: Any = None
    comment: str | None = None

    @classmethod
    def of(cls, item: Item) -> "ItemOut":
        return cls.model_validate(item.model_dump())


class RemindersOut(OutputModel):
    enabled: bool
    before_due_days: list[int]
    every_days_after: int
    next_at: str | None
    sent_count: int


class LinkOut(OutputModel):
    id: str
    url: str | None = None
    areas: list[str]
    attributes: list[str]
    message: str
    expires_at: str
    created_at: str
    revoked: bool
    state: LinkState
    sent_count: int
    last_sent_at: str | None
    submitted_at: str | None
    missing_areas: list[str]
    items: list[ItemOut]
    status: LinkStatus
    template_id: str | None = None
    due_at: str | None = None
    reminders: RemindersOut | None = None

    @classmethod
    def of(cls, link: LinkView, url: str | None = None) -> "LinkOut":
        return cls(
            id=link.id, url=url, areas=link.areas, attributes=link.attributes, message=link.message,
            expires_at=link.expires_at, created_at=link.created_at, revoked=link.revoked_at is not None,
            state=link.state(clock.now_iso()), sent_count=link.sent_count, last_sent_at=link.last_sent_at,
            submitted_at=link.submitted_at, missing_areas=link.missing_areas,
            items=[ItemOut.of(item) for item in link.checklist], status=link.current_status,
            template_id=link.template_id, due_at=link.due_at,
            reminders=RemindersOut(**link.reminders.model_dump()) if link.reminders else None,
        )


@router.route("/customers/{id}/links", "POST", summary="Create an upload link (its URL is shown only now)",
              body=NewLink, response=LinkOut, status=201, errors=(409, 429), permission="links_send")
def create_link(principal: Principal, id: str, body: NewLink) -> LinkOut:  # noqa: A002
    link, url = service.create_link(principal.account_id, staff_actor(principal.user_id), id, body)
    return LinkOut.of(link, url)


@router.route("/customers/{id}/links", "GET", summary="A customer's links, newest first", response=page_of(LinkOut))
def list_links(principal: Principal, id: str) -> OutputModel:  # noqa: A002
    return page_of(LinkOut)(items=[LinkOut.of(link) for link in service.list_links(principal.account_id, id)])


@router.route("/customers/{id}/links/{link_id}/signatures/{attribute_id}", "GET", response=SignatureOut, audit=True,
              summary="A request field's signature image: when it was signed and a short-lived download URL")
def request_signature(principal: Principal, id: str, link_id: str, attribute_id: str) -> SignatureOut:  # noqa: A002
    reference, url = service.request_signature(principal.account_id, id, link_id, attribute_id)
    return SignatureOut.of(attribute_id, reference, url)


@router.route("/customers/{id}/links/{link_id}", "DELETE", summary="Revoke a link", status=204)
def revoke_link(principal: Principal, id: str, link_id: str) -> None:  # noqa: A002
    service.revoke_link(principal.account_id, staff_actor(principal.user_id), id, link_id)


@router.route("/customers/{id}/links/{link_id}/send", "POST",
              summary="E-mail the link again (with a new URL; the previous one stops working)",
              response=LinkOut, errors=(409, 422, 429), permission="links_send")
def resend_link(principal: Principal, id: str, link_id: str) -> LinkOut:  # noqa: A002
    link, url = service.resend_link(principal.account_id, staff_actor(principal.user_id), id, link_id)
    return LinkOut.of(link, url)


@router.route("/customers/{id}/links/{link_id}/items/{item_id}", "PATCH",
              summary="Accept an item as not applicable, or ask for it again", body=ItemMarkChange,
              response=ItemOut, errors=(409,))
def review_item(principal: Principal, id: str, link_id: str, item_id: str,  # noqa: A002
                body: ItemMarkChange) -> ItemOut:
    return ItemOut.of(service.review_item(principal.account_id, staff_actor(principal.user_id), id, link_id,
                                          item_id, body))


@file_review_routes.route("/customers/{id}/files/{file_id}", "PATCH", summary="Review a file", body=ReviewChange,
                          response=FileOut, errors=(409,))
def review_file(principal: Principal, id: str, file_id: str, body: ReviewChange) -> FileOut:  # noqa: A002
    file = service.review_file(principal.account_id, staff_actor(principal.user_id), id, file_id, body.review,
                               body.review_comment)
    return FileOut.of(file)
