"""Drawn signatures, shared by approvals and signature fields: checking the image (base64 of a real PNG within
the size limits) and where images are kept. Only the PNG signature, the header chunk and its checksum are read
(no image library at cold start: the pixels are never needed)."""

from __future__ import annotations

import base64
import binascii
import struct
import zlib

from chalicelib import errors

#: A signature image is a PNG of at most this many bytes and pixels per side.
#: (150 KB keeps its base64 within the API's 256 KB request body, which answers 413 beyond that.)
MAX_SIGNATURE_BYTES = 150 * 1024
MAX_SIGNATURE_SIDE = 2000
#: The longest base64 text a signature image can take, with a `data:image/png;base64,` prefix.
MAX_SIGNATURE_BASE64 = 262_144

_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_DATA_URL = "data:image/png;base64,"


class SignatureImageError(errors.InvalidInputError):
    code = "invalid_signature"


class SignatureTooLargeError(SignatureImageError):
    code = "signature_too_large"


def signature_prefix(account_id: str, customer_id: str) -> str:
    """Where the signature images drawn by one customer are kept (uploads bucket, outside `files/`, so that the
    upload pipeline never takes one for an upload; deleting the customer deletes everything under it)."""
    return f"signatures/{account_id}/{customer_id}/"


def signature_key(account_id: str, customer_id: str, name: str) -> str:
    return f"{signature_prefix(account_id, customer_id)}{name}.png"


def decode_png(encoded: str, field: str = "signature_png") -> bytes:
    """The PNG's bytes; SignatureImageError when it is not a PNG, SignatureTooLargeError when too big."""
    def refuse(error: type[SignatureImageError], message: str) -> SignatureImageError:
        return error(f"{field}: {message}", [{"field": field, "message": message, "code": error.code}])

    if encoded.startswith(_DATA_URL):
        encoded = encoded[len(_DATA_URL):]
    try:
        data = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        raise refuse(SignatureImageError, "not base64") from None
    if len(data) > MAX_SIGNATURE_BYTES:
        raise refuse(SignatureTooLargeError, f"larger than {MAX_SIGNATURE_BYTES // 1024} KB")
    # The header chunk follows the signature: length 13, "IHDR", width, height, ..., CRC over type and data.
    if len(data) < 33 or not data.startswith(_PNG_SIGNATURE) or data[12:16] != b"IHDR":
        raise refuse(SignatureImageError, "not a PNG image")
    (length,) = struct.unpack(">I", data[8:12])
    width, height = struct.unpack(">II", data[16:24])
    (crc,) = struct.unpack(">I", data[29:33])
    if length != 13 or zlib.crc32(data[12:29]) != crc or not width or not height:
        raise refuse(SignatureImageError, "not a PNG image")
    if width > MAX_SIGNATURE_SIDE or height > MAX_SIGNATURE_SIDE:
        raise refuse(SignatureTooLargeError, f"larger than {MAX_SIGNATURE_SIDE} px a side")
    return data
