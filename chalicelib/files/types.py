"""Which files customers may upload: the table and its check live in the shared kernel
(chalicelib/content_types.py), where the account's logo check uses them too; this name stays for the files
domain's callers until they import that module."""

from __future__ import annotations

from chalicelib.content_types import ALLOWED_TYPES, LOGO_TYPES, agrees, extension

__all__ = ["ALLOWED_TYPES", "LOGO_TYPES", "agrees", "extension"]
