"""Checking a signature image: the one check in `chalicelib.signature_images`, shared with signature fields."""

from __future__ import annotations

from chalicelib.signature_images import SignatureImageError, SignatureTooLargeError, decode_png

__all__ = ["SignatureImageError", "SignatureTooLargeError", "decode_png"]
