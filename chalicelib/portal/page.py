"""The portal page as HTTP responses: the page shell, its script and style, the 404 and 410 pages, and the
headers that keep them private (CSP, no referrer, no caching, no framing, no indexing).

The page is self-contained: the HTML shell, `portal.js` and `portal.css` live in `static/` next to this
module (Chalice packages `chalicelib/` whole), are read on first use and kept for the process. The shell
carries the link's context and the chosen language's texts as JSON data blocks, so the script renders the
page without a second request and polls `/p/{token}/context` only while an upload waits for its record.
Every URL in the page is relative, so it works under an API Gateway stage prefix (`/api/p/...`) as well.
"""

from __future__ import annotations

import functools
import hashlib
import html
import json
import string
from pathlib import Path
from typing import Any, NamedTuple

from chalice import Response

from chalicelib.api.pages import PAGE_SECURITY_HEADERS, ResponseHeaders, csp_source
from chalicelib.portal.texts import TEXTS, Language
from chalicelib.settings import get_settings
from chalicelib.storage import objects

STATIC_DIR = Path(__file__).resolve().parent / "static"

#: Scripts and styles are versioned by their content in the page's URLs, so browsers may keep them.
ASSET_CACHE_CONTROL = "public, max-age=31536000, immutable"
ASSET_TYPES = {"portal.js": "text/javascript; charset=utf-8", "portal.css": "text/css; charset=utf-8",
               "intake.js": "text/javascript; charset=utf-8",
               "home.js": "text/javascript; charset=utf-8", "signin.js": "text/javascript; charset=utf-8",
               "home.css": "text/css; charset=utf-8", "signature.js": "text/javascript; charset=utf-8"}
HTML_TYPE = "text/html; charset=utf-8"


class Asset(NamedTuple):
    body: str
    version: str


@functools.cache
def asset(name: str) -> Asset:
    body = (STATIC_DIR / name).read_text(encoding="utf-8")
    return Asset(body=body, version=hashlib.sha256(body.encode()).hexdigest()[:16])


@functools.cache
def _template(name: str) -> string.Template:
    return string.Template(asset(name).body)


def asset_response(name: str) -> Response:
    found = asset(name)
    return Response(body=found.body, status_code=200,
                    headers={"Content-Type": ASSET_TYPES[name], "Cache-Control": ASSET_CACHE_CONTROL})


def content_security_policy(bucket_url: str | None = None) -> str:
    """Only the app itself, plus (for the portal page) the uploads bucket: POSTs go to the bucket's URL
    exactly, images (the logo) to objects under it. CSP paths narrow a shared S3 endpoint (path-style
    addressing, as chalicelib.aws configures) down to this one bucket."""
    img = ["'self'", "data:"]
    connect = ["'self'"]
    if bucket_url:
        img.append(csp_source(bucket_url) + "/")
        connect.append(csp_source(bucket_url))
    return "; ".join([
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        f"img-src {' '.join(img)}",
        f"connect-src {' '.join(connect)}",
        "form-action 'self'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
    ])


def _headers(language: Language, csp: str) -> ResponseHeaders:
    return {
        "Content-Type": HTML_TYPE,
        "Content-Security-Policy": csp,
        "Content-Language": language,
        "Vary": "Accept-Language",
        **PAGE_SECURITY_HEADERS,
    }


def _json_block(value: Any) -> str:
    """JSON safe inside <script type="application/json">: nothing in it can close the element."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _fill(text: str, **values: str) -> str:
    for name, value in values.items():
        text = text.replace("{" + name + "}", value)
    return text


def document_head(language: Language, title: str, stylesheets: list[str]) -> str:
    """The start of every portal page up to `</head>`: language, title, privacy metas and its stylesheets."""
    links = "".join(f'<link rel="stylesheet" href="{html.escape(url, quote=True)}">\n' for url in stylesheets)
    return _template("head.html").substitute(lang=language, title=html.escape(title), stylesheets=links)


def _shell(language: Language, title: str, script: str = "portal.js") -> dict[str, str]:
    return {
        "head": document_head(language, title, ["../app/assets/tokens.css",
                                                f"../portal/portal.css?v={asset('portal.css').version}"]),
        "js": f"../portal/{script}?v={asset(script).version}",
    }


def _app_page(language: Language, app: str, title: str, context: dict[str, Any], csp: str,
              helpers: tuple[str, ...] = ()) -> Response:
    """The HTML shell of a page its script (`{app}.js`) builds from the texts and the context; `helpers` are
    scripts of static/ loaded after it (the signature pad)."""
    texts = TEXTS[language]
    body = _template("page.html").substitute(
        _shell(language, title, script=f"{app}.js"),
        helpers="".join(f'<script src="../portal/{name}?v={asset(name).version}" defer></script>\n'
                        for name in helpers),
        app=app,
        loading=html.escape(texts["loading"]),
        noscript=html.escape(texts["noscript"]),
        texts=_json_block(texts),
        context=_json_block(context),
    )
    return Response(body=body, status_code=200, headers=_headers(language, csp))


def portal_page(language: Language, context: dict[str, Any]) -> Response:
    texts = TEXTS[language]
    company = context["account"]["branding"]["company_name"]
    title = _fill(texts["title"], company=company) if company else texts["title_plain"]
    bucket_url = objects.bucket_url(get_settings().uploads_bucket)
    return _app_page(language, "portal", title, context, content_security_policy(bucket_url),
                     helpers=("signature.js",))


def intake_page(language: Language, branding: dict[str, Any], confirm: bool = False) -> Response:
    """The registration page of an account's link for new customers; with `confirm`, the page a registration's
    confirmation mail links to (its script confirms and continues to the upload page)."""
    title = _fill(TEXTS[language]["intake_title"], company=branding["company_name"])
    logo_source = objects.bucket_url(get_settings().uploads_bucket) if branding.get("logo_url") else None
    return _app_page(language, "intake", title, {"branding": branding, "confirm": confirm},
                     content_security_policy(logo_source))


def intake_not_found_page(language: Language) -> Response:
    return _message_page(language, 404, "intake_not_found_title", "intake_not_found_text")


def _message_page(language: Language, status: int, title_key: str, text_key: str) -> Response:
    texts = TEXTS[language]
    body = _template("message.html").substitute(
        _shell(language, texts[title_key]),
        heading=html.escape(texts[title_key]),
        text=html.escape(texts[text_key]),
    )
    return Response(body=body, status_code=status, headers=_headers(language, content_security_policy()))


def not_found_page(language: Language) -> Response:
    """The same page for every unknown, tampered or revoked token: it tells nothing about which."""
    return _message_page(language, 404, "not_found_title", "not_found_text")


def expired_page(language: Language) -> Response:
    return _message_page(language, 410, "expired_title", "expired_text")
