"""GET/PATCH /account, staff auth at the edge, and the error shape for bad input."""

from __future__ import annotations

import json

import pytest

from chalicelib.auth.tokens import issue_token


def test_an_admin_reads_the_account_with_the_contract_fields(api, account) -> None:
    reply = api.get("/account")
    assert reply.status == 200, reply
    body = reply.json
    assert body["id"] == account[0]
    assert body["plan"] == "pro" and body["customer_limit"] == 50
    assert body["quota_bytes"] == 536_870_912 and body["max_file_bytes"] == 5_242_880
    assert body["used_bytes"] == 0 and body["customers_count"] == 0
    assert set(body["branding"]) == {"company_name", "logo_url", "contact_email", "contact_phone", "address",
                                     "description"}
    assert body["portal"] == {"enabled": True, "default_for_new_customers": True, "permissions": {
        "upload": True, "edit_profile": True, "see_sent_files": True, "delete_pending_uploads": True,
        "approve_documents": True, "message": True}}
    assert body["export_schedule"]["enabled"] is False
    assert reply.headers["X-Content-Type-Options"] == "nosniff"


def test_patch_changes_only_the_named_fields_and_merges_sections(api) -> None:
    reply = api.patch("/account", {"name": "Kanzlei Schmidt", "branding": {"company_name": "Kanzlei Schmidt",
                                                                           "contact_phone": "+49 821 1234"}})
    assert reply.status == 200, reply
    reply = api.patch("/account", {"branding": {"description": "Wir freuen uns auf Ihre Unterlagen."},
                                   "notification_email": "team@kanzlei.example",
                                   "export_schedule": {"enabled": True, "formats": ["csv", "xlsx"]},
                                   "portal": {"default_for_new_customers": False}})
    assert reply.status == 200, reply
    body = api.get("/account").json
    assert body["name"] == "Kanzlei Schmidt"
    assert body["branding"]["company_name"] == "Kanzlei Schmidt"
    assert body["branding"]["contact_phone"] == "+49 821 1234"
    assert body["branding"]["description"] == "Wir freuen uns auf Ihre Unterlagen."
    assert body["notification_email"] == "team@kanzlei.example"
    assert body["export_schedule"] == {"enabled": True, "formats": ["csv", "xlsx"]}
    assert {k: v for k, v in body["portal"].items() if k != "permissions"} == {
        "enabled": True, "default_for_new_customers": False}
    assert all(body["portal"]["permissions"].values())  # untouched by a PATCH that did not name them


def test_a_member_may_read_but_not_change_the_account(api, account) -> None:
    member = api.with_token(issue_token(account[0], "bob", "member"))
    assert member.get("/account").status == 200
    reply = member.patch("/account", {"name": "Hijacked"})
    assert (reply.status, reply.error_code) == (403, "forbidden")
    assert api.get("/account").json["name"] != "Hijacked"


def test_each_token_sees_only_its_own_account(api, make_account) -> None:
    other_id, other_token = make_account(plan="solo")
    assert api.with_token(other_token).get("/account").json["id"] == other_id
    assert api.get("/account").json["id"] != other_id


def test_a_token_for_an_account_that_does_not_exist_gets_404(api) -> None:
    reply = api.with_token(issue_token("ghost-account", "u1", "admin")).get("/account")
    assert (reply.status, reply.error_code) == (404, "not_found")


@pytest.mark.parametrize(
    "token",
    [None, "not-a-jwt", "a.b.c", issue_token("acme", "u1", "admin", ttl_seconds=1)[:-4] + "abcd"],
    ids=["missing", "garbage", "three-parts", "bad-signature"],
)
def test_requests_without_a_valid_token_get_401_in_the_contract_shape(anonymous, token) -> None:
    reply = anonymous.with_token(token).get("/account")
    assert reply.status == 401
    assert reply.json["error"]["code"] == "unauthorized"
    assert reply.json["error"]["message"]


def test_an_expired_token_gets_401(anonymous, account) -> None:
    expired = issue_token(account[0], "u1", "admin", ttl_seconds=-60)
    assert anonymous.with_token(expired).get("/account").status == 401


def test_unknown_routes_and_methods_answer_json(api) -> None:
    reply = api.get("/no/such/route")
    assert (reply.status, reply.error_code) == (404, "not_found")
    reply = api.delete("/account")
    assert (reply.status, reply.error_code) == (405, "method_not_allowed")


@pytest.mark.parametrize(
    "raw,status",
    [
        (b'{"name": ', 400),
        (b"name=x", 400),
        (b"[1, 2]", 422),
        (b'"just a string"', 422),
        (b'{"name": 12}', 422),
        (b'{"name": ""}', 422),
        (b'{"name": "a\\u0000b"}', 422),
        (b'{"name": "line\\nbreak"}', 422),
        (b'{"name": "' + b"x" * 201 + b'"}', 422),
        (b'{"unknown_field": 1}', 422),
        (b'{"plan": "team"}', 422),
        (b'{"used_bytes": 0}', 422),
        (b'{"notification_email": "not-an-address"}', 422),
        (b'{"branding": {"logo_url": "http://evil"}}', 422),
        (b'{"export_schedule": {"formats": []}}', 422),
        (b'{"export_schedule": {"formats": ["pdf"]}}', 422),
        (b'{"branding": "x"}', 422),
        (b"[" * 5000 + b"]" * 5000, 400),
        (b'{"name": "' + b"x" * (300 * 1024) + b'"}', 413),
    ],
    ids=["truncated", "form", "array", "string", "number-name", "empty-name", "nul", "newline", "too-long",
         "unknown-field", "plan", "read-only-counter", "email", "logo-url", "no-formats", "bad-format",
         "section-type", "deep-nesting", "300-kib"],
)
def test_bad_bodies_get_a_clear_4xx_and_change_nothing(api, raw: bytes, status: int) -> None:
    before = api.get("/account").json
    reply = api.patch("/account", raw=raw)
    assert reply.status == status, reply
    error = reply.json["error"]
    assert error["code"] in ("validation_error", "payload_too_large") and error["message"]
    if status == 422:
        assert error["details"] and all("field" in d for d in error["details"])
    assert api.get("/account").json == before


def test_a_non_json_content_type_is_refused_with_415(api) -> None:
    reply = api.patch("/account", raw=b'{"name": "x"}', headers={"content-type": "text/plain"})
    assert (reply.status, reply.error_code) == (415, "unsupported_media_type")


def test_an_unexpected_failure_answers_500_internal_with_a_request_id(api) -> None:
    from tests.support.faults import failing

    with failing("dynamodb", "GetItem", lambda: RuntimeError("disk on fire")):
        reply = api.get("/account")
    assert reply.status == 500
    assert reply.json["error"]["code"] == "internal"
    assert "disk on fire" not in reply.body.decode()
    assert reply.json["error"]["request_id"]


def test_an_unexpected_failure_is_logged_as_json_with_its_stack_request_and_account(api, account) -> None:
    import logging

    from chalicelib.observability import SERVICE, logger
    from tests.support.faults import failing

    lines: list[str] = []
    catcher = logging.Handler(logging.ERROR)
    catcher.emit = lambda record: lines.append(catcher.format(record))  # type: ignore[method-assign]
    catcher.setFormatter(logger.registered_formatter)  # the JSON lines CloudWatch receives
    logging.getLogger(SERVICE).addHandler(catcher)
    try:
        with failing("dynamodb", "GetItem", lambda: RuntimeError("disk on fire")):
            reply = api.get("/account")
    finally:
        logging.getLogger(SERVICE).removeHandler(catcher)
    errors = [json.loads(line) for line in lines]
    assert len(errors) == 1, errors
    logged = errors[0]
    assert "RuntimeError: disk on fire" in logged["exception"] and "Traceback" in logged["exception"]
    assert logged["request_id"] == reply.json["error"]["request_id"]
    assert logged["account_id"] == account[0]
    assert logged["service"] == "dossier-service", "the service's name, not the Chalice app's"


def test_openapi_needs_no_token_and_describes_every_registered_route(anonymous, application) -> None:
    reply = anonymous.get("/openapi.json")
    assert reply.status == 200
    document = reply.json
    assert document["openapi"].startswith("3.")
    described = {(path, method.upper()) for path, ops in document["paths"].items() for method in ops}
    registered = {(path, method) for path, methods in application.app.routes.items() for method in methods}
    assert described == registered
    account_get = document["paths"]["/account"]["get"]
    assert account_get["security"] == [{"bearer": []}]
    assert "401" in account_get["responses"]
    json.dumps(document)  # serialisable


def test_patch_cannot_book_storage_or_change_the_plan(api) -> None:
    """What an account pays for is the operator's (change_subscription), never the tenant's."""
    for body in ({"extra_storage_bytes": 10**9}, {"plan": "team"}, {"quota_bytes": 10**12}):
        reply = api.patch("/account", body)
        assert (reply.status, reply.error_code) == (422, "validation_error"), (body, reply)
    account = api.get("/account").json
    assert (account["plan"], account["quota_bytes"]) == ("pro", 536870912)


def test_booked_extra_storage_raises_the_quota_the_upload_pipeline_enforces(api, account, aws, application) -> None:
    from chalicelib.accounts.service import change_subscription
    from chalicelib.storage import keys
    from chalicelib.storage.tables import main_table
    from tests.support import events

    events.take_messages(aws)
    account_id = account[0]
    main_table().update(keys.account(account_id), "SET base_quota_bytes = :q", values={":q": 1_000})
    customer = api.post("/customers", {"name": "Lena Vogel"}).json["id"]
    upload = {"filename": "grundbuch.pdf", "size": 1_500, "content_type": "application/pdf"}
    refused = api.post(f"/customers/{customer}/files", upload)
    assert (refused.status, refused.error_code) == (413, "quota_exceeded")

    booked = change_subscription(account_id, extra_storage_bytes=1_000)
    assert (booked.extra_storage_bytes, booked.quota_bytes) == (1_000, 2_000)
    assert api.get("/account").json["quota_bytes"] == 2_000
    presigned = api.post(f"/customers/{customer}/files", upload)
    assert presigned.status == 201, presigned
    events.post_upload(presigned.json, b"g" * 1_500)
    events.drain(application, aws)
    assert api.get("/account").json["used_bytes"] == 1_500, "the event handler counts against the booked quota"


def test_a_bigger_plan_lifts_the_customer_limit_and_a_smaller_one_keeps_what_exists(api, make_account) -> None:
    from chalicelib.accounts.service import change_subscription

    account_id, token = make_account(plan="solo")
    solo = api.with_token(token)
    for n in range(10):
        assert solo.post("/customers", {"name": f"Kunde {n}"}).status == 201
    assert solo.post("/customers", {"name": "Kunde 10"}).error_code == "plan_limit"
    assert change_subscription(account_id, plan="pro").plan == "pro"
    assert solo.post("/customers", {"name": "Kunde 10"}).status == 201
    change_subscription(account_id, plan="solo")
    assert solo.get("/account").json["customers_count"] == 11, "a downgrade deletes nothing"
    assert solo.post("/customers", {"name": "Kunde 11"}).error_code == "plan_limit"


@pytest.mark.parametrize("change", [{"plan": "gold"}, {"extra_storage_bytes": -1},
                                    {"extra_storage_bytes": 1024**4 + 1}])
def test_a_bad_subscription_change_is_refused_and_changes_nothing(account, change) -> None:
    from chalicelib.accounts.repository import AccountRepository
    from chalicelib.accounts.service import change_subscription
    from chalicelib.errors import InvalidInputError

    before = AccountRepository().get(account[0])
    with pytest.raises(InvalidInputError):
        change_subscription(account[0], **change)
    assert AccountRepository().get(account[0]) == before


def test_a_subscription_change_for_an_unknown_account_is_not_found_and_creates_nothing(aws) -> None:
    from chalicelib.accounts.repository import AccountRepository
    from chalicelib.accounts.service import change_subscription
    from chalicelib.errors import NotFoundError

    with pytest.raises(NotFoundError):
        change_subscription("no-such-account", plan="team")
    assert AccountRepository().get("no-such-account") is None
