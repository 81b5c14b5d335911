"""Upload links: capability URLs that let one customer upload into chosen areas and fill in chosen fields."""

import datetime
import math
from collections.abc import Collection
from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from chalicelib import clock
from chalicelib.fields import LongText
from chalicelib.models import InputModel
from chalicelib.templates.models import ReminderPlan

LinkState = Literal["active", "expired", "revoked"]
#: Where a request stands: `open` (nothing yet), `partial`, `submitted` (every required item received or
#: marked not applicable), `complete` (every required item checked, accepted as not applicable or filled
#: in), `cancelled` (revoked).
LinkStatus = Literal["open", "partial", "submitted", "complete", "cancelled"]
#: `info` items show an info attribute's text in its place: nothing to do, never counted for the status.
ItemKind = Literal["area", "field", "info"]
ItemState = Literal["missing", "received", "checked", "needs_clarification", "not_applicable", "accepted_na"]
#: What the customer or staff said about an item, over what its files say.
ItemMark = Literal["not_applicable", "accepted_na"]
_DONE: frozenset[str] = frozenset({"checked", "accepted_na"})
_SUBMITTED: frozenset[str] = _DONE | {"received", "not_applicable"}
DEFAULT_EXPIRY_DAYS = 14
MAX_EXPIRY_DAYS = 365


class Link(BaseModel):
    model_config = ConfigDict(defer_build=True)

    id: str
    customer_id: str
    token_hash: str
    areas: list[str]
    attributes: list[str]
    values: dict[str, Any] = {}
    message: str = ""
    expires_at: str
    created_at: str
    created_by: str
    revoked_at: str | None = None
    sent_count: int = 0
    last_sent_at: str | None = None
    submitted_at: str | None = None
    #: The checklist, item id (= attribute id or "general") -> StoredItem; None on links made before it.
    items: "dict[str, StoredItem] | None" = None
    #: The status last recorded (None on links made before statuses); the true one is `status_of`.
    status: LinkStatus | None = None
    template_id: str | None = None
    due_at: str | None = None
    reminders: "LinkReminders | None" = None

    def state(self, now: str) -> LinkState:
        if self.revoked_at:
            return "revoked"
        return "expired" if self.expires_at <= now else "active"


class LinkReminders(BaseModel):
    """The link's reminder plan and where it stands: `next_at` is when the next one is due (None: no more)."""

    model_config = ConfigDict(defer_build=True)

    enabled: bool = False
    before_due_days: list[int] = []
    every_days_after: int = 0
    next_at: str | None = None
    sent_count: int = 0


def next_reminder_at(due_at: str | None, plan: ReminderPlan, after: datetime.datetime) -> str | None:
    """The first planned reminder after `after`: the days before the due date, then every n days after it."""
    if not plan.enabled or due_at is None:
        return None
    due = clock.parse(due_at)
    upcoming = [moment for moment in (due - datetime.timedelta(days=d) for d in plan.before_due_days)
                if moment > after]
    if upcoming:
        return clock.iso(min(upcoming))
    if not plan.every_days_after:
        return None
    every = datetime.timedelta(days=plan.every_days_after)
    moment = due + every * max(1, math.ceil((after - due) / every))
    return clock.iso(moment if moment > after else moment + every)


class StoredItem(BaseModel):
    """One checklist item as stored on its link: what the link asks, the reviews of the files uploaded for it
    through the link (file id -> review), and a not-applicable mark with its comment."""

    model_config = ConfigDict(defer_build=True)

    kind: ItemKind
    required: bool = False
    help: str = ""
    files: dict[str, str] = {}
    mark: ItemMark | None = None
    comment: str | None = None


class Item(BaseModel):
    """A checklist item as shown: its state follows its files, its value or its mark."""

    model_config = ConfigDict(defer_build=True)

    id: str
    kind: ItemKind
    attribute_id: str
    required: bool
    help: str
    state: ItemState
    files: list[str]
    value: Any = None
    comment: str | None = None


def _file_state(reviews: list[str]) -> ItemState:
    if not reviews:
        return "missing"
    if "needs_clarification" in reviews:
        return "needs_clarification"
    return "checked" if all(review == "checked" for review in reviews) else "received"


def checklist(link: Link, customer_values: dict[str, Any], required_ids: set[str],
              area_counts: dict[str, int], info_ids: Collection[str] = ()) -> list[Item]:
    """The link's items in the order it asks for them. A link made before checklists gets them derived: an
    item is required as its attribute is (`required_ids`), an area counts as received once the customer
    has a file there (`area_counts`). Items of info attributes (`info_ids`) are display text: never required,
    nothing to do."""
    items = []
    for attribute_id in [*link.areas, *link.attributes]:
        kind: ItemKind = "area" if attribute_id in link.areas else "field"
        stored = (link.items or {}).get(attribute_id) if link.items is not None else StoredItem(
            kind=kind, required=attribute_id in required_ids,
            files={} if kind == "field" or not area_counts.get(attribute_id) else {"": "pending"})
        if stored is None:
            continue
        if attribute_id in info_ids:
            items.append(Item(id=attribute_id, kind="info", attribute_id=attribute_id, required=False,
                              help=stored.help, state="checked", files=[]))
            continue
        value = None
        if kind == "field":
            value = link.values.get(attribute_id, customer_values.get(attribute_id))
            state: ItemState = "checked" if value not in (None, "", []) else "missing"
        else:
            state = _file_state(list(stored.files.values()))
        items.append(Item(id=attribute_id, kind=kind, attribute_id=attribute_id, required=stored.required,
                          help=stored.help, state=stored.mark or state,
                          files=[file_id for file_id in stored.files if file_id], value=value,
                          comment=stored.comment))
    return items


def status_of(link: Link, items: list[Item]) -> LinkStatus:
    """Where the request stands; with no required item, every item counts."""
    if link.revoked_at:
        return "cancelled"
    todo = [item for item in items if item.kind != "info"]
    counted = [item for item in todo if item.required] or todo
    if all(item.state in _DONE for item in counted):
        return "complete"
    if all(item.state in _SUBMITTED for item in counted):
        return "submitted"
    return "partial" if any(item.state != "missing" for item in todo) else "open"


class LinkView(Link):
    """A link as staff see it: with the required areas it asks for that have no file yet."""

    missing_areas: list[str] = []
    checklist: list[Item] = []
    current_status: LinkStatus = "open"


class ItemSpec(InputModel):
    attribute_id: str = Field(min_length=1, max_length=64)
    required: bool | None = Field(None, description="default: as the attribute is required")
    help: str = Field("", max_length=1000)


class ItemMarkChange(InputModel):
    state: Literal["accepted_na", "missing"]
    comment: str | None = Field(None, max_length=2000)


class NotApplicable(InputModel):
    comment: str = Field(min_length=1, max_length=2000)


class NewLink(InputModel):
    areas: list[str] = Field(default_factory=lambda: ["general"], max_length=50,
                             description='Upload areas: file attribute ids or "general"')
    attributes: list[str] = Field(default_factory=list, max_length=100,
                                  description="Attributes (customer or request scope) the customer fills in")
    items: list[ItemSpec] = Field(default_factory=list, max_length=150,
                                  description="Checklist items: areas or fields by attribute id, with `required` "
                                              "and `help` (added to `areas`/`attributes` by their kind)")
    template_id: str | None = Field(None, max_length=64, description="Make the link from this template: its "
                                    "items, message, due period and reminders (the body's own win)")
    due_at: AwareDatetime | None = Field(None, description="When the documents are due (not in the past)")
    reminders: ReminderPlan | None = None
    expires_in_days: int = Field(DEFAULT_EXPIRY_DAYS, ge=1, le=MAX_EXPIRY_DAYS)
    message: LongText = ""
    send_email: bool = False
