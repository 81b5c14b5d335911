"""The activity history of a customer: every change, with who made it and when."""

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

ActivityType = Literal[
    "customer_created",
    "customer_updated",
    "status_changed",
    "groups_changed",
    "attributes_changed",
    "customer_merged",
    "link_created",
    "link_sent",
    "link_revoked",
    "file_received",
    "file_sent",
    "file_rejected",
    "file_reviewed",
    "file_replaced",
    "file_deleted",
    "portal_attributes_submitted",
    "item_not_applicable",
    "item_not_applicable_undone",
    "item_reviewed",
    "clarification_mailed",
    "clarification_mail_not_sent",
    "reminder_sent",
    "reminder_not_sent",
    "portal_access_created",
    "portal_access_revoked",
    "portal_sign_in_link_sent",
    "portal_signed_in",
    "portal_signed_out",
    "portal_switched",
    "message_sent",
    "messages_mailed",
    "messages_mail_not_sent",
    "approval_requested",
    "approval_decided",
]

#: Who acted: `staff:<user id>`, `customer` (through a link or the portal) or `system` (the event pipeline, jobs).
SYSTEM = "system"
CUSTOMER = "customer"


def staff_actor(user_id: str) -> str:
    return f"staff:{user_id}"


class Activity(BaseModel):
    model_config = ConfigDict(defer_build=True)

    id: str
    customer_id: str
    at: str
    type: ActivityType
    actor: str
    data: dict[str, Any] = {}
