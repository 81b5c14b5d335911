"""The bad-input catalogue: bodies, ids, tokens and file names a careless or hostile client sends.

Each case must end in a clear 4xx (the contract's JSON error with a machine-readable code and a message)
with nothing changed: every item and object of the account (and of the other account the tokens name) is
the same afterwards.
"""

from __future__ import annotations

import base64
import json
import time
from dataclasses import dataclass
from typing import Any

import jwt
import pytest

from tests.reliability.audit import snapshot
from tests.support.api import ApiClient
from tests.support.isolation import confined_to
from tests.support.samples import png_base64, png_image

PDF = {"size": 10, "content_type": "application/pdf"}
GHOST = "ghost-account-000"  #: an account id no account has


@dataclass(frozen=True)
class Case:
    method: str
    path: str
    status: int
    code: str
    body: Any = None
    raw: bytes | None = None
    token: str = "admin"  #: which token the request carries (see `token_for`)
    headers: tuple[tuple[str, str], ...] = ()


def nested(depth: int) -> bytes:
    return b'{"name": "x", "notes": ' + b"[" * depth + b"]" * depth + b"}"


BODIES = {
    "not JSON": Case("POST", "/customers", 400, "validation_error", raw=b"{name: 'Anna'"),
    "not UTF-8": Case("POST", "/customers", 400, "validation_error", raw=b'{"name": "\xff\xfe"}'),
    "empty body": Case("POST", "/customers", 422, "validation_error", raw=b""),
    "1 MB": Case("POST", "/customers", 413, "payload_too_large", raw=b'{"name": "' + b"x" * 1_048_576 + b'"}'),
    "deep nesting": Case("POST", "/customers", 400, "validation_error", raw=nested(10_000)),
    "an array": Case("POST", "/customers", 422, "validation_error", body=[{"name": "Anna"}]),
    "a string": Case("POST", "/customers", 422, "validation_error", body="Anna"),
    "number for text": Case("POST", "/customers", 422, "validation_error", body={"name": 5}),
    "list for text": Case("POST", "/customers", 422, "validation_error", body={"name": ["Anna"]}),
    "null for required": Case("POST", "/customers", 422, "validation_error", body={"name": None}),
    "operator object": Case("POST", "/customers", 422, "validation_error", body={"name": {"$gt": ""}}),
    "text for boolean": Case("POST", "/customers", 422, "validation_error",
                             body={"name": "Anna", "portal_enabled": "vielleicht"}),
    "unknown field": Case("POST", "/customers", 422, "validation_error", body={"name": "Anna", "plan": "team"}),
    "too long": Case("POST", "/customers", 422, "validation_error", body={"name": "A" * 201}),
    "NUL": Case("POST", "/customers", 422, "validation_error", body={"name": "Anna\u0000Schmidt"}),
    "C1 control": Case("POST", "/customers", 422, "validation_error", body={"name": "Anna\u0085Schmidt"}),
    "RTL override in a name": Case("POST", "/customers", 422, "validation_error",
                                   body={"name": "Rechnung \u202efdp.exe"}),
    "RTL isolate in notes": Case("POST", "/customers", 422, "validation_error",
                                 body={"name": "Anna", "notes": "zahlen an \u2067DE02\u2069"}),
    "RTL override in the branding": Case("PATCH", "/account", 422, "validation_error",
                                         body={"branding": {"company_name": "Kanzlei \u202eHCS"}}),
    "emoji in a phone number": Case("POST", "/customers", 422, "validation_error",
                                    body={"name": "Anna", "phone": "030 \U0001f4de 1234"}),
    "emoji as a status": Case("POST", "/customers", 422, "validation_error", body={"name": "Anna", "status": "\u2705"}),
    "huge number": Case("POST", "/customers/{customer}/files", 422, "validation_error",
                        body={"filename": "a.pdf", **PDF, "size": 10**400}),
    "huge float": Case("POST", "/customers/{customer}/links", 422, "validation_error", body={"expires_in_days": 1e308}),
    "negative size": Case("POST", "/customers/{customer}/files", 422, "validation_error",
                          body={"filename": "a.pdf", **PDF, "size": -1}),
    "fractional size": Case("POST", "/customers/{customer}/files", 422, "validation_error",
                            body={"filename": "a.pdf", **PDF, "size": 1.5}),
    "form instead of JSON": Case("POST", "/customers", 415, "unsupported_media_type", raw=b"name=Anna",
                                 headers=(("content-type", "application/x-www-form-urlencoded"),)),
}

IDS = {
    "traversal": Case("GET", "/customers/..%2Faccount", 404, "not_found"),
    "NUL": Case("GET", "/customers/%00", 404, "not_found"),
    "5,000 characters": Case("GET", "/customers/" + "a" * 5000, 404, "not_found"),
    "umlaut": Case("GET", "/customers/%C3%BC", 404, "not_found"),
    "emoji": Case("GET", "/customers/%F0%9F%98%80", 404, "not_found"),
    "quote": Case("GET", "/customers/%27%20OR%201%3D1", 404, "not_found"),
    "RTL override": Case("GET", "/customers/%E2%80%AEabc", 404, "not_found"),
    "file id of dots": Case("GET", "/customers/{customer}/files/..", 404, "not_found"),
    "uppercase id": Case("GET", "/customers/{customer_upper}", 404, "not_found"),
    "id in a delete": Case("DELETE", "/customers/%00", 404, "not_found"),
    "id in a patch": Case("PATCH", "/customers/" + "f" * 28, 404, "not_found", body={"name": "Neu"}),
}

TOKENS = {
    "none": Case("GET", "/account", 401, "unauthorized", token="missing"),
    "alg none": Case("GET", "/account", 401, "unauthorized", token="alg_none"),
    "expired": Case("GET", "/account", 401, "unauthorized", token="expired"),
    "signed with another key": Case("GET", "/account", 401, "unauthorized", token="other_key"),
    "another audience": Case("GET", "/account", 401, "unauthorized", token="other_audience"),
    "truncated": Case("GET", "/account", 401, "unauthorized", token="truncated"),
    "garbage": Case("GET", "/account", 401, "unauthorized", token="garbage"),
    "oversized": Case("GET", "/account", 401, "unauthorized", token="oversized"),
    "unknown role": Case("GET", "/account", 401, "unauthorized", token="superuser"),
    "Basic scheme": Case("GET", "/account", 401, "unauthorized", token="basic"),
    "a write with an expired token": Case("POST", "/customers", 401, "unauthorized", body={"name": "Anna"},
                                          token="expired"),
    "member on an admin route": Case("PATCH", "/account", 403, "forbidden", body={"name": "Neu"}, token="member"),
    "another account's token": Case("GET", "/customers/{customer}", 404, "not_found", token="other_account"),
    "an account that does not exist": Case("POST", "/customers", 404, "not_found", body={"name": "Anna"},
                                           token="ghost"),
}

FILENAMES = {
    "empty": Case("POST", "/customers/{customer}/files", 422, "validation_error", body={"filename": "", **PDF}),
    "1,001 characters": Case("POST", "/customers/{customer}/files", 422, "validation_error",
                             body={"filename": "a" * 997 + ".pdf", **PDF}),
    "executable as PDF": Case("POST", "/customers/{customer}/files", 415, "unsupported_type",
                              body={"filename": "rechnung.exe", **PDF}),
    "RTL-disguised executable": Case("POST", "/customers/{customer}/files", 415, "unsupported_type",
                                     body={"filename": "rechnung\u202efdp.exe", **PDF}),
    "only dots": Case("POST", "/customers/{customer}/files", 415, "unsupported_type",
                      body={"filename": "....pdf", **PDF}),
    "no extension": Case("POST", "/customers/{customer}/files", 415, "unsupported_type",
                         body={"filename": "rechnung", **PDF}),
    "executable type": Case("POST", "/customers/{customer}/files", 415, "unsupported_type",
                            body={"filename": "setup.exe", "size": 10, "content_type": "application/x-msdownload"}),
    "NUL in the type": Case("POST", "/customers/{customer}/files", 415, "unsupported_type",
                            body={"filename": "a.pdf", "size": 10, "content_type": "application/pdf\u0000"}),
    "larger than allowed": Case("POST", "/customers/{customer}/files", 413, "file_too_large",
                                body={"filename": "a.pdf", "size": 5 * 1024 * 1024 + 1,
                                      "content_type": "application/pdf"}),
    "into an unknown area": Case("POST", "/customers/{customer}/files", 422, "validation_error",
                                 body={"filename": "a.pdf", **PDF, "area": "../general"}),
}

#: A well-formed one-time sign-in link of the victim's customer (never sent).
SIGN_IN_LINK = "/c/{account}/signin/{account}.{customer}." + "0" * 28 + "." + "A" * 43

PORTAL = {
    "no session": Case("GET", "/c/{account}/api/context", 401, "unauthorized", token="missing"),
    "a forged session cookie": Case("GET", "/c/{account}/api/context", 401, "unauthorized", token="missing",
                                    headers=(("cookie", "dossier_portal={account}.{customer}." + "0" * 28 + "."
                                              + "A" * 43),)),
    "a cookie that is no token": Case("POST", "/c/{account}/api/messages", 401, "unauthorized", token="missing",
                                      body={"body": "Hallo"}, headers=(("cookie", "dossier_portal=../../x"),)),
    "a staff token instead of a session": Case("GET", "/c/{account}/api/context", 401, "unauthorized"),
    "sign-in with neither address nor number": Case("POST", "/c/{account}/login", 422, "validation_error",
                                                    body={}, token="missing"),
    "sign-in with both": Case("POST", "/c/{account}/login", 422, "validation_error", token="missing",
                              body={"email": "a@example.com", "phone": "+491701234567"}),
    "sign-in with an emoji number": Case("POST", "/c/{account}/login", 422, "validation_error", token="missing",
                                         body={"phone": "0170 📞"}),
    "sign-in to an account that does not exist": Case("POST", f"/c/{GHOST}/login", 404, "not_found",
                                                      body={"email": "a@example.com"}, token="ghost"),
    "a message of 5,001 characters": Case("POST", "/customers/{customer}/messages", 422, "validation_error",
                                          body={"body": "x" * 5001}),
    "RTL override in a message": Case("POST", "/customers/{customer}/messages", 422, "validation_error",
                                      body={"body": "Rechnung\u202efdp.exe"}),
    "a bulk switch naming two selections": Case("POST", "/customers/portal", 422, "validation_error",
                                                body={"enabled": False, "all": True, "customer_ids": ["{customer}"]}),
    "a bulk switch with an empty id": Case("POST", "/customers/portal", 422, "validation_error",
                                           body={"enabled": False, "customer_ids": [""]}),
    "an access link for another account's customer": Case("POST", "/customers/{customer}/portal-access", 404,
                                                           "not_found", token="other_account"),
    "an approval of a file that does not exist": Case("POST", "/customers/{customer}/approvals", 404, "not_found",
                                                      body={"file_id": "0" * 28}),
    "an approval without a file": Case("POST", "/customers/{customer}/approvals", 422, "validation_error",
                                       body={"message": "Bitte freigeben"}),
    "an approval for another account's customer": Case("POST", "/customers/{customer}/approvals", 404,
                                                       "not_found", token="other_account", body={"file_id": "0" * 28}),
    "approvals of another account's customer": Case("GET", "/customers/{customer}/approvals", 404, "not_found",
                                                    token="other_account"),
    "a decision without a session": Case("POST", "/c/{account}/api/approvals/" + "0" * 28, 401, "unauthorized",
                                         token="missing", body={"decision": "approved", "signer_name": "A",
                                                                "signature_png": "iVBORw0KGgo="}),
    "a decision with a forged session cookie": Case(
        "POST", "/c/{account}/api/approvals/" + "0" * 28, 401, "unauthorized", token="missing",
        body={"decision": "approved", "signer_name": "A", "signature_png": "iVBORw0KGgo="},
        headers=(("cookie", "dossier_portal={account}.{customer}." + "0" * 28 + "." + "A" * 43),)),
    # Pressing a sign-in link's button (a forged, replayed or foreign link is a 303 back to sign-in, nothing used up:
    # tests/api/test_customer_portal.py); what no form sends is refused before any look at the link.
    "a sign-in button pressed with 1 MB": Case("POST", SIGN_IN_LINK, 413, "payload_too_large", token="missing",
                                               raw=b"x=" + b"A" * 1_048_576,
                                               headers=(("content-type", "application/x-www-form-urlencoded"),)),
    "a sign-in button pressed as multipart": Case("POST", SIGN_IN_LINK, 415, "unsupported_media_type",
                                                  token="missing", raw=b"--b--",
                                                  headers=(("content-type", "multipart/form-data; boundary=b"),)),
}

#: Field types: `{time}`, `{info}` and `{signature}` stand for the victim's attributes of these types.
FIELDS = {
    "a time of 24:00": Case("PATCH", "/customers/{customer}", 422, "invalid_time",
                            body={"attributes": {"{time}": "24:00"}}),
    "a time with seconds": Case("PATCH", "/customers/{customer}", 422, "invalid_time",
                                body={"attributes": {"{time}": "07:05:00"}}),
    "a time without its leading zero": Case("POST", "/customers", 422, "invalid_time",
                                            body={"name": "Anna", "attributes": {"{time}": "7:05"}}),
    "a time as a number": Case("PATCH", "/customers/{customer}", 422, "validation_error",
                               body={"attributes": {"{time}": 705}}),
    "a value for display text": Case("PATCH", "/customers/{customer}", 422, "display_only",
                                     body={"attributes": {"{info}": "gelesen"}}),
    "a required info attribute": Case("POST", "/attributes", 422, "validation_error",
                                      body={"name": "Hinweis 2", "type": "info", "text": "Bitte lesen",
                                            "required": True}),
    "an info attribute without its text": Case("POST", "/attributes", 422, "validation_error",
                                               body={"name": "Hinweis 3", "type": "info"}),
    "display text made required": Case("PATCH", "/attributes/{info}", 422, "validation_error",
                                       body={"required": True}),
    "a forged signature PNG": Case("PATCH", "/customers/{customer}", 422, "invalid_signature", body={
        "attributes": {"{signature}": base64.b64encode(b"\x89PNG\r\n\x1a\n" + b"\x00" * 40).decode()}}),
    "a GIF as signature": Case("PATCH", "/customers/{customer}", 422, "invalid_signature", body={
        "attributes": {"{signature}": base64.b64encode(b"GIF89a" + b"\x00" * 40).decode()}}),
    "a signature that is no base64": Case("PATCH", "/customers/{customer}", 422, "invalid_signature",
                                          body={"attributes": {"{signature}": "<svg onload=alert(1)>"}}),
    "a signature 2,001 px wide": Case("PATCH", "/customers/{customer}", 422, "signature_too_large",
                                      body={"attributes": {"{signature}": png_base64(png_image(2001, 4))}}),
    "a signature over 150 KB": Case("PATCH", "/customers/{customer}", 422, "signature_too_large", body={
        "attributes": {"{signature}": png_base64(png_image(padding=151 * 1024))}}),
    "a signature for another account's customer": Case(
        "PATCH", "/customers/{customer}", 404, "not_found", token="other_account",
        body={"attributes": {"{signature}": png_base64()}}),
    "the signature image of another account's customer": Case(
        "GET", "/customers/{customer}/signatures/{signature}", 404, "not_found", token="other_account"),
    "a signature image the customer does not have": Case("GET", "/customers/{customer}/signatures/{signature}",
                                                         404, "not_found"),
    "the signature image of a text field": Case("GET", "/customers/{customer}/signatures/{time}", 404,
                                                "not_found"),
    "a signature in the portal without a session": Case("PUT", "/c/{account}/api/attributes", 401, "unauthorized",
                                                        token="missing",
                                                        body={"{signature}": png_base64()}),
}

CATALOGUE = {f"body: {k}": v for k, v in BODIES.items()}
CATALOGUE |= {f"id: {k}": v for k, v in IDS.items()}
CATALOGUE |= {f"token: {k}": v for k, v in TOKENS.items()}
CATALOGUE |= {f"filename: {k}": v for k, v in FILENAMES.items()}
CATALOGUE |= {f"portal: {k}": v for k, v in PORTAL.items()}
CATALOGUE |= {f"fields: {k}": v for k, v in FIELDS.items()}


def _segment(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def token_for(kind: str, account_id: str, other_account_id: str) -> str | None:
    from chalicelib.auth.tokens import issue_token
    from chalicelib.settings import get_settings

    settings = get_settings()
    now = int(time.time())
    claims = {"iss": settings.jwt_issuer, "aud": settings.jwt_audience, "sub": "mallory", "account": account_id,
              "role": "admin", "iat": now, "exp": now + 600}
    secret = settings.jwt_secret.get_secret_value()
    valid = issue_token(account_id, "mallory", "admin")
    tokens = {
        "admin": valid,
        "missing": None,
        "alg_none": f"{_segment({'alg': 'none', 'typ': 'JWT'})}.{_segment(claims)}.",
        "expired": jwt.encode({**claims, "iat": now - 7200, "exp": now - 3600}, secret, algorithm="HS256"),
        "other_key": jwt.encode(claims, "a-completely-different-key-of-enough-length!", algorithm="HS256"),
        "other_audience": jwt.encode({**claims, "aud": "someone-else"}, secret, algorithm="HS256"),
        "truncated": valid[: len(valid) - 12],
        "garbage": "not.a.token",
        "oversized": valid + "A" * 10_000,
        "superuser": jwt.encode({**claims, "role": "superuser"}, secret, algorithm="HS256"),
        "member": issue_token(account_id, "mallory", "member"),
        "other_account": issue_token(other_account_id, "mallory", "admin"),
        "ghost": issue_token(GHOST, "mallory", "admin"),
    }
    return tokens[kind] if kind != "basic" else None


@pytest.fixture(scope="module")
def victim(aws, application) -> dict[str, Any]:
    """One account with a customer for every case (each case checks that nothing of it changed), and
    another account."""
    from chalicelib.accounts.service import create_account
    from chalicelib.auth.tokens import issue_token
    from tests.conftest import new_account_id

    account_id, other_account_id = new_account_id("bad"), new_account_id("other")
    for created in (account_id, other_account_id):
        create_account(created)
    api = ApiClient(application.app, token=issue_token(account_id, "staff", "admin"))
    customer = api.post("/customers", {"name": "Anna Schmidt", "notes": "Stammkundin"}).json["id"]
    fields = {name: api.post("/attributes", {"name": name, "type": name, **extra}).json["id"]
              for name, extra in (("time", {}), ("info", {"text": "Bitte lesen"}), ("signature", {}))}
    return {"account_id": account_id, "other": other_account_id, "customer": customer, "api": api, "fields": fields}


def _filled(text: str, victim: dict[str, Any]) -> str:
    """A case's path, header or body with the victim's ids in place of `{customer}`, `{time}`, ..."""
    for name, value in {"customer": victim["customer"], "customer_upper": victim["customer"].upper(),
                        "account": victim["account_id"], **victim["fields"]}.items():
        text = text.replace("{" + name + "}", value)
    return text


@pytest.mark.parametrize("case", CATALOGUE.values(), ids=list(CATALOGUE))
def test_bad_input_is_refused_clearly_and_changes_nothing(victim, application, case: Case) -> None:
    account_id = victim["account_id"]
    path = _filled(case.path, victim)
    headers = {name: _filled(value, victim) for name, value in case.headers}
    body = json.loads(_filled(json.dumps(case.body), victim)) if case.body is not None else None
    if case.token == "basic":
        headers["authorization"] = "Basic " + base64.b64encode(b"admin:admin").decode()
    client = ApiClient(application.app, token=token_for(case.token, account_id, victim["other"]))
    caller = {"other_account": victim["other"], "ghost": GHOST}.get(case.token, account_id)
    before = snapshot(account_id), snapshot(victim["other"])

    with confined_to(caller):  # whatever the request reaches in DynamoDB is the caller's own
        reply = client.request(case.method, path, body, raw=case.raw, headers=headers)

    assert (reply.status, reply.error_code) == (case.status, case.code), reply
    error = reply.json["error"]
    assert error["message"] and isinstance(error["details"], list)
    assert reply.headers.get("Content-Type", "").startswith("application/json")
    assert (snapshot(account_id), snapshot(victim["other"])) == before


@pytest.mark.parametrize(("filename", "kept"), [
    ("../../etc/passwd.pdf", "passwd.pdf"),
    ("C:\\Users\\anna\\Beleg 2024.pdf", "Beleg 2024.pdf"),
    ("a\u0000b\u202e.pdf", "ab.pdf"),
    ("Übersicht – Nebenkosten 😀.pdf", "Übersicht – Nebenkosten 😀.pdf"),
])
def test_file_names_are_kept_as_data_never_as_paths(victim, filename: str, kept: str) -> None:
    """Names that are valid but unsafe are sanitised (the object key is the server's own, never the name)."""
    from chalicelib.storage import keys
    from chalicelib.storage.tables import main_table

    api, account_id, customer = victim["api"], victim["account_id"], victim["customer"]
    reply = api.post(f"/customers/{customer}/files", {"filename": filename, **PDF})
    assert reply.status == 201, reply
    file_id = reply.json["file_id"]
    assert reply.json["fields"]["key"] == f"files/{account_id}/{customer}/{file_id}"
    assert main_table().get(keys.reservation(account_id, file_id))["filename"] == kept


def test_unicode_text_survives_a_round_trip(victim) -> None:
    api = victim["api"]
    name = "Zoë Ångström-Øberg 😀 — ‹Büro› 東京"
    created = api.post("/customers", {"name": name, "notes": "Zeile 1\nZeile 2 🚀"})
    assert created.status == 201, created
    assert api.get(f"/customers/{created.json['id']}").json["name"] == name
