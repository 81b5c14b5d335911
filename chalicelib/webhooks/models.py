"""Webhook endpoints, the events they receive and the record of each delivery attempt."""

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

EventType = Literal[
    "customer.created",
    "customer.updated",
    "customer.deleted",
    "customer.status_changed",
    "file.received",
    "file.reviewed",
    "file.rejected",
    "link.completed",
    "export.done",
]
#: Sent only by `POST /webhooks/{id}/test`, whatever the endpoint subscribed to.
PING = "ping"
MAX_ENDPOINTS = 10


class Endpoint(BaseModel):
    """An endpoint as stored. `secret` never leaves the service after the endpoint is created."""

    model_config = ConfigDict(defer_build=True)

    id: str
    url: str
    events: list[EventType]
    enabled: bool = True
    secret: str
    #: When the current run of failed deliveries began (None while deliveries succeed).
    failing_since: str | None = None
    #: Why the endpoint was switched off by Dossier (`failing`), None if enabled or switched off by staff.
    disabled_reason: str | None = None
    created_at: str
    updated_at: str


class WebhookEvent(BaseModel):
    """One event as announced: `id` is stable (the same change always yields the same id, so receivers can
    drop the copies at-least-once delivery brings)."""

    model_config = ConfigDict(defer_build=True)

    id: str
    account_id: str
    type: str
    timestamp: str
    data: dict[str, Any]

    def body(self) -> str:
        """The signed body: `{type, timestamp, data}`."""
        import json

        return json.dumps({"type": self.type, "timestamp": self.timestamp, "data": self.data},
                          separators=(",", ":"), ensure_ascii=False, default=str)


class DeliveryAttempt(BaseModel):
    model_config = ConfigDict(defer_build=True)

    id: str
    event_id: str
    event: str
    at: str
    attempt: int
    status_code: int | None = None
    ok: bool
    #: Why no answer came (refused address, timeout, connection error), None if the receiver answered.
    error: str | None = None
    duration_ms: int = 0


class DeliveryMessage(BaseModel):
    """What the deliveries queue carries: one event for one endpoint, with the body already fixed, so every
    attempt signs and sends the same bytes."""

    model_config = ConfigDict(defer_build=True)

    account_id: str
    endpoint_id: str
    event_id: str
    event: str
    timestamp: str
    body: str
