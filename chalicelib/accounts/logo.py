"""The account's logo, shown on the customer portal.

Two steps, so the portal never shows a logo that was not uploaded or that breaks the limits:

1. `presign_logo` checks the declared file (PNG, JPEG, WebP or GIF, at most 1 MB) and returns a presigned
   POST under `branding/{account}/logo-{id}`, pinning the key, the type and the size.
2. `use_logo` checks what S3 really stored (size, type, and that the first bytes are an image of that
   type; moto does not enforce POST policies, and a policy says nothing about the bytes), then points the
   branding at it and deletes every other object under the account's branding prefix (the previous logo,
   abandoned uploads). An object that fails a check is deleted and the logo stays as it was.

Branding objects are outside `files/`, so no S3 event is involved and they are not counted in the
account's `used_bytes` (one small image per account).
"""

from __future__ import annotations

import datetime
from typing import NamedTuple

from chalicelib import clock, content_types, errors, ids
from chalicelib.accounts.models import Account
from chalicelib.accounts.repository import AccountRepository
from chalicelib.accounts.service import get_account
from chalicelib.auth.tokens import Principal
from chalicelib.settings import get_settings
from chalicelib.storage import objects
from chalicelib.storage.dynamo import ConditionFailedError

MAX_LOGO_BYTES = 1_048_576

#: How each logo type's files begin.
_SIGNATURES: dict[str, tuple[tuple[int, bytes], ...]] = {
    "image/png": ((0, b"\x89PNG\r\n\x1a\n"),),
    "image/jpeg": ((0, b"\xff\xd8\xff"),),
    "image/gif": ((0, b"GIF8"),),
    "image/webp": ((0, b"RIFF"), (8, b"WEBP")),
}
_SIGNATURE_BYTES = 12


class PresignedLogo(NamedTuple):
    logo_id: str
    url: str
    fields: dict[str, str]
    expires_at: str


def branding_prefix(account_id: str) -> str:
    return f"branding/{account_id}/"


def logo_key(account_id: str, logo_id: str) -> str:
    """Made by the server from a fresh id, never from the file name."""
    return f"{branding_prefix(account_id)}logo-{logo_id}"


def logo_url(account: Account) -> str | None:
    """A short-lived GET of the account's logo (None without one)."""
    key = account.branding.logo_key
    if not key:
        return None
    settings = get_settings()
    return objects.presigned_get(settings.uploads_bucket, key, settings.download_url_ttl_seconds)


def _check_type(content_type: str, field: str) -> None:
    if content_type not in content_types.LOGO_TYPES:
        raise errors.UnsupportedTypeError("A logo must be a PNG, JPEG, WebP or GIF image.", [{"field": field}])


def _check_size(size: int) -> None:
    if size > MAX_LOGO_BYTES:
        raise errors.FileTooLargeError(
            f"The logo has {size:,} bytes; at most {MAX_LOGO_BYTES:,} (1 MB) are allowed.",
            [{"field": "size", "max_file_bytes": MAX_LOGO_BYTES}],
        )


def presign_logo(principal: Principal, filename: str, size: int, content_type: str) -> PresignedLogo:
    get_account(principal)
    content_type = content_type.lower()
    _check_size(size)
    _check_type(content_type, "content_type")
    if not content_types.agrees(content_type, filename, content_types.LOGO_TYPES):
        raise errors.UnsupportedTypeError(f"The name '{filename}' does not fit the type {content_type}.",
                                          [{"field": "filename"}])
    settings = get_settings()
    logo_id = ids.new_id()
    expires_at = clock.iso(clock.now() + datetime.timedelta(seconds=settings.upload_url_ttl_seconds))
    post = objects.presigned_post(settings.uploads_bucket, logo_key(principal.account_id, logo_id), content_type,
                                  size, settings.upload_url_ttl_seconds)
    return PresignedLogo(logo_id=logo_id, url=post["url"], fields=post["fields"], expires_at=expires_at)


def _looks_like(content_type: str, head: bytes) -> bool:
    return all(head[offset:offset + len(magic)] == magic for offset, magic in _SIGNATURES[content_type])


def use_logo(principal: Principal, logo_id: str) -> Account:
    """Show the uploaded logo `logo_id` on the portal, once it passed every check."""
    get_account(principal)
    if not ids.is_id(logo_id):
        raise errors.InvalidInputError.for_field("logo_id", "not a logo id from POST /account/logo")
    bucket = get_settings().uploads_bucket
    key = logo_key(principal.account_id, logo_id)
    try:
        stored = objects.head(bucket, key)
        size = int(stored.get("ContentLength", 0))
        content_type = str(stored.get("ContentType", "")).lower()
        head = objects.first_bytes(bucket, key, _SIGNATURE_BYTES) if size else b""
    except objects.ObjectMissingError as exc:
        raise errors.InvalidInputError.for_field(
            "logo_id", "nothing was uploaded for this logo id (or it was replaced meanwhile)") from exc
    try:
        _check_size(size)
        _check_type(content_type, "logo_id")
        if not _looks_like(content_type, head):
            raise errors.UnsupportedTypeError(f"The uploaded file is not a {content_type} image.",
                                              [{"field": "logo_id"}])
    except errors.DossierError:
        objects.delete(bucket, key)
        raise
    try:
        account = AccountRepository().set_logo_key(principal.account_id, key, clock.now_iso())
    except ConditionFailedError as exc:
        raise errors.NotFoundError("This account does not exist.") from exc
    _delete_branding_objects(principal.account_id, keep=key)
    return account


def remove_logo(principal: Principal) -> None:
    """The portal shows no logo any more; the objects go too. Idempotent."""
    get_account(principal)
    try:
        AccountRepository().set_logo_key(principal.account_id, None, clock.now_iso())
    except ConditionFailedError as exc:
        raise errors.NotFoundError("This account does not exist.") from exc
    _delete_branding_objects(principal.account_id, keep=None)


def _delete_branding_objects(account_id: str, keep: str | None) -> None:
    bucket = get_settings().uploads_bucket
    for key in objects.keys_under(bucket, branding_prefix(account_id)):
        if key != keep:
            objects.delete(bucket, key)
