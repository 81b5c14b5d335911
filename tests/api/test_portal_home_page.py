"""The customer's own portal as pages: `GET /c/{account_id}` (sign-in) and `GET /c/{account_id}/home`, their
scripts and texts. What the pages do in a browser: tests/e2e/test_portal_home.py."""

from __future__ import annotations

import re
from pathlib import Path

from chalicelib.portal.home_texts import HOME_TEXTS
from chalicelib.portal.texts import TEXTS
from tests.api.test_portal_page import assert_private_html, csp_directives, data_block

STATIC = Path(__file__).resolve().parents[2] / "chalicelib" / "portal" / "static"


def test_the_sign_in_page_carries_the_accounts_branding_and_nothing_about_customers(api, anonymous, account) -> None:
    api.patch("/account", {"branding": {"company_name": "Kanzlei Berger", "contact_email": "info@berger.example"}})
    reply = anonymous.get(f"/c/{account[0]}")
    assert reply.status == 200
    assert_private_html(reply)
    assert "<title>Kanzlei Berger – Kundenportal</title>" in reply.body.decode()
    context = data_block(reply.body, "signin-context")
    assert context["account_id"] == account[0]
    assert context["branding"]["company_name"] == "Kanzlei Berger"
    assert set(context) == {"account_id", "branding"}
    assert data_block(reply.body, "signin-texts")["signin_submit"] == "Anmeldelink senden"


def test_the_home_page_is_a_shell_whose_script_reads_the_context_with_the_cookie(anonymous, account) -> None:
    reply = anonymous.get(f"/c/{account[0]}/home", headers={"Accept-Language": "en"})
    assert reply.status == 200
    assert_private_html(reply)
    page = reply.body.decode()
    assert '<html lang="en">' in page
    # The link page's script first (its parts are reused), then the home's; both relative and versioned.
    kit = page.index('"../../portal/portal.js?v=')
    home = page.index('"../../portal/home.js?v=')
    assert kit < home
    assert data_block(reply.body, "home-texts")["sign_out"] == "Sign out"
    # Uploads go straight to the bucket, as on the link page.
    assert len(csp_directives(reply)["connect-src"]) == 2


def test_unknown_accounts_and_accounts_without_the_portal_get_one_404_page(api, anonymous, account) -> None:
    unknown = anonymous.get("/c/no-such-account")
    assert unknown.status == 404
    assert_private_html(unknown)
    assert anonymous.get("/c/no-such-account/home").status == 404
    api.patch("/account", {"portal": {"enabled": False}})
    off = anonymous.get(f"/c/{account[0]}")
    assert off.status == 404
    assert off.body == unknown.body
    assert anonymous.get(f"/c/{account[0]}/home").status == 404


def test_a_sign_in_link_opens_a_branded_page_whose_plain_form_posts_to_the_link(api, anonymous, account) -> None:
    api.patch("/account", {"branding": {"company_name": "Kanzlei Berger & Söhne"}})
    path = f"/c/{account[0]}/signin/{account[0]}.{'0' * 28}.{'1' * 28}.{'A' * 43}"
    reply = anonymous.get(path)
    assert reply.status == 200 and "Set-Cookie" not in reply.headers
    assert_private_html(reply)
    page = reply.body.decode()
    assert '<html lang="de">' in page and "<title>Kanzlei Berger &amp; Söhne – Kundenportal</title>" in page
    assert "<h2>Anmelden bei Kanzlei Berger &amp; Söhne</h2>" in page
    # One form without an action (it posts to the page's own address) and one button; no script at all.
    assert re.findall(r"<form[^>]*>", page) == ['<form class="card form signin" method="post">']
    assert re.findall(r"<button[^>]*>([^<]*)</button>", page) == ["Jetzt anmelden"]
    assert "<script" not in page and account[0] + "." not in page  # the token is not in the page
    assert csp_directives(reply)["form-action"] == ["'self'"]
    # Under the link's address the page's parts are three levels up (any stage prefix too).
    assert '"../../../portal/portal.css?v=' in page
    english = anonymous.get(path, headers={"Accept-Language": "en-GB,en;q=0.9"}).body.decode()
    assert '<html lang="en">' in english and "<h2>Sign in to Kanzlei Berger &amp; Söhne</h2>" in english
    assert re.findall(r"<button[^>]*>([^<]*)</button>", english) == ["Sign in now"]
    # No account (or its portal off): the portal's one 404 page, whatever the token.
    unknown = anonymous.get(f"/c/no-such-account/signin/{'A' * 43}")
    assert unknown.status == 404 and "<h1>Portal nicht gefunden</h1>" in unknown.body.decode()
    api.patch("/account", {"portal": {"enabled": False}})
    off = anonymous.get(path)
    assert (off.status, off.body) == (404, unknown.body)


def test_the_scripts_and_style_are_served_versioned(anonymous) -> None:
    for name, kind in (("home.js", "text/javascript"), ("signin.js", "text/javascript"), ("home.css", "text/css")):
        asset = anonymous.get(f"/portal/{name}")
        assert asset.status == 200, name
        assert asset.headers["Content-Type"].startswith(kind)
        assert asset.body == (STATIC / name).read_bytes()


def test_every_text_the_scripts_use_exists_in_both_languages() -> None:
    assert set(HOME_TEXTS["de"]) == set(HOME_TEXTS["en"])
    known = set(TEXTS["de"]) | set(HOME_TEXTS["de"])
    for name in ("home.js", "signin.js"):
        script = (STATIC / name).read_text()
        used = set(re.findall(r'\bt\("([a-z_]*[a-z])"', script))
        assert used <= known, (name, used - known)
    built = {f"request_status_{s}" for s in ("open", "partial", "submitted", "complete")}
    built |= {f"approval_{s}" for s in ("pending", "approved", "declined")}
    built |= {"signin_link_invalid", "signin_signed_out", "signin_expired"}
    assert built <= known
