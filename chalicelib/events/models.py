"""S3 object events as they arrive through SQS, parsed into typed records before any rule runs.

S3 delivers at least once; moto also sends a `s3:TestEvent` when notifications are configured, encodes
keys (`/` included, `+` for spaces) and emits two created events for a multipart upload.
"""

from __future__ import annotations

import json
import urllib.parse
from dataclasses import dataclass
from typing import Any


class MalformedEventError(ValueError):
    """The message is not an S3 event notification."""


@dataclass(frozen=True)
class ObjectEvent:
    kind: str  # "created" or "removed"
    name: str  # e.g. ObjectCreated:Post
    bucket: str
    key: str
    size: int | None
    etag: str | None
    sequencer: str | None


def parse_message(body: str) -> list[ObjectEvent]:
    """The object events in one SQS message body ([] for S3's test event)."""
    try:
        document: Any = json.loads(body)
    except ValueError as exc:
        raise MalformedEventError("the message is not JSON") from exc
    if not isinstance(document, dict):
        raise MalformedEventError("the message is not an object")
    if document.get("Event") == "s3:TestEvent":
        return []
    records = document.get("Records")
    if not isinstance(records, list):
        raise MalformedEventError("the message has no Records")
    events = []
    for record in records:
        try:
            name = str(record["eventName"])
            s3 = record["s3"]
            obj = s3["object"]
            events.append(ObjectEvent(
                kind="created" if name.startswith("ObjectCreated") else
                "removed" if name.startswith("ObjectRemoved") else "other",
                name=name,
                bucket=str(s3["bucket"]["name"]),
                key=urllib.parse.unquote_plus(str(obj["key"])),
                size=int(obj["size"]) if obj.get("size") is not None else None,
                etag=str(obj["eTag"]).strip('"') if obj.get("eTag") else None,
                sequencer=obj.get("sequencer"),
            ))
        except (KeyError, TypeError, ValueError) as exc:
            raise MalformedEventError(f"malformed S3 record: {exc}") from exc
    return events
