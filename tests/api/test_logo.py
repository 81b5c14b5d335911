"""The portal logo: `POST /account/logo` presigns, `PUT /account/logo` checks and shows it, `DELETE` removes it."""

from __future__ import annotations

import base64
import json

import boto3
import pytest

from chalicelib.auth.tokens import issue_token
from chalicelib.settings import get_settings
from tests.support import events

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x01" * 200
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x02" * 300
WEBP = b"RIFF\x24\x00\x00\x00WEBPVP8 " + b"\x03" * 100


def presign(api, content: bytes, filename: str = "logo.png", content_type: str = "image/png", size: int | None = None):
    return api.post("/account/logo", {"filename": filename, "size": len(content) if size is None else size,
                                      "content_type": content_type})


def upload(api, content: bytes, stored_type: str | None = None, **kwargs) -> str:
    reply = presign(api, content, **kwargs)
    assert reply.status == 201, reply
    events.post_upload(reply.json, content, content_type=stored_type)
    return reply.json["logo_id"]


def branding_keys(account_id: str) -> list[str]:
    listed = boto3.client("s3").list_objects_v2(Bucket=get_settings().uploads_bucket, Prefix=f"branding/{account_id}/")
    return sorted(item["Key"] for item in listed.get("Contents", []))


def test_the_presigned_post_pins_the_branding_key_the_type_and_the_size(api, account) -> None:
    reply = presign(api, PNG)
    assert reply.status == 201, reply
    body = reply.json
    assert set(body) == {"logo_id", "url", "fields", "expires_at"}
    key = f"branding/{account[0]}/logo-{body['logo_id']}"
    assert body["fields"]["key"] == key
    policy = json.loads(base64.b64decode(body["fields"]["policy"]))
    assert {"key": key} in policy["conditions"]
    assert {"Content-Type": "image/png"} in policy["conditions"]
    assert ["content-length-range", 1, len(PNG)] in policy["conditions"]


@pytest.mark.parametrize(("filename", "content_type", "size", "status", "code"), [
    ("logo.png", "image/png", 1_048_577, 413, "file_too_large"),
    ("logo.pdf", "application/pdf", 1000, 415, "unsupported_type"),
    ("logo.svg", "image/svg+xml", 1000, 415, "unsupported_type"),
    ("logo.jpg", "image/png", 1000, 415, "unsupported_type"),
    ("logo.png", "image/png", 0, 422, "validation_error"),
])
def test_presigning_refuses_what_cannot_be_a_logo(api, filename, content_type, size, status, code) -> None:
    reply = api.post("/account/logo", {"filename": filename, "size": size, "content_type": content_type})
    assert (reply.status, reply.error_code) == (status, code)


def test_a_logo_at_the_limit_of_one_megabyte_is_accepted(api) -> None:
    assert presign(api, PNG, size=1_048_576).status == 201


def test_only_admins_may_change_the_logo(api, anonymous, account) -> None:
    member = api.with_token(issue_token(account[0], "bob", "member"))
    assert (member.post("/account/logo", {"filename": "l.png", "size": 10, "content_type": "image/png"}).status
            == 403)
    assert member.put("/account/logo", {"logo_id": "0" * 28}).status == 403
    assert member.delete("/account/logo").status == 403
    assert anonymous.post("/account/logo", {"filename": "l.png", "size": 10, "content_type": "image/png"}).status \
        == 401


def test_an_uploaded_logo_shows_after_it_is_confirmed_and_replaces_the_old_one(api, account) -> None:
    first = upload(api, PNG)
    assert api.get("/account").json["branding"]["logo_url"] is None, "not before it is confirmed"
    reply = api.put("/account/logo", {"logo_id": first})
    assert reply.status == 200, reply
    assert f"branding/{account[0]}/logo-{first}" in reply.json["branding"]["logo_url"]

    abandoned = presign(api, PNG).json["logo_id"]  # presigned, never uploaded
    second = upload(api, JPEG, filename="logo.jpeg", content_type="image/jpeg")
    assert api.put("/account/logo", {"logo_id": second}).status == 200
    logo_url = api.get("/account").json["branding"]["logo_url"]
    assert f"logo-{second}" in logo_url
    assert branding_keys(account[0]) == [f"branding/{account[0]}/logo-{second}"], "the old logo is gone"
    assert api.put("/account/logo", {"logo_id": abandoned}).error_code == "validation_error"
    assert api.put("/account/logo", {"logo_id": first}).error_code == "validation_error"


def test_patching_the_branding_keeps_the_logo(api) -> None:
    logo_id = upload(api, WEBP, filename="logo.webp", content_type="image/webp")
    assert api.put("/account/logo", {"logo_id": logo_id}).status == 200
    assert api.patch("/account", {"branding": {"company_name": "Neu"}}).status == 200
    branding = api.get("/account").json["branding"]
    assert branding["company_name"] == "Neu" and f"logo-{logo_id}" in branding["logo_url"]


def test_an_upload_that_breaks_the_limits_is_deleted_and_not_shown(api, account) -> None:
    # moto does not enforce the POST policy (neither would a race on AWS): the confirmation checks again.
    too_large = upload(api, PNG[:16] + b"\x00" * 1_048_576, size=1000)
    reply = api.put("/account/logo", {"logo_id": too_large})
    assert (reply.status, reply.error_code) == (413, "file_too_large")

    other_type = upload(api, b"<html><script>alert(1)</script></html>", stored_type="text/html")
    reply = api.put("/account/logo", {"logo_id": other_type})
    assert (reply.status, reply.error_code) == (415, "unsupported_type")

    not_an_image = upload(api, b"<html><script>alert(1)</script></html>")
    reply = api.put("/account/logo", {"logo_id": not_an_image})
    assert (reply.status, reply.error_code) == (415, "unsupported_type")

    assert api.get("/account").json["branding"]["logo_url"] is None
    assert branding_keys(account[0]) == []


@pytest.mark.parametrize("logo_id", ["../../files/x", "0" * 28, "not-an-id"])
def test_confirming_something_that_was_not_uploaded_is_refused(api, logo_id) -> None:
    reply = api.put("/account/logo", {"logo_id": logo_id})
    assert (reply.status, reply.error_code) == (422, "validation_error")
    assert reply.json["error"]["details"][0]["field"] == "logo_id"


def test_another_accounts_logo_cannot_be_taken(api, make_account) -> None:
    other_id, other_token = make_account()
    theirs = upload(api.with_token(other_token), PNG)
    assert api.put("/account/logo", {"logo_id": theirs}).error_code == "validation_error"
    assert branding_keys(other_id) == [f"branding/{other_id}/logo-{theirs}"], "theirs is untouched"


def test_deleting_the_logo_removes_it_from_the_account_and_the_bucket(api, account) -> None:
    logo_id = upload(api, PNG)
    assert api.put("/account/logo", {"logo_id": logo_id}).status == 200
    assert api.delete("/account/logo").status == 204
    assert api.get("/account").json["branding"]["logo_url"] is None
    assert branding_keys(account[0]) == []
    assert api.delete("/account/logo").status == 204, "idempotent"


def test_openapi_describes_the_logo_routes(anonymous) -> None:
    paths = anonymous.get("/openapi.json").json["paths"]
    assert set(paths["/account/logo"]) == {"post", "put", "delete"}
    assert paths["/account/logo"]["post"]["security"] == [{"bearer": []}]
