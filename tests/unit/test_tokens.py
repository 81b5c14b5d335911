"""Staff tokens: what verifies and everything that must not."""

from __future__ import annotations

import base64
import json
import time

import jwt
import pytest

from chalicelib.auth.tokens import Principal, TokenError, issue_token, verify_bearer
from chalicelib.settings import Settings


@pytest.fixture
def settings() -> Settings:
    return Settings(jwt_secret="unit-test-secret-unit-test-secret-0123")


def _claims(**overrides: object) -> dict[str, object]:
    now = int(time.time())
    claims = {"iss": "dossier-local", "aud": "dossier", "sub": "u1", "account": "acme", "role": "admin",
              "iat": now, "exp": now + 60}
    claims.update(overrides)
    return {k: v for k, v in claims.items() if v is not None}


def _sign(claims: dict[str, object], key: str = "unit-test-secret-unit-test-secret-0123", alg: str = "HS256") -> str:
    return jwt.encode(claims, key, algorithm=alg)


def test_an_issued_token_names_its_account_user_and_role(settings: Settings) -> None:
    token = issue_token("acme", "alice", "member", settings=settings)
    assert verify_bearer(f"Bearer {token}", settings) == Principal("acme", "alice", "member")


def test_the_scheme_is_case_insensitive_but_required(settings: Settings) -> None:
    token = issue_token("acme", "alice", "admin", settings=settings)
    assert verify_bearer(f"bearer {token}", settings).account_id == "acme"
    with pytest.raises(TokenError):
        verify_bearer(token, settings)
    with pytest.raises(TokenError):
        verify_bearer(f"Basic {token}", settings)


@pytest.mark.parametrize("header", [None, "", "Bearer", "Bearer ", "Bearer a.b", "Bearer " + "x" * 9000])
def test_missing_or_malformed_headers_are_refused(settings: Settings, header: str | None) -> None:
    with pytest.raises(TokenError):
        verify_bearer(header, settings)


@pytest.mark.parametrize(
    "claims",
    [
        _claims(exp=int(time.time()) - 10),
        _claims(iss="someone-else"),
        _claims(aud="another-app"),
        _claims(account=None),
        _claims(account="../etc"),
        _claims(account="Other#Account"),
        _claims(role="owner"),
        _claims(role=None),
        _claims(sub=None),
        _claims(exp=None),
    ],
    ids=["expired", "issuer", "audience", "no-account", "bad-account", "hash-in-account", "unknown-role",
         "no-role", "no-subject", "no-expiry"],
)
def test_tokens_with_wrong_claims_are_refused(settings: Settings, claims: dict[str, object]) -> None:
    with pytest.raises(TokenError):
        verify_bearer(f"Bearer {_sign(claims)}", settings)


def test_a_token_signed_with_another_key_is_refused(settings: Settings) -> None:
    with pytest.raises(TokenError):
        verify_bearer(f"Bearer {_sign(_claims(), key='another-key-another-key-another-key')}", settings)


def test_alg_none_is_refused(settings: Settings) -> None:
    def b64(data: dict[str, object]) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()

    unsigned = f"{b64({'alg': 'none', 'typ': 'JWT'})}.{b64(_claims())}."
    with pytest.raises(TokenError):
        verify_bearer(f"Bearer {unsigned}", settings)


def test_a_tampered_payload_is_refused(settings: Settings) -> None:
    header, _, signature = issue_token("acme", "u1", "member", settings=settings).split(".")
    forged = base64.urlsafe_b64encode(json.dumps(_claims(role="admin")).encode()).rstrip(b"=").decode()
    with pytest.raises(TokenError):
        verify_bearer(f"Bearer {header}.{forged}.{signature}", settings)


@pytest.fixture
def jwks_server():
    """Serves a JWKS document on loopback, as an identity provider would; yields (url, private key, public JWK,
    the list of requests it answered)."""
    import http.server
    import threading

    from cryptography.hazmat.primitives.asymmetric import rsa
    from jwt.algorithms import RSAAlgorithm

    private_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public_jwk = json.loads(RSAAlgorithm.to_jwk(private_key.public_key()))
    public_jwk.update({"kid": "key-1", "use": "sig", "alg": "RS256"})
    document = json.dumps({"keys": [public_jwk]}).encode()
    fetches: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
            fetches.append(self.path)
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(document)

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}/.well-known/jwks.json", private_key, public_jwk, fetches
    server.shutdown()


def test_jwks_mode_verifies_rs256_against_the_key_set_and_refuses_hs256(jwks_server) -> None:
    url, private_key, _, _ = jwks_server
    settings = Settings(auth_mode="jwks", jwks_url=url, jwt_issuer="https://idp.example", stage="prod",
                        jwt_audience="client-123")
    cognito_style = _claims(iss="https://idp.example", aud="client-123", account=None, role=None,
                            **{"custom:account": "acme", "custom:role": "member"})
    token = jwt.encode(cognito_style, private_key, algorithm="RS256", headers={"kid": "key-1"})
    assert verify_bearer(f"Bearer {token}", settings) == Principal("acme", "u1", "member")

    # An HS256 token "signed" with the public key (algorithm confusion) must not pass. PyJWT refuses to
    # make one, so it is built by hand.
    import hashlib
    import hmac

    from cryptography.hazmat.primitives import serialization

    def b64(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

    pem = private_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    signing_input = (
        b64(json.dumps({"alg": "HS256", "typ": "JWT", "kid": "key-1"}).encode())
        + "."
        + b64(json.dumps(_claims(iss="https://idp.example", aud="client-123")).encode())
    )
    confused = signing_input + "." + b64(hmac.new(pem, signing_input.encode(), hashlib.sha256).digest())
    with pytest.raises(TokenError):
        verify_bearer(f"Bearer {confused}", settings)


def test_jwks_mode_fetches_the_key_set_once_per_container(jwks_server) -> None:
    url, private_key, _, fetches = jwks_server
    settings = Settings(auth_mode="jwks", jwks_url=url, jwt_issuer="https://idp.example", stage="prod",
                        jwt_audience="client-123")
    for user in ("u1", "u2", "u3", "u4"):
        claims = _claims(iss="https://idp.example", aud="client-123", sub=user)
        token = jwt.encode(claims, private_key, algorithm="RS256", headers={"kid": "key-1"})
        assert verify_bearer(f"Bearer {token}", settings).user_id == user
    assert len(fetches) == 1, "the key set is cached, not fetched per request"
    for forged in ("kid-a", "kid-b", "kid-c"):  # unknown keys refetch the set at most once per cooldown
        token = jwt.encode(_claims(iss="https://idp.example", aud="client-123"), private_key, algorithm="RS256",
                           headers={"kid": forged})
        with pytest.raises(TokenError):
            verify_bearer(f"Bearer {token}", settings)
    assert len(fetches) <= 2, "forged key ids cannot make every request fetch the key set"


@pytest.mark.parametrize("change", [
    {"exp": int(time.time()) - 60},
    {"iss": "https://other-idp.example"},
    {"aud": "another-client"},
    {"kid": "key-2"},
], ids=["expired", "other issuer", "other audience", "unknown key"])
def test_jwks_mode_refuses_tokens_that_do_not_fit(jwks_server, change) -> None:
    url, private_key, _, _ = jwks_server
    settings = Settings(auth_mode="jwks", jwks_url=url, jwt_issuer="https://idp.example", stage="prod",
                        jwt_audience="client-123")
    kid = change.pop("kid", "key-1")
    claims = {**_claims(iss="https://idp.example", aud="client-123"), **change}
    token = jwt.encode(claims, private_key, algorithm="RS256", headers={"kid": kid})
    with pytest.raises(TokenError):
        verify_bearer(f"Bearer {token}", settings)


def test_issuing_refuses_invalid_accounts_and_roles(settings: Settings) -> None:
    with pytest.raises(ValueError):
        issue_token("Not Valid", "u1", "admin", settings=settings)
    with pytest.raises(ValueError):
        issue_token("acme", "u1", "root", settings=settings)  # type: ignore[arg-type]
