"""Safe file names: kept as data (never as a storage key), shown to staff and sent as downloads."""

from __future__ import annotations

import re
import unicodedata

MAX_FILENAME_CHARS = 200
_UNSAFE = re.compile(r'[\\/:*?"<>|]')


def sanitize(filename: str) -> str:
    """The name without directories, control and formatting characters (RTL overrides included),
    reserved characters and leading dots; at most MAX_FILENAME_CHARS characters, extension kept."""
    name = unicodedata.normalize("NFC", filename).replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(c for c in name if unicodedata.category(c)[0] != "C")
    name = _UNSAFE.sub("_", name).strip().lstrip(".").strip()
    if len(name) > MAX_FILENAME_CHARS:
        dot = name.rfind(".")
        suffix = name[dot:] if 0 < dot and len(name) - dot <= 10 else ""
        name = name[: MAX_FILENAME_CHARS - len(suffix)] + suffix
    return name or "file"
