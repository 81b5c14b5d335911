"""The rules of webhook endpoints: who may receive what, and turning events into queued deliveries."""

from __future__ import annotations

import base64
import secrets
from collections import defaultdict
from collections.abc import Sequence

from chalicelib import clock, errors, ids
from chalicelib.settings import get_settings
from chalicelib.webhooks import queue, ssrf
from chalicelib.webhooks.models import (
    MAX_ENDPOINTS,
    PING,
    DeliveryAttempt,
    DeliveryMessage,
    Endpoint,
    EventType,
    WebhookEvent,
)
from chalicelib.webhooks.repository import EndpointChangedError, WebhookRepository


def new_secret() -> str:
    """A Standard Webhooks secret: `whsec_` and 32 random bytes in base64."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


def _checked_url(url: str) -> str:
    try:
        ssrf.check(url, get_settings().stage)
    except ssrf.UnsafeUrlError as exc:
        raise errors.InvalidInputError.for_field("url", exc.reason) from exc
    return url


def _endpoint(account_id: str, endpoint_id: str, repository: WebhookRepository) -> Endpoint:
    endpoint = repository.get(account_id, endpoint_id) if ids.is_id(endpoint_id) else None
    if endpoint is None:
        raise errors.NotFoundError("There is no such webhook.")
    return endpoint


def create_endpoint(account_id: str, url: str, events: list[EventType], enabled: bool) -> Endpoint:
    """The new endpoint, with its secret (the only time the secret is shown)."""
    repository = WebhookRepository()
    if len(repository.list(account_id)) >= MAX_ENDPOINTS:
        raise errors.ConflictError(f"An account may have at most {MAX_ENDPOINTS} webhooks.")
    now = clock.now_iso()
    endpoint = Endpoint(id=ids.new_id(), url=_checked_url(url), events=sorted(set(events)), enabled=enabled,
                        secret=new_secret(), created_at=now, updated_at=now)
    repository.create(account_id, endpoint)
    return endpoint


def list_endpoints(account_id: str) -> list[Endpoint]:
    return WebhookRepository().list(account_id)


def get_endpoint(account_id: str, endpoint_id: str) -> Endpoint:
    return _endpoint(account_id, endpoint_id, WebhookRepository())


def update_endpoint(account_id: str, endpoint_id: str, url: str | None, events: list[EventType] | None,
                    enabled: bool | None) -> Endpoint:
    repository = WebhookRepository()
    current = _endpoint(account_id, endpoint_id, repository)
    changes: dict[str, object] = {"updated_at": clock.now_iso()}
    if url is not None and url != current.url:
        changes["url"] = _checked_url(url)
    if events is not None:
        changes["events"] = sorted(set(events))
    if enabled is not None:
        changes["enabled"] = enabled
        if enabled:
            # Switched on again by staff: a new chance, the old run of failures is forgotten.
            changes["failing_since"] = None
            changes["disabled_reason"] = None
    changed = current.model_copy(update=changes)
    try:
        repository.replace(account_id, changed, seen_updated_at=current.updated_at)
    except EndpointChangedError as exc:
        _endpoint(account_id, endpoint_id, repository)
        raise errors.ConflictError("The webhook was changed meanwhile; try again.") from exc
    return changed


def delete_endpoint(account_id: str, endpoint_id: str) -> None:
    """Deliveries already queued for it are dropped when their turn comes."""
    repository = WebhookRepository()
    _endpoint(account_id, endpoint_id, repository)
    repository.delete(account_id, endpoint_id)


def send_test(account_id: str, endpoint_id: str) -> WebhookEvent:
    """Queue a `ping` to the endpoint through the same path as every event (enabled or not)."""
    endpoint = _endpoint(account_id, endpoint_id, WebhookRepository())
    event = WebhookEvent(id=f"evt_{ids.new_id()}", account_id=account_id, type=PING, timestamp=clock.now_iso(),
                         data={"webhook_id": endpoint.id})
    queue.send([_message(event, endpoint)])
    return event


def list_deliveries(account_id: str, endpoint_id: str, limit: int, cursor: str | None
                    ) -> tuple[list[DeliveryAttempt], str | None]:
    repository = WebhookRepository()
    _endpoint(account_id, endpoint_id, repository)
    return repository.attempts(account_id, endpoint_id, limit, cursor)


def _message(event: WebhookEvent, endpoint: Endpoint) -> DeliveryMessage:
    return DeliveryMessage(account_id=event.account_id, endpoint_id=endpoint.id, event_id=event.id, event=event.type,
                           timestamp=event.timestamp, body=event.body())


def announce(events: Sequence[WebhookEvent]) -> int:
    """Queue one delivery per event and enabled endpoint of its account that subscribed to its type; the
    number queued. Reads each account's endpoints once."""
    by_account: dict[str, list[WebhookEvent]] = defaultdict(list)
    for event in events:
        by_account[event.account_id].append(event)
    repository = WebhookRepository()
    messages = []
    for account_id, account_events in by_account.items():
        endpoints = [e for e in repository.list(account_id) if e.enabled]
        for event in account_events:
            messages += [_message(event, endpoint) for endpoint in endpoints if event.type in endpoint.events]
    if messages:
        queue.send(messages)
    return len(messages)
