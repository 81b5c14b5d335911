"""HTTP: the customer register (`/customers`, one customer, its activity)."""

from typing import Any, Literal

from pydantic import Field

from chalicelib.activity.models import Activity, staff_actor
from chalicelib.api.routing import Router
from chalicelib.api.schema import ListQuery, page_of
from chalicelib.auth.tokens import Principal
from chalicelib.customers import service
from chalicelib.customers.models import (
    CustomerChanges,
    CustomerView,
    NewCustomer,
    SignInMethod,
    Status,
)
from chalicelib.models import OutputModel

router = Router(__name__, tag="customers")


class CustomerPortalOut(OutputModel):
    enabled: bool
    access_link: bool = Field(description="Whether a permanent access link exists (its URL is shown only once)")
    access_link_created_at: str | None
    last_sign_in_at: str | None
    signed_in_by: SignInMethod | None = Field(description="How the last sign-in came")


class CustomerOut(OutputModel):
    id: str
    number: int
    name: str
    email: str | None
    company: str | None
    phone: str | None
    notes: str
    status: Status
    groups: list[str]
    attributes: dict[str, Any]
    portal_enabled: bool
    files_count: int
    links_count: int
    bytes: int
    last_upload_at: str | None
    missing_areas: list[str] = Field(description="Required upload areas the customer has not delivered yet")
    missing_fields: list[str] = Field(description="Required customer fields (not upload areas) still empty")
    active_links_count: int = Field(description="Links neither revoked nor expired (links_count also counts "
                                                "expired ones)")
    portal: CustomerPortalOut = Field(description="Whether and how the customer has access to the permanent portal")
    portal_permissions: dict[str, bool] = Field(
        description="The customer's own portal permissions, overriding the account's portal.permissions")
    unread_messages: int = Field(description="Messages from the customer staff have not read yet")
    created_at: str
    updated_at: str

    @classmethod
    def of(cls, customer: CustomerView) -> "CustomerOut":
        portal = CustomerPortalOut(
            enabled=customer.portal_enabled, access_link=customer.portal_access_hash is not None,
            access_link_created_at=customer.portal_access_created_at,
            last_sign_in_at=customer.portal_last_sign_in_at,
            signed_in_by=customer.portal_signed_in_by)
        return cls.model_validate({**customer.model_dump(exclude={"closing", "area_counts", "link_expiries",
                                                                  "portal_access_hash"}), "portal": portal})


class CustomerQuery(ListQuery):
    q: str | None = Field(None, max_length=200, description="Search name, e-mail and company at once")
    status: Status | None = None
    group: str | None = Field(None, max_length=64)
    due: Literal["overdue", "this_week"] | None = Field(
        None, description="customers with a request due and not complete: past its due date, or due within 7 days")


class ActivityOut(OutputModel):
    at: str
    type: str
    actor: str
    data: dict[str, Any]

    @classmethod
    def of(cls, entry: Activity) -> "ActivityOut":
        return cls(at=entry.at, type=entry.type, actor=entry.actor, data=entry.data)


@router.route("/customers", "GET", summary="List, search and filter customers", query=CustomerQuery,
              response=page_of(CustomerOut))
def list_customers(principal: Principal, query: CustomerQuery) -> OutputModel:
    where = service.CustomerFilter(q=query.q, status=query.status, group=query.group, due=query.due)
    customers, cursor = service.list_customers(principal.account_id, where, query.limit, query.cursor)
    return page_of(CustomerOut)(items=[CustomerOut.of(c) for c in customers], next_cursor=cursor)


@router.route("/customers", "POST", summary="Create a customer", body=NewCustomer, response=CustomerOut,
              status=201, errors=(409,))
def create_customer(principal: Principal, body: NewCustomer) -> CustomerOut:
    return CustomerOut.of(service.create_customer(principal.account_id, staff_actor(principal.user_id), body))


@router.route("/customers/{id}", "GET", summary="One customer", response=CustomerOut)
def get_customer(principal: Principal, id: str) -> CustomerOut:  # noqa: A002 - the contract's name
    return CustomerOut.of(service.customer_detail(principal.account_id, id))


@router.route("/customers/{id}", "PATCH", summary="Change a customer", body=CustomerChanges,
              response=CustomerOut, errors=(409,))
def update_customer(principal: Principal, id: str, body: CustomerChanges) -> CustomerOut:  # noqa: A002
    customer = service.update_customer(principal.account_id, staff_actor(principal.user_id), id, body)
    return CustomerOut.of(customer)


class SignatureOut(OutputModel):
    attribute_id: str
    signature_id: str
    signed_at: str
    sha256: str = Field(description="SHA-256 (hex) of the PNG")
    size: int
    download_url: str = Field(description="A short-lived GET of the signature image (PNG)")

    @classmethod
    def of(cls, attribute_id: str, reference: dict[str, Any], url: str) -> "SignatureOut":
        return cls(attribute_id=attribute_id, download_url=url,
                   **{name: reference[name] for name in ("signature_id", "signed_at", "sha256", "size")})


@router.route("/customers/{id}/signatures/{attribute_id}", "GET", response=SignatureOut, audit=True,
              summary="A signature field's image: when it was signed and a short-lived download URL")
def customer_signature(principal: Principal, id: str, attribute_id: str) -> SignatureOut:  # noqa: A002
    reference, url = service.signature_of(principal.account_id, id, attribute_id)
    return SignatureOut.of(attribute_id, reference, url)


@router.route("/customers/{id}/activity", "GET", summary="A customer's history, newest first", query=ListQuery,
              response=page_of(ActivityOut))
def customer_activity(principal: Principal, id: str, query: ListQuery) -> OutputModel:  # noqa: A002
    entries, cursor = service.customer_activity(principal.account_id, id, query.limit, query.cursor)
    return page_of(ActivityOut)(items=[ActivityOut.of(e) for e in entries], next_cursor=cursor)
