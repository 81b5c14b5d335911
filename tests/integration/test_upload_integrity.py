"""What a customer uploads stays what staff checked: an upload form used again makes the replacement visible
(review back to pending, history, new upload time, new version), a revoked or expired link's forms store
nothing, downloads and reviews name the version they are about, and what may not stay is quarantined, never
deleted unseen."""

from __future__ import annotations

import time
import urllib.parse

import boto3
import pytest

from chalicelib.settings import get_settings
from tests.support import events
from tests.support.staff import activity
from tests.support.uploads import presigned


@pytest.fixture
def customer(api) -> dict:
    return api.post("/customers", {"name": "Clara Kunde"}).json


@pytest.fixture
def link(api, customer) -> dict:
    reply = api.post(f"/customers/{customer['id']}/links", {"areas": ["general"]})
    assert reply.status == 201, reply
    return {**reply.json, "token": reply.json["url"].rsplit("/p/", 1)[1]}


def s3():
    return boto3.client("s3")


def current(key: str) -> dict:
    return s3().head_object(Bucket=get_settings().uploads_bucket, Key=key)


def quarantined(key: str) -> list[str]:
    listed = s3().list_objects_v2(Bucket=get_settings().uploads_bucket, Prefix=f"quarantine/{key}/")
    return [item["Key"] for item in listed.get("Contents", [])]


def body(key: str, version_id: str | None = None) -> bytes:
    extra = {"VersionId": version_id} if version_id else {}
    return s3().get_object(Bucket=get_settings().uploads_bucket, Key=key, **extra)["Body"].read()


def test_reusing_an_upload_form_after_review_puts_the_file_back_to_pending(api, anonymous, application, aws,
                                                                          customer, link) -> None:
    form = presigned(anonymous, link["token"], 100)
    events.post_upload(form, b"%PDF original")
    events.drain(application, aws)
    path = f"/customers/{customer['id']}/files/{form['file_id']}"
    checked = api.patch(path, {"review": "checked"}).json
    first = api.get(path).json
    assert first["version_id"] and checked["reviewed_version_id"] == first["version_id"]
    assert checked["review"] == "checked"

    time.sleep(0.01)
    events.post_upload(form, b"%PDF replaced!")  # the same form, within its lifetime
    events.drain(application, aws)

    replaced = api.get(path).json
    assert replaced["review"] == "pending" and replaced["review_comment"] is None
    assert replaced["uploaded_at"] > first["uploaded_at"]
    assert replaced["size"] == len(b"%PDF replaced!")
    assert replaced["version_id"] and replaced["version_id"] != first["version_id"]
    assert replaced["reviewed_version_id"] == first["version_id"], "the review was of the earlier version"
    [entry] = [e for e in activity(api, customer["id"]) if e["type"] == "file_replaced"]
    assert entry["data"]["file_id"] == form["file_id"] and entry["actor"] == "customer"
    assert api.get("/account").json["used_bytes"] == len(b"%PDF replaced!")
    # Downloads name the version the record describes; the reviewed one is still there.
    query = urllib.parse.parse_qs(urllib.parse.urlparse(replaced["download_url"]).query)
    assert query["versionId"] == [replaced["version_id"]]
    assert body(form["fields"]["key"], first["version_id"]) == b"%PDF original"


def test_a_review_refers_to_the_version_it_saw(api, anonymous, application, aws, customer, link) -> None:
    form = presigned(anonymous, link["token"], 100)
    events.post_upload(form, b"%PDF v1")
    events.drain(application, aws)
    path = f"/customers/{customer['id']}/files/{form['file_id']}"
    version = api.get(path).json["version_id"]
    api.patch(path, {"review": "needs_clarification", "review_comment": "Seite 2 fehlt"})
    [entry] = [e for e in activity(api, customer["id"]) if e["type"] == "file_reviewed"]
    assert entry["data"]["version_id"] == version


def test_an_upload_through_a_revoked_link_is_quarantined_not_kept(api, anonymous, application, aws, customer,
                                                                  link) -> None:
    form = presigned(anonymous, link["token"], 100)
    assert api.delete(f"/customers/{customer['id']}/links/{link['id']}").status == 204
    events.post_upload(form, b"%PDF too late")
    events.drain(application, aws)
    [file] = api.get(f"/customers/{customer['id']}/files").json["items"]
    assert (file["review"], file["reject_reason"]) == ("rejected", "link_revoked")
    key = form["fields"]["key"]
    with pytest.raises(s3().exceptions.ClientError):
        current(key)
    [kept] = quarantined(key)
    assert body(kept) == b"%PDF too late", "the bytes are kept for an operator"
    assert api.get("/account").json["used_bytes"] == 0


def test_an_overwrite_after_revocation_keeps_the_checked_version(api, anonymous, application, aws, customer,
                                                                 link) -> None:
    form = presigned(anonymous, link["token"], 100)
    events.post_upload(form, b"%PDF checked")
    events.drain(application, aws)
    path = f"/customers/{customer['id']}/files/{form['file_id']}"
    api.patch(path, {"review": "checked"})
    before = api.get(path).json
    assert api.delete(f"/customers/{customer['id']}/links/{link['id']}").status == 204
    events.post_upload(form, b"%PDF swapped")
    events.drain(application, aws)

    after = api.get(path).json
    assert (after["review"], after["version_id"], after["size"]) == ("checked", before["version_id"], before["size"])
    key = form["fields"]["key"]
    assert body(key) == b"%PDF checked", "the checked version is the object again"
    [kept] = quarantined(key)
    assert body(kept) == b"%PDF swapped"
    assert any(e["type"] == "file_rejected" and e["data"]["reason"] == "link_revoked"
               for e in activity(api, customer["id"]))
    assert api.get("/account").json["used_bytes"] == len(b"%PDF checked")


def test_an_upload_stored_before_the_revocation_is_kept_when_its_event_comes_later(
        api, anonymous, application, aws, customer, link) -> None:
    form = presigned(anonymous, link["token"], 100)
    events.post_upload(form, b"%PDF in time")
    time.sleep(1.1)  # S3 records whole seconds
    assert api.delete(f"/customers/{customer['id']}/links/{link['id']}").status == 204
    events.drain(application, aws)
    [file] = api.get(f"/customers/{customer['id']}/files").json["items"]
    assert file["review"] == "pending" and file["reject_reason"] is None
