"""Audit log entries: one per staff action, download, export, sign-in and permission change."""

from pydantic import BaseModel, ConfigDict

#: Actions recorded outside the routes' own names (a state-changing route's action is its operation's name).
SIGN_IN = "sign_in"
PORTAL_SIGN_IN = "portal_sign_in"


class AuditEntry(BaseModel):
    """What happened, as stored (without keys). `actor` is the staff user's id (the token's subject), or
    `customer:{id}` for a customer in the portal; `target` is the path of what was acted on, ids filled in."""

    model_config = ConfigDict(defer_build=True)

    id: str
    at: str
    actor: str
    action: str
    target: str
    ip: str | None = None
    customer_id: str | None = None


class AuditFilter(BaseModel):
    """Which entries a list or export wants; every field narrows it, none means all."""

    model_config = ConfigDict(defer_build=True)

    actor: str | None = None
    action: str | None = None
    customer_id: str | None = None
    #: Inclusive bounds, ISO 8601 (a date or a full time; `to` as a date includes that whole day).
    since: str | None = None
    until: str | None = None
