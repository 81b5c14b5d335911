"""S3 removal events moto does not send for a versioned bucket (moto 5.2.5), applied wherever moto plays AWS.

On AWS, deleting an object of a versioned bucket sends `s3:ObjectRemoved:DeleteMarkerCreated`, and deleting
one version for good sends `s3:ObjectRemoved:Delete`, even while other versions remain. moto sends nothing
for the first and, for the second, only once the key's last version is gone, so the uploads pipeline (which
learns of deletions from these events) would never hear of them. The events moto does send are unchanged.
"""

from __future__ import annotations

from typing import Any

_applied = False
#: sha256 of the moto functions the patch wraps or calls (moto 5.2.5), checked by tests/infra/test_moto_pins.py.
PINNED_SOURCES = {
    "moto.s3.models.S3Backend.delete_object": "8ff67c58d488376285b8d545b47261fc48c81f101e20af1207659c668cf08bab",
    "moto.s3.notifications.send_event": "6130200e5bd5636f272798bd3bdf860374834902a52c52081638c436269b9f70",
}


def apply() -> None:
    """Patch moto's S3 backend in this process (idempotent)."""
    global _applied
    if _applied:
        return
    from moto.s3 import notifications
    from moto.s3.models import FakeKey, S3Backend

    original = S3Backend.delete_object

    def delete_object(self: Any, bucket_name: str, key_name: str, version_id: str | None = None,
                      bypass: bool = False) -> Any:
        bucket = self.get_bucket(bucket_name)
        versioned = getattr(bucket, "is_versioned", False)
        current = bucket.keys.get(key_name) if versioned else None
        remaining_before = len(bucket.keys.getlist(key_name)) if versioned and key_name in bucket.keys else 0
        result = original(self, bucket_name, key_name, version_id=version_id, bypass=bypass)
        if not versioned or not isinstance(current, FakeKey) or not result[0]:
            # (A key whose current version is a delete marker: AWS sends another DeleteMarkerCreated with no
            # object to describe; nothing here cares, so moto's silence stays.)
            return result
        if version_id is None:
            kind = notifications.S3NotificationEvent.OBJECT_REMOVED_DELETE_MARKER_CREATED_EVENT
        elif key_name in bucket.keys and len(bucket.keys.getlist(key_name)) < remaining_before:
            kind = notifications.S3NotificationEvent.OBJECT_REMOVED_DELETE_EVENT  # moto sent none: versions remain
        else:
            return result
        notifications.send_event(self.account_id, kind, bucket, current)
        return result

    S3Backend.delete_object = delete_object  # type: ignore[method-assign]
    _applied = True
