"""Sample events stored as JSON under tests/events/."""

from __future__ import annotations

from pathlib import Path

EVENTS = Path(__file__).resolve().parents[1] / "events"


def event_body(name: str) -> str:
    return (EVENTS / f"{name}.json").read_text()


def png_image(width: int = 120, height: int = 40, padding: int = 0) -> bytes:
    """A real (blank, grey) PNG of the given size, as a drawn signature; `padding` bytes of an ancillary chunk
    make it larger."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    raw = b"".join(b"\x00" + b"\x80" * width for _ in range(height))
    extra = chunk(b"tEXt", b"c\x00" + b"x" * padding) if padding else b""
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)) + extra
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def png_base64(image: bytes | None = None) -> str:
    """A PNG as the pages send it: a data: URL of its base64."""
    import base64

    return "data:image/png;base64," + base64.b64encode(image if image is not None else png_image()).decode()
