"""What the upload page does for a customer in many tests: ask the link for an upload form, then POST the file to
S3 (the S3 event is left queued for the test to deliver)."""

from __future__ import annotations

from typing import Any

from tests.support import events


def presign(anonymous: Any, token: str, size: int, area: str = "general", content_type: str = "application/pdf",
            filename: str = "beleg.pdf") -> Any:
    """Ask the link for an upload form: the reply as it came."""
    return anonymous.post(f"/p/{token}/uploads", {"filename": filename, "size": size, "content_type": content_type,
                                                  "area": area})


def presigned(anonymous: Any, token: str, size: int, **kwargs: Any) -> dict[str, Any]:
    """An upload form for `size` bytes (the request must succeed)."""
    reply = presign(anonymous, token, size, **kwargs)
    assert reply.status == 201, reply
    return reply.json


def upload(anonymous: Any, token: str, content: bytes, **kwargs: Any) -> dict[str, Any]:
    """A form for exactly `content`, then the browser's POST to S3; the form (its `file_id`, `fields`)."""
    form = presigned(anonymous, token, len(content), **kwargs)
    events.post_upload(form, content)
    return form
