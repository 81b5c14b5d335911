"""Committed changes, read from the table's DynamoDB stream, as webhook events.

The outbox is the table itself: every change a customer can see is written together with its activity
entry in one transaction, and the stream carries exactly what was committed (a cancelled transaction
writes nothing, so it announces nothing). An event comes from
- an inserted activity entry (`customer_created`, `status_changed`, `file_received`, ...), or
- a transition of an item that has no activity entry of its own: a customer flagged for deletion
  (`closing` set to `delete`, from that moment it is gone for every request), a link's first submission
  (`submitted_at` set), an export that became `done`.
Event ids derive from the item and the transition, so a stream record delivered twice yields the same id
(`webhook-id`), and receivers can drop the copy.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from chalicelib.webhooks.models import WebhookEvent
from chalicelib.webhooks.repository import stored_change

#: Activity kind -> event type. Kinds not named here (links created or sent, files sent or deleted) are
#: not announced.
ACTIVITY_EVENTS: dict[str, str] = {
    "customer_created": "customer.created",
    "customer_updated": "customer.updated",
    "groups_changed": "customer.updated",
    "attributes_changed": "customer.updated",
    "portal_attributes_submitted": "customer.updated",
    "customer_merged": "customer.updated",
    "status_changed": "customer.status_changed",
    "file_received": "file.received",
    "file_reviewed": "file.reviewed",
    "file_rejected": "file.rejected",
}


def events_of(record: Mapping[str, Any]) -> list[WebhookEvent]:
    """The events one stream record announces (most announce none)."""
    change = stored_change(record)
    if change is None:
        return []
    new, old, account_id = change.new, change.old, change.account_id
    if change.entity == "activity" and change.write == "INSERT":
        event_type = ACTIVITY_EVENTS.get(str(new.get("kind")))
        if event_type is None:
            return []
        data = {**(new.get("data") or {}), "customer_id": new["customer_id"], "actor": new.get("actor"),
                "activity": new.get("kind")}
        return [WebhookEvent(id=f"evt_{new['id']}", account_id=account_id, type=event_type,
                             timestamp=str(new["at"]), data=data)]
    if change.write != "MODIFY":
        return []
    if change.entity == "customer" and new.get("closing") == "delete" and old.get("closing") != "delete":
        return [WebhookEvent(id=f"evt_{new['id']}_deleted", account_id=account_id, type="customer.deleted",
                             timestamp=change.approximate_time,
                             data={"customer_id": new["id"], "number": new.get("number")})]
    if change.entity == "link" and new.get("submitted_at") and not old.get("submitted_at"):
        return [WebhookEvent(id=f"evt_{new['id']}_completed", account_id=account_id, type="link.completed",
                             timestamp=str(new["submitted_at"]),
                             data={"link_id": new["id"], "customer_id": new.get("customer_id")})]
    if change.entity == "export" and new.get("status") == "done" and old.get("status") != "done":
        return [WebhookEvent(id=f"evt_{new['id']}_done", account_id=account_id, type="export.done",
                             timestamp=str(new.get("finished_at") or change.approximate_time),
                             data={"export_id": new["id"], **{name: new.get(name) for name in
                                                              ("format", "trigger", "rows", "size", "customer_id")
                                                              if new.get(name) is not None}})]
    return []
