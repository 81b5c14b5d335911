"""The staff console's sign-in on AWS: OpenID Connect's authorization code flow with PKCE, on a local stack of
this module's own started with DOSSIER_OIDC_DOMAIN (the user pool's hosted sign-in), whose endpoints Playwright
plays."""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.test_portal_page import Staff

pytestmark = [pytest.mark.e2e, pytest.mark.browser]


def test_sign_in_with_openid_connect_and_pkce(browser) -> None:
    """On AWS the console signs in at the user pool's hosted UI. Its endpoints are played by Playwright here:
    the authorize endpoint answers with a code, the token endpoint checks the PKCE verifier against the
    challenge and answers with an ID token the stack accepts (its HS256 development key)."""
    import base64
    import hashlib
    import json
    import urllib.parse

    from tests.e2e.conftest import start_stack

    provider = "http://auth.dossier.test"
    stack = start_stack(extra_env={"DOSSIER_OIDC_DOMAIN": provider})
    try:
        config = Staff(stack.api_url, "-").session.get(stack.api_url + "/app/config.json", timeout=10).json()
        assert config == {"mode": "oidc", "issuer": "dossier-local",
                          "authorization_endpoint": provider + "/oauth2/authorize",
                          "token_endpoint": provider + "/oauth2/token", "end_session_endpoint": provider + "/logout",
                          "client_id": "dossier", "scope": "openid email profile"}
        token = stack.cli("account", "--id", "oidc-office", "--plan", "pro")
        seen: dict[str, Any] = {}

        def identity_provider(route: Any) -> None:
            request = route.request
            url = urllib.parse.urlsplit(request.url)
            if url.path == "/oauth2/authorize":
                query = dict(urllib.parse.parse_qsl(url.query))
                seen["authorize"] = query
                back = f"{query['redirect_uri']}?code=the-code&state={urllib.parse.quote(query['state'])}"
                route.fulfill(status=302, headers={"Location": back})
            elif url.path == "/oauth2/token":
                form = dict(urllib.parse.parse_qsl(request.post_data))
                seen["token"] = form
                challenge = base64.urlsafe_b64encode(
                    hashlib.sha256(form["code_verifier"].encode()).digest()).rstrip(b"=").decode()
                if form["code"] != "the-code" or challenge != seen["authorize"]["code_challenge"]:
                    route.fulfill(status=400, content_type="application/json", body='{"error": "invalid_grant"}')
                    return
                route.fulfill(status=200, content_type="application/json", headers={
                    "Access-Control-Allow-Origin": stack.api_url}, body=json.dumps({
                        "id_token": token, "access_token": "unused", "refresh_token": "r", "expires_in": 3600}))
            else:
                seen["logout"] = dict(urllib.parse.parse_qsl(url.query))
                route.fulfill(status=200, content_type="text/html", body="<p>signed out</p>")

        context = browser.new_context(locale="de-DE")
        context.route(provider + "/**", identity_provider)
        page = context.new_page()
        # A deep link: straight to the identity provider and back to the same address.
        page.goto(stack.api_url + "/app/#/settings/groups")
        page.get_by_role("heading", name="Gruppen").wait_for()
        assert page.url == stack.api_url + "/app/#/settings/groups", "back where the sign-in started"
        authorize = seen["authorize"]
        assert (authorize["response_type"], authorize["client_id"], authorize["code_challenge_method"],
                authorize["redirect_uri"]) == ("code", "dossier", "S256", stack.api_url + "/app/callback")
        assert seen["token"]["grant_type"] == "authorization_code"
        assert seen["token"]["redirect_uri"] == stack.api_url + "/app/callback"
        stored = page.evaluate("() => [...Object.values(localStorage), ...Object.values(sessionStorage)].join(' ')")
        assert token not in stored and "code_verifier" not in stored

        page.get_by_role("button", name="Abmelden").click()
        page.wait_for_url(provider + "/logout**")
        assert seen["logout"] == {"client_id": "dossier", "logout_uri": stack.api_url + "/app/"}
        context.close()
    finally:
        stack.stop()
