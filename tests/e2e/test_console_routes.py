"""The console's routes in-process: `/` and `/app` redirect, the sign-in settings follow the environment, the CSP
names the identity provider only when there is one, and only the listed files are served."""

from __future__ import annotations

import pytest

from tests.support.api import ApiClient


@pytest.fixture
def client(aws, monkeypatch):
    from chalicelib.settings import reset_settings

    def make(**environment: str) -> ApiClient:
        for name, value in environment.items():
            monkeypatch.setenv(name, value)
        reset_settings()
        import app

        return ApiClient(app.app)

    yield make
    reset_settings()


def test_root_and_app_without_slash_redirect_to_the_console(client) -> None:
    api = client()
    for path in ("/", "/app"):
        reply = api.get(path)
        assert (reply.status, reply.headers["Location"]) == (302, "app/"), path
    shell = api.get("/app/")
    assert shell.status == 200 and shell.headers["Cache-Control"] == "no-store"
    assert api.get("/app/callback").body == shell.body


def test_local_sign_in_unless_an_identity_provider_is_set(client) -> None:
    local = client()
    assert local.get("/app/config.json").json["mode"] == "local"
    assert "auth.example.com" not in local.get("/app/").headers["Content-Security-Policy"]

    oidc = client(DOSSIER_OIDC_DOMAIN="https://auth.example.com", DOSSIER_JWT_AUDIENCE="client-123",
                  DOSSIER_JWT_ISSUER="https://cognito-idp.eu-central-1.amazonaws.com/pool")
    config = oidc.get("/app/config.json").json
    assert config["mode"] == "oidc" and config["client_id"] == "client-123"
    assert config["token_endpoint"] == "https://auth.example.com/oauth2/token"
    policy = oidc.get("/app/").headers["Content-Security-Policy"]
    connect = next(part for part in policy.split("; ") if part.startswith("connect-src"))
    assert "https://auth.example.com" in connect


def test_only_the_console_files_are_served(client) -> None:
    api = client()
    assert api.get("/app/assets/customers.js").status == 200
    assert api.get("/app/assets/preact-htm.module.js").status == 200
    for name in ("index.html", "LICENSE-htm", "vendor.sh", "page.py", "..%2Fpage.py"):
        assert api.get(f"/app/assets/{name}").status == 404, name
