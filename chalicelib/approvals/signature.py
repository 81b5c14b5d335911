"""Checking a signature image: base64 of a real PNG within the size limits. Only the signature, the header
chunk and its checksum are read (no image library at cold start: the pixels are never needed)."""

from __future__ import annotations

import base64
import binascii
import struct
import zlib

from chalicelib import errors
from chalicelib.approvals.models import MAX_SIGNATURE_BYTES, MAX_SIGNATURE_SIDE

_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


class SignatureImageError(errors.InvalidInputError):
    code = "invalid_signature"


class SignatureTooLargeError(SignatureImageError):
    code = "signature_too_large"


def decode_png(encoded: str, field: str = "signature_png") -> bytes:
    """The PNG's bytes; SignatureImageError when it is not a PNG, SignatureTooLargeError when too big."""
    if encoded.startswith("data:image/png;base64,"):
        encoded = encoded[len("data:image/png;base64,"):]
    try:
        data = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        raise SignatureImageError(f"{field}: not base64", [{"field": field, "message": "not base64"}]) from None
    if len(data) > MAX_SIGNATURE_BYTES:
        raise SignatureTooLargeError(f"{field}: larger than {MAX_SIGNATURE_BYTES // 1024} KB",
                                     [{"field": field, "message": "too large"}])
    # The header chunk follows the signature: length 13, "IHDR", width, height, ..., CRC over type and data.
    if len(data) < 33 or not data.startswith(_PNG_SIGNATURE) or data[12:16] != b"IHDR":
        raise SignatureImageError(f"{field}: not a PNG image", [{"field": field, "message": "not a PNG image"}])
    (length,) = struct.unpack(">I", data[8:12])
    width, height = struct.unpack(">II", data[16:24])
    (crc,) = struct.unpack(">I", data[29:33])
    if length != 13 or zlib.crc32(data[12:29]) != crc or not width or not height:
        raise SignatureImageError(f"{field}: not a PNG image", [{"field": field, "message": "not a PNG image"}])
    if width > MAX_SIGNATURE_SIDE or height > MAX_SIGNATURE_SIDE:
        raise SignatureTooLargeError(f"{field}: larger than {MAX_SIGNATURE_SIDE} px a side",
                                     [{"field": field, "message": "too large"}])
    return data
