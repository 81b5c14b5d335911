"""Customers: the register's entries ("Kundenkartei")."""

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from chalicelib import clock
from chalicelib.fields import Email, LongText, Name, Phone, ShortText
from chalicelib.groups.models import MAX_GROUPS_PER_CUSTOMER
from chalicelib.models import InputModel, Omittable

Status = Literal["open", "partial", "complete"]
#: How a customer signed in to the permanent portal.
SignInMethod = Literal["access_link", "email", "sms"]
STATUSES: tuple[Status, ...] = ("open", "partial", "complete")

def is_visible(closing: str | None) -> bool:
    """Whether staff see a customer whose `closing` flag is this: from the moment its deletion is asked for it
    is gone (404 everywhere, left out of lists, searches and exports); the source of an unfinished merge stays
    visible, so that the merge can be run again and nothing it holds is hidden half way. Portal, uploads and
    new links refuse any closing customer (`Customer.closing` set); that is a different question."""
    return closing != "delete"


#: The fields staff edit directly (and merge takes field by field).
PROFILE_FIELDS = ("name", "email", "company", "phone", "notes", "status", "portal_enabled")


class Customer(BaseModel):
    model_config = ConfigDict(defer_build=True)

    id: str
    number: int
    name: str
    email: str | None = None
    company: str | None = None
    phone: str | None = None
    notes: str = ""
    status: Status = "open"
    groups: list[str] = []
    attributes: dict[str, Any] = {}
    portal_enabled: bool = True
    files_count: int = 0
    links_count: int = 0
    bytes: int = 0
    last_upload_at: str | None = None
    #: Stored received and sent files per upload area (attribute id or "general").
    area_counts: dict[str, int] = {}
    created_at: str
    updated_at: str
    #: Set while a delete or merge is under way: the portal and uploads refuse the customer.
    closing: str | None = None
    #: `<expires_at>#<link id>` of each link not revoked (a string set changed with ADD/DELETE in the link's
    #: own transactions), so the active links are counted without reading them.
    link_expiries: list[str] = []
    #: The permanent portal (chalicelib/customer_portal): a hash of the access link's secret (the link is shown
    #: once), the customer's permission overrides, the last sign-in, and a generation that ends every session
    #: when it moves (access revoked, portal switched off).
    portal_access_hash: str | None = None
    portal_access_created_at: str | None = None
    portal_permissions: dict[str, bool] = {}
    portal_last_sign_in_at: str | None = None
    portal_signed_in_by: SignInMethod | None = None
    portal_generation: int = 0
    #: Messages from the customer that staff have not read yet.
    unread_messages: int = 0

    @property
    def visible(self) -> bool:
        return is_visible(self.closing)

    def active_links_at(self, now: str) -> int:
        return sum(1 for entry in self.link_expiries if entry.split("#", 1)[0] > now)


class CustomerView(Customer):
    """A customer as staff see it: with the required upload areas that have no file from the customer yet,
    the required fields still empty, and how many of its links can be used now."""

    missing_areas: list[str] = []
    missing_fields: list[str] = []
    active_links_count: int = 0


def required_areas(attributes: dict[str, Any]) -> list[str]:
    """The ids of the required upload areas among attribute definitions (id → Attribute)."""
    return sorted(a.id for a in attributes.values() if a.type == "file" and a.required)


def required_fields(attributes: dict[str, Any]) -> list[str]:
    """The ids of the required customer fields (not upload areas) among attribute definitions."""
    return sorted(a.id for a in attributes.values() if a.type != "file" and a.scope == "customer" and a.required)


def missing_areas(required: list[str], area_counts: dict[str, Any]) -> list[str]:
    """Required upload areas without any file the customer delivered."""
    return [area for area in required if int(area_counts.get(area, 0) or 0) <= 0]


def view_of(customer: Customer, attributes: dict[str, Any]) -> CustomerView:
    """The staff view of a customer, given the account's attribute definitions (id → Attribute)."""
    return CustomerView(
        **customer.model_dump(),
        missing_areas=missing_areas(required_areas(attributes), customer.area_counts),
        missing_fields=[a for a in required_fields(attributes) if a not in customer.attributes],
        active_links_count=customer.active_links_at(clock.now_iso()),
    )


class NewCustomer(InputModel):
    """What staff (or the portal, or an import) give to create a customer. Only the name is required."""

    name: Name
    email: Email | None = None
    company: ShortText | None = None
    phone: Phone | None = None
    notes: LongText = ""
    status: Status = "open"
    groups: list[Annotated[str, Field(max_length=64)]] = Field(default_factory=list, max_length=MAX_GROUPS_PER_CUSTOMER)
    attributes: dict[Annotated[str, Field(max_length=64)], Any] = Field(default_factory=dict, max_length=200)
    portal_enabled: bool | None = Field(None, description="Default: the account's portal setting for new customers")


class PortalPermissionOverrides(InputModel):
    """The customer's own portal permissions: true or false overrides the account's default, null returns to it."""

    upload: bool | None = None
    edit_profile: bool | None = None
    see_sent_files: bool | None = None
    delete_pending_uploads: bool | None = None
    approve_documents: bool | None = None
    message: bool | None = None


def portal_overrides(current: dict[str, bool], changes: dict[str, bool | None]) -> dict[str, bool]:
    """The customer's permission overrides after `changes` (a null returns that permission to the default)."""
    merged = {**current, **changes}
    return {name: value for name, value in merged.items() if value is not None}


class CustomerChanges(InputModel):
    """A partial update: omitted fields stay; `null` clears an optional field or an attribute value;
    `groups` replaces the customer's groups; `attributes` changes only the values it names."""

    name: Omittable[Name] = None
    email: Email | None = None
    company: ShortText | None = None
    phone: Phone | None = None
    notes: Omittable[LongText] = None
    status: Omittable[Status] = None
    groups: Omittable[list[Annotated[str, Field(max_length=64)]]] = Field(None, max_length=MAX_GROUPS_PER_CUSTOMER)
    attributes: Omittable[dict[Annotated[str, Field(max_length=64)], Any]] = Field(None, max_length=200)
    portal_enabled: Omittable[bool] = None
    portal_permissions: Omittable[PortalPermissionOverrides] = None



class MergeRequest(InputModel):
    """Merge the customer `source_id` (a duplicate) into this one. `take` names, per field, whose value
    wins: `name`, `email`, `company`, `phone`, `notes`, `status`, `portal_enabled` or `attributes.<id>`;
    unnamed fields keep the target's value (attribute values the target lacks come from the source)."""

    source_id: str = Field(min_length=1, max_length=64)
    take: dict[Annotated[str, Field(max_length=80)], Literal["source", "target"]] = Field(
        default_factory=dict, max_length=250)


class ClosingState(BaseModel):
    """A stored customer as its deletion or merge reads it (chalicelib/lifecycle): the customer, which merge it
    takes part in (`receiving_merge`: the source a merge into it is taking; `merging_into`: the target it goes
    into) and its search index entries."""

    model_config = ConfigDict(defer_build=True)

    customer: Customer
    receiving_merge: str | None = None
    merging_into: str | None = None
    search_keys: list[str] = []
