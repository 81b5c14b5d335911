"""`GET /p/{token}`: the portal page, its assets, the 404 and 410 pages, headers and language (in-process)."""

from __future__ import annotations

import json
import re
import urllib.parse
from pathlib import Path

import pytest

from chalicelib.portal.texts import TEXTS, negotiate
from chalicelib.storage import keys
from chalicelib.storage.tables import main_table
from tests.support import events

STATIC = Path(__file__).resolve().parents[2] / "chalicelib" / "portal" / "static"


@pytest.fixture
def customer(api) -> dict:
    api.patch("/account", {"branding": {"company_name": "Kanzlei Berger", "contact_email": "info@berger.example"}})
    reply = api.post("/customers", {"name": "Anna Schmidt", "email": "anna@example.com"})
    assert reply.status == 201, reply
    return reply.json


def new_link(api, customer_id: str, **body) -> str:
    reply = api.post(f"/customers/{customer_id}/links", {"areas": ["general"], **body})
    assert reply.status == 201, reply
    return reply.json["url"].rsplit("/p/", 1)[1]


@pytest.fixture
def token(api, customer) -> str:
    return new_link(api, customer["id"], message="Bitte senden Sie uns die Belege für 2025.")


def csp_directives(reply) -> dict[str, list[str]]:
    policy = reply.headers["Content-Security-Policy"]
    return {part.split()[0]: part.split()[1:] for part in policy.split(";") if part.strip()}


def data_block(body: bytes, element_id: str):
    match = re.search(rf'<script type="application/json" id="{element_id}">(.*?)</script>', body.decode(), re.S)
    assert match, f"no data block {element_id}"
    return json.loads(match.group(1))


def assert_private_html(reply) -> None:
    assert reply.headers["Content-Type"].startswith("text/html")
    assert reply.headers["Referrer-Policy"] == "no-referrer"
    assert reply.headers["Cache-Control"] == "no-store"
    assert reply.headers["X-Content-Type-Options"] == "nosniff"
    assert reply.headers["X-Robots-Tag"] == "noindex, nofollow"
    assert b'<meta name="robots" content="noindex, nofollow">' in reply.body
    directives = csp_directives(reply)
    assert directives["default-src"] == ["'none'"]
    assert directives["frame-ancestors"] == ["'none'"]
    assert directives["script-src"] == ["'self'"]
    assert directives["base-uri"] == ["'none'"]


# --- the page -------------------------------------------------------------------------------------------


def test_a_valid_link_opens_the_page_with_its_context_and_texts(anonymous, token) -> None:
    reply = anonymous.get(f"/p/{token}")
    assert reply.status == 200, reply
    assert_private_html(reply)
    page = reply.body.decode()
    assert '<html lang="de">' in page
    assert "<title>Kanzlei Berger – Unterlagen</title>" in page
    context = data_block(reply.body, "portal-context")
    assert context["customer"] == {"name": "Anna Schmidt"}
    assert context["account"]["branding"]["company_name"] == "Kanzlei Berger"
    assert context["link"]["message"] == "Bitte senden Sie uns die Belege für 2025."
    assert [area["id"] for area in context["areas"]] == ["general"]
    assert context == anonymous.get(f"/p/{token}/context").json
    assert data_block(reply.body, "portal-texts") == TEXTS["de"]


def test_the_csp_allows_the_app_and_exactly_the_uploads_bucket(anonymous, token, api) -> None:
    api_reply = anonymous.post(f"/p/{token}/uploads", {"filename": "a.pdf", "size": 10,
                                                       "content_type": "application/pdf"})
    assert api_reply.status == 201
    post_url = api_reply.json["url"]

    directives = csp_directives(anonymous.get(f"/p/{token}"))
    assert directives["connect-src"] == ["'self'", post_url]
    assert directives["form-action"] == ["'self'"]
    assert directives["style-src"] == ["'self'"]
    assert directives["img-src"] == ["'self'", "data:", post_url + "/"]
    assert urllib.parse.urlsplit(post_url).path == "/dossier-local-uploads-123456789012"


def test_data_cannot_break_out_of_the_page(api, anonymous) -> None:
    name = '</script><script>alert("x")</script> & <b>'
    customer = api.post("/customers", {"name": name}).json
    reply = anonymous.get(f"/p/{new_link(api, customer['id'])}")
    assert reply.status == 200
    assert b"</script><script>alert" not in reply.body
    assert b"<b>" not in reply.body
    assert data_block(reply.body, "portal-context")["customer"]["name"] == name


def test_the_page_refers_to_its_assets_relatively_and_versioned(anonymous, token) -> None:
    page = anonymous.get(f"/p/{token}").body.decode()
    for name, kind in (("portal.js", "text/javascript"), ("portal.css", "text/css")):
        match = re.search(rf'"\.\./portal/{re.escape(name)}\?v=([0-9a-f]{{16}})"', page)
        assert match, name
        asset = anonymous.get(f"/portal/{name}")
        assert asset.status == 200
        assert asset.headers["Content-Type"].startswith(kind)
        assert asset.headers["Cache-Control"] == "public, max-age=31536000, immutable"
        assert asset.body == (STATIC / name).read_bytes()


def test_the_whole_page_weighs_less_than_100_kb(anonymous, token) -> None:
    page = anonymous.get(f"/p/{token}").body
    script = anonymous.get("/portal/portal.js").body
    style = anonymous.get("/portal/portal.css").body
    assert len(page) + len(script) + len(style) < 100 * 1024


def test_every_text_the_script_uses_exists_in_both_languages() -> None:
    assert set(TEXTS["de"]) == set(TEXTS["en"])
    script = (STATIC / "portal.js").read_text()
    used = set(re.findall(r'\bt\("([a-z_]*[a-z])"', script))
    used |= {f"review_{r}" for r in ("pending", "checked", "needs_clarification", "rejected")}
    used |= {f"state_{s}" for s in ("waiting", "uploading", "processing", "done", "slow")}
    assert used <= set(TEXTS["de"]), used - set(TEXTS["de"])


def test_the_page_shows_the_logo_through_a_presigned_get_on_the_bucket(api, anonymous, token) -> None:
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
    upload = api.post("/account/logo", {"filename": "logo.png", "size": len(png), "content_type": "image/png"}).json
    events.post_upload(upload, png)
    assert api.put("/account/logo", {"logo_id": upload["logo_id"]}).status == 200

    reply = anonymous.get(f"/p/{token}")
    logo_url = data_block(reply.body, "portal-context")["account"]["branding"]["logo_url"]
    assert logo_url and "X-Amz-Signature=" in logo_url
    bucket_source = csp_directives(reply)["img-src"][-1]
    assert logo_url.startswith(bucket_source)


# --- the pages that show no link ------------------------------------------------------------------------


def test_unknown_tampered_and_revoked_links_get_one_404_page_that_tells_nothing(api, anonymous, customer,
                                                                                token) -> None:
    account, customer_id, link_id, secret = token.split(".")
    revoked = new_link(api, customer["id"])
    assert api.delete(f"/customers/{customer['id']}/links/{revoked.split('.')[2]}").status == 204
    candidates = [
        "garbage",
        f"{account}.{customer_id}.{link_id}.{'A' * 43}",
        f"other-account.{customer_id}.{link_id}.{secret}",
        revoked,
    ]
    bodies = set()
    for candidate in candidates:
        reply = anonymous.get(f"/p/{candidate}")
        assert reply.status == 404, candidate
        assert_private_html(reply)
        assert "connect-src 'self'" in reply.headers["Content-Security-Policy"]
        assert "amazonaws" not in reply.headers["Content-Security-Policy"]
        bodies.add(reply.body)
    assert len(bodies) == 1
    page = bodies.pop().decode()
    assert "Link nicht gefunden" in page
    assert "Anna" not in page and "Berger" not in page


def test_an_expired_link_gets_a_friendly_410_page(api, anonymous, customer) -> None:
    token = new_link(api, customer["id"])
    account, _, link_id, _ = token.split(".")
    main_table().update(keys.link(account, link_id), "SET expires_at = :past",
                        values={":past": "2020-01-01T00:00:00.000Z"})

    reply = anonymous.get(f"/p/{token}")
    assert reply.status == 410
    assert_private_html(reply)
    assert "Link abgelaufen" in reply.body.decode()
    assert "Anna" not in reply.body.decode()
    english = anonymous.get(f"/p/{token}", headers={"Accept-Language": "en-GB,en;q=0.8"})
    assert english.status == 410 and "Link expired" in english.body.decode()
    assert anonymous.get(f"/p/{token}/context").error_code == "link_expired"


# --- language -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("header", "language"), [
    (None, "de"),
    ("de-DE,de;q=0.9", "de"),
    ("en-US,en;q=0.9", "en"),
    ("fr-FR,fr;q=0.9", "de"),
    ("fr-FR,en;q=0.5,de;q=0.4", "en"),
    ("de;q=0.5, en;q=0.8", "en"),
    ("en;q=0, de", "de"),
    ("EN", "en"),
    ("*", "de"),
    ("en;q=garbage, de;q=0.1", "de"),
])
def test_the_language_follows_accept_language_with_german_as_the_default(header, language) -> None:
    assert negotiate(header) == language


def test_an_english_browser_gets_the_english_page(anonymous, token) -> None:
    reply = anonymous.get(f"/p/{token}", headers={"Accept-Language": "en-US,en;q=0.9,de;q=0.5"})
    assert reply.status == 200
    assert '<html lang="en">' in reply.body.decode()
    assert reply.headers["Content-Language"] == "en"
    assert reply.headers["Vary"] == "Accept-Language"
    assert data_block(reply.body, "portal-texts")["greeting"] == "Hello {name},"
    german = anonymous.get(f"/p/{token}", headers={"Accept-Language": "de-AT"})
    assert data_block(german.body, "portal-texts")["greeting"] == "Hallo {name},"


# --- OpenAPI --------------------------------------------------------------------------------------------


def test_openapi_describes_the_page_as_html_and_the_assets_as_text(anonymous) -> None:
    paths = anonymous.get("/openapi.json").json["paths"]
    page = paths["/p/{token}"]["get"]
    assert set(page["responses"]) == {"200", "404", "410"}
    assert all(list(r["content"]) == ["text/html"] for r in page["responses"].values())
    assert "security" not in page
    assert list(paths["/portal/portal.js"]["get"]["responses"]["200"]["content"]) == ["text/javascript"]
    assert list(paths["/portal/portal.css"]["get"]["responses"]["200"]["content"]) == ["text/css"]

