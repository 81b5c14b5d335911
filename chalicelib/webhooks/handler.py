"""The two Lambda entry points of webhooks: the table's stream (changes become queued deliveries) and the
deliveries queue."""

from __future__ import annotations

from typing import Any

from chalicelib.webhooks.delivery import handle_deliveries

__all__ = ["handle_changes", "handle_deliveries"]


def handle_changes(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Every committed change the stream carries, as events queued for the endpoints that want them. An error
    fails the whole batch, which the stream hands over again (the repeated deliveries carry the same event
    ids, so receivers can drop them)."""
    from chalicelib.webhooks import service
    from chalicelib.webhooks.changes import events_of

    # A record the stream carries twice (or one change seen twice in a batch) is announced once.
    events = list({e.id: e for record in event.get("Records", []) for e in events_of(record)}.values())
    queued = service.announce(events) if events else 0
    return {"events": len(events), "queued": queued}
