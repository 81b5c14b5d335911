"""The staff console as HTTP responses: the HTML shell, its scripts and style sheets, its sign-in settings, and
the headers that keep it private.

Everything lives in `static/` next to this module (the vendored library in `static/vendor/`), is read on first
use and kept for the process. Scripts are ES modules that import each other by relative URL, so every asset
is revalidated (`no-cache` with an ETag) rather than versioned in its URL. Every URL in the shell is relative,
so the console also works under an API Gateway stage prefix (`/api/app/`).
"""

from __future__ import annotations

import functools
import hashlib
from pathlib import Path
from typing import NamedTuple

from chalice import Response

from chalicelib.api.pages import PAGE_SECURITY_HEADERS, ResponseHeaders, csp_source
from chalicelib.settings import get_settings
from chalicelib.storage import objects

STATIC_DIR = Path(__file__).resolve().parent / "static"

_TYPES = {".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8"}
#: The files the console may serve, by the name in their URL; nothing else under static/ is reachable.
ASSETS = {
    "preact-htm.module.js": "vendor/preact-htm.module.js",
    "tokens.css": "tokens.css",
    "console.css": "console.css",
    "app.js": "app.js",
    "api.js": "api.js",
    "auth.js": "auth.js",
    "i18n.js": "i18n.js",
    "ui.js": "ui.js",
    "customers.js": "customers.js",
    "customer.js": "customer.js",
    "review.js": "review.js",
    "settings.js": "settings.js",
    "webhooks.js": "webhooks.js",
    "customer-portal.js": "customer-portal.js",
    "templates.js": "templates.js",
    "bulk.js": "bulk.js",
    "team.js": "team.js",
    "audit.js": "audit.js",
    "permissions.js": "permissions.js",
    "approvals.js": "approvals.js",
}
HTML_TYPE = "text/html; charset=utf-8"


class Asset(NamedTuple):
    body: bytes
    etag: str


@functools.cache
def asset(name: str) -> Asset:
    body = (STATIC_DIR / ASSETS.get(name, name)).read_bytes()
    return Asset(body=body, etag='"' + hashlib.sha256(body).hexdigest()[:20] + '"')


def asset_response(name: str, if_none_match: str | None) -> Response | None:
    """The asset, or 304 when the browser's copy is current; None for a name that is not an asset."""
    if name not in ASSETS:
        return None
    found = asset(name)
    headers: ResponseHeaders = {"Content-Type": _TYPES[Path(name).suffix], "Cache-Control": "no-cache",
                                "ETag": found.etag, "X-Content-Type-Options": "nosniff"}
    if if_none_match and found.etag in if_none_match:
        return Response(body="", status_code=304, headers=headers)
    return Response(body=found.body, status_code=200, headers=headers)


def content_security_policy() -> str:
    """Only the app, plus the uploads bucket (staff uploads and logo uploads go there; previews come from
    there through blob URLs) and, on AWS, the identity provider's token endpoint."""
    settings = get_settings()
    bucket = csp_source(objects.bucket_url(settings.uploads_bucket))
    connect = ["'self'", bucket, bucket + "/"]
    if settings.oidc_domain:
        connect.append(csp_source(settings.oidc_domain))
    return "; ".join([
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        f"img-src 'self' data: blob: {bucket}/",
        f"connect-src {' '.join(connect)}",
        "frame-src blob:",
        "object-src 'none'",
        "form-action 'self'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
    ])


def shell_response() -> Response:
    body = (STATIC_DIR / "index.html").read_text(encoding="utf-8")
    for name in ("tokens.css", "console.css", "app.js"):
        body = body.replace("{" + name + "}", f"assets/{name}?v={asset(name).etag.strip(chr(34))[:12]}")
    return Response(body=body, status_code=200, headers={
        "Content-Type": HTML_TYPE,
        "Content-Security-Policy": content_security_policy(),
        **PAGE_SECURITY_HEADERS,
    })


def sign_in_settings() -> dict[str, str | None]:
    """What the console needs to sign in: `local` (the one-time URL `make run` prints, or a pasted token), or
    `oidc` with the identity provider's endpoints (Cognito's hosted UI under `DOSSIER_OIDC_DOMAIN`)."""
    settings = get_settings()
    if not settings.oidc_domain:
        return {"mode": "local", "issuer": None, "authorization_endpoint": None, "token_endpoint": None,
                "end_session_endpoint": None, "client_id": None, "scope": None}
    domain = settings.oidc_domain.rstrip("/")
    return {
        "mode": "oidc",
        "issuer": settings.jwt_issuer,
        "authorization_endpoint": f"{domain}/oauth2/authorize",
        "token_endpoint": f"{domain}/oauth2/token",
        "end_session_endpoint": f"{domain}/logout",
        # Cognito's ID tokens carry the app client id as their audience.
        "client_id": settings.jwt_audience,
        "scope": "openid email profile",
    }
