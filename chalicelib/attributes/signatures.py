"""Images of signature fields: kept in the uploads bucket under the customer who drew them, next to approvals'
signatures (`chalicelib.signature_images`); a value holds only a reference to its image.

A reference: `{"signature_id", "customer_id", "signed_at", "sha256", "size"}`. `customer_id` is the customer
the image was drawn for: a merge moves values to another customer, and the image stays where it is.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, NamedTuple

from chalicelib import clock, ids
from chalicelib.settings import get_settings
from chalicelib.signature_images import signature_key, signature_prefix
from chalicelib.storage import objects


@dataclass(frozen=True)
class NewSignature:
    """A checked image not stored yet."""

    png: bytes


class SignatureOwner(NamedTuple):
    """Whose values a signature is written into: its image is kept under this customer."""

    account_id: str
    customer_id: str


def is_reference(value: Any) -> bool:
    return (isinstance(value, dict) and ids.is_id(str(value.get("signature_id", "")))
            and ids.is_id(str(value.get("customer_id", ""))))


def _image_key(account_id: str, reference: Mapping[str, Any]) -> str:
    return signature_key(account_id, reference["customer_id"], f"field-{reference['signature_id']}")


def image_key(account_id: str, reference: Any) -> str | None:
    """Where the image a reference names is kept; None for anything but a reference."""
    return _image_key(account_id, reference) if is_reference(reference) else None


def store_new(owner: SignatureOwner, signature: NewSignature) -> dict[str, Any]:
    """Store the image under a name of its own (never overwriting an earlier signature); its reference."""
    reference = {"signature_id": ids.new_id(), "customer_id": owner.customer_id, "signed_at": clock.now_iso(),
                 "sha256": hashlib.sha256(signature.png).hexdigest(), "size": len(signature.png)}
    objects.put(get_settings().uploads_bucket, _image_key(owner.account_id, reference), signature.png, "image/png")
    return reference


def download_url(account_id: str, reference: Any) -> str | None:
    """A short-lived GET of the image (PNG); None for anything but a reference."""
    if not is_reference(reference):
        return None
    settings = get_settings()
    return objects.presigned_get(settings.uploads_bucket, _image_key(account_id, reference),
                                 settings.download_url_ttl_seconds)


def image(account_id: str, reference: Any) -> bytes | None:
    """The image's bytes; None when it is gone or `reference` is none."""
    if not is_reference(reference):
        return None
    try:
        return objects.get(get_settings().uploads_bucket, _image_key(account_id, reference))
    except objects.ObjectMissingError:
        return None


def image_keys(account_id: str, values: Iterable[Any]) -> list[str]:
    """Where the images of the references among `values` are kept."""
    return [_image_key(account_id, value) for value in values if is_reference(value)]


def delete_images(account_id: str, values: Iterable[Any]) -> None:
    """Delete the images the references among `values` name (idempotent)."""
    bucket = get_settings().uploads_bucket
    for key in image_keys(account_id, values):
        objects.delete(bucket, key)


def delete_unreferenced_images(account_id: str, drawn_for: str, kept_values: Iterable[Any]) -> None:
    """Delete the field images drawn for `drawn_for` that no reference among `kept_values` names: after a merge
    the source's prefix is never deleted with a customer, so what the merged values do not keep goes now.
    Approvals' images under the same prefix are not field images and stay (each approval names its own)."""
    bucket = get_settings().uploads_bucket
    kept = set(image_keys(account_id, kept_values))
    field_images = signature_prefix(account_id, drawn_for) + "field-"
    for key in objects.keys_under(bucket, field_images):
        if key not in kept:
            objects.delete(bucket, key)
