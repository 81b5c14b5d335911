"""The one-time local login: a code signs staff in once, for at most 15 minutes, on the local stage only."""

from __future__ import annotations

import time

import pytest

from chalicelib.locallogin import service
from chalicelib.settings import reset_settings


def test_a_code_signs_in_once_with_the_role_and_user_it_was_issued_for(anonymous, account) -> None:
    account_id, _ = account
    code = service.issue_login_code(account_id, role="member", user_id="bob")
    reply = anonymous.post("/_local/login", {"code": code})
    assert reply.status == 200, reply
    assert {k: reply.json[k] for k in ("account", "role", "user")} == {"account": account_id, "role": "member",
                                                                       "user": "bob"}
    signed_in = anonymous.with_token(reply.json["token"])
    assert signed_in.get("/account").json["id"] == account_id
    assert signed_in.patch("/account", {"name": "x"}).status == 403, "a member's token"
    again = anonymous.post("/_local/login", {"code": code})
    assert (again.status, again.error_code) == (401, "unauthorized"), "single use"


def test_the_default_is_the_accounts_admin(anonymous, account) -> None:
    account_id, _ = account
    reply = anonymous.post("/_local/login", {"code": service.issue_login_code(account_id)})
    assert (reply.json["role"], reply.json["user"]) == ("admin", f"{account_id}-admin")


def test_unknown_tampered_foreign_and_expired_codes_are_refused(anonymous, account, make_account, monkeypatch) -> None:
    account_id, _ = account
    other_id, _ = make_account()
    code = service.issue_login_code(account_id)
    secret = code.split(".", 1)[1]
    for bad in (f"{account_id}.{'A' * 43}", f"{other_id}.{secret}", code[:-1] + ("A" if code[-1] != "A" else "B"),
                "nonsense", f"{account_id}.{secret}.x"):
        reply = anonymous.post("/_local/login", {"code": bad})
        assert (reply.status, reply.error_code) == (401, "unauthorized"), bad
    assert anonymous.post("/_local/login", {}).status == 422
    expired = service.issue_login_code(account_id)
    real_time = time.time
    monkeypatch.setattr(time, "time", lambda: real_time() + service.CODE_TTL_SECONDS + 1)
    reply = anonymous.post("/_local/login", {"code": expired})
    assert (reply.status, reply.error_code) == (401, "unauthorized"), "older than 15 minutes"
    monkeypatch.undo()
    assert anonymous.post("/_local/login", {"code": code}).status == 200, "the refusals did not spend the code"


def test_no_code_for_an_unknown_account(aws) -> None:
    from chalicelib.errors import NotFoundError

    with pytest.raises(NotFoundError):
        service.issue_login_code("no-such-account")


def test_the_console_url_carries_the_code_in_its_fragment(aws) -> None:
    assert service.console_login_url("demo.abc") == "http://127.0.0.1:1/app/#login=demo.abc"


def test_local_routes_do_not_exist_on_any_other_stage(anonymous, account, monkeypatch) -> None:
    from chalicelib import errors

    code = service.issue_login_code(account[0])  # while the stage is still local
    monkeypatch.setenv("DOSSIER_STAGE", "prod")
    monkeypatch.setenv("DOSSIER_JWT_SECRET", "p" * 48)
    reset_settings()
    try:
        for method, path, body in (("POST", "/_local/login", {"code": code}), ("POST", "/_local/login", {}),
                                   ("POST", "/_local/login", None), ("GET", "/_local/outbox", None),
                                   ("GET", "/_local/outbox.json", None)):
            reply = anonymous.request(method, path, body)
            assert (reply.status, reply.error_code) == (404, "not_found"), (method, path, reply)
        with pytest.raises(errors.NotFoundError):
            service.issue_login_code(account[0])
    finally:
        monkeypatch.undo()
        reset_settings()
    assert anonymous.post("/_local/login", {"code": code}).status == 200, "the code was not spent on prod"
