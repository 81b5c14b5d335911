"""What every HTML page the app serves (portal, registration, console, local outbox) sends beside its own
Content-Security-Policy: never cached or framed, no referrer, not indexed, its own browsing context."""

from __future__ import annotations

import urllib.parse
from typing import TypeAlias

#: The headers chalice's Response takes: a name and its value (or several values).
ResponseHeaders: TypeAlias = dict[str, str | list[str]]

PAGE_SECURITY_HEADERS: dict[str, str] = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "X-Robots-Tag": "noindex, nofollow",
    "Cross-Origin-Opener-Policy": "same-origin",
}


def csp_source(url: str) -> str:
    """A URL as a CSP source expression: no query, and no characters CSP would read as separators."""
    parts = urllib.parse.urlsplit(url)
    path = urllib.parse.quote(parts.path.rstrip("/"), safe="/-._~")
    return f"{parts.scheme}://{parts.netloc}{path}"
