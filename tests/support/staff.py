"""What staff do through the API in many tests: create customers and attributes, send links, read the history.
Each asserts the call succeeded, so a test reads as its story."""

from __future__ import annotations

from typing import Any

from tests.support import events


def create_customer(api: Any, name: str = "Erika Mustermann", **fields: Any) -> dict[str, Any]:
    reply = api.post("/customers", {"name": name, **fields})
    assert reply.status == 201, reply
    return reply.json


def define_attribute(api: Any, name: str, type_: str = "text", **fields: Any) -> dict[str, Any]:
    reply = api.post("/attributes", {"name": name, "type": type_, **fields})
    assert reply.status == 201, reply
    return reply.json


def link_token(api: Any, customer_id: str, **body: Any) -> str:
    """A new upload link's token (by default for the general area)."""
    reply = api.post(f"/customers/{customer_id}/links", body or {"areas": ["general"]})
    assert reply.status == 201, reply
    return reply.json["url"].rsplit("/p/", 1)[1]


def upload_file(api: Any, customer_id: str, content: bytes, filename: str = "beleg.pdf",
                content_type: str = "application/pdf", **fields: Any) -> dict[str, Any]:
    """Staff upload `content` for the customer: the upload form, then the browser's POST to S3 (the S3 event is
    left queued for the test to deliver); the form (its `file_id`, `fields`)."""
    reply = api.post(f"/customers/{customer_id}/files", {"filename": filename, "size": len(content),
                                                          "content_type": content_type, **fields})
    assert reply.status == 201, reply
    events.post_upload(reply.json, content, filename=filename)
    return reply.json


def activity(api: Any, customer_id: str) -> list[dict[str, Any]]:
    """The customer's history, newest first (up to 200 entries)."""
    reply = api.get(f"/customers/{customer_id}/activity?limit=200")
    assert reply.status == 200, reply
    return reply.json["items"]


def error_fields(reply: Any) -> list[str | None]:
    """The fields a 4xx error's details name, in order."""
    return [detail.get("field") for detail in reply.json["error"]["details"]]
