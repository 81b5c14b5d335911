"""Upload links: capability URLs that let one customer upload into chosen areas and fill in chosen fields."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from chalicelib.fields import LongText
from chalicelib.models import InputModel

LinkState = Literal["active", "expired", "revoked"]
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

    def state(self, now: str) -> LinkState:
        if self.revoked_at:
            return "revoked"
        return "expired" if self.expires_at <= now else "active"


class LinkView(Link):
    """A link as staff see it: with the required areas it asks for that have no file yet."""

    missing_areas: list[str] = []


class NewLink(InputModel):
    areas: list[str] = Field(default_factory=lambda: ["general"], max_length=50,
                             description='Upload areas: file attribute ids or "general"')
    attributes: list[str] = Field(default_factory=list, max_length=100,
                                  description="Attributes (customer or request scope) the customer fills in")
    expires_in_days: int = Field(DEFAULT_EXPIRY_DAYS, ge=1, le=MAX_EXPIRY_DAYS)
    message: LongText = ""
    send_email: bool = False
