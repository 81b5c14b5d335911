"""Approvals with signature: staff ask about a sent document, the signed-in customer approves or declines it once
with a name and a PNG; Dossier keeps the SHA-256 of the pinned version it reads itself, the signature in S3,
and the decision in the history and the customer's archive."""

from __future__ import annotations

import base64
import hashlib

import boto3
import pytest
import requests

from chalicelib.settings import get_settings
from tests.support import events
from tests.support.portal import PortalClient, access_link_session
from tests.support.samples import png_image as png

DOCUMENT = b"%PDF-1.4 Kostenvoranschlag 1.200 EUR"


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


@pytest.fixture
def account_id(account) -> str:
    return account[0]


@pytest.fixture
def customer(api) -> dict:
    return api.post("/customers", {"name": "Erika Muster", "email": "erika@example.com"}).json


@pytest.fixture
def portal(api, account_id, customer) -> PortalClient:
    return access_link_session(api, account_id, customer["id"])


def send_file(api, customer_id: str, content: bytes = DOCUMENT, filename: str = "Angebot.pdf") -> dict:
    sent = api.post(f"/customers/{customer_id}/files", {"filename": filename, "size": len(content),
                                                       "content_type": "application/pdf", "area": "general",
                                                       "direction": "sent"}).json
    events.post_upload(sent, content)
    return sent


@pytest.fixture
def approval(api, application, aws, customer) -> dict:
    sent = send_file(api, customer["id"])
    events.drain(application, aws)
    reply = api.post(f"/customers/{customer['id']}/approvals", {"file_id": sent["file_id"],
                                                                "message": "Bitte freigeben"})
    assert reply.status == 201, reply
    return reply.json


def decision(kind: str = "approved", image: bytes | None = None, **extra) -> dict:
    return {"decision": kind, "signer_name": "Erika Muster", "signature_png": b64(image or png()), **extra}


def test_the_customer_approves_with_a_signature_and_dossier_keeps_the_evidence(api, portal, customer,
                                                                              approval) -> None:
    assert approval["decision"] is None and approval["version_id"] and approval["filename"] == "Angebot.pdf"
    listed = portal.context()["approvals"]
    assert [(a["id"], a["decision"], a["message"]) for a in listed] == [(approval["id"], None, "Bitte freigeben")]
    assert listed[0]["download_url"] and approval["version_id"] in listed[0]["download_url"]

    image = png()
    reply = portal.post(f"api/approvals/{approval['id']}", decision(comment="Passt so"),
                        headers={"user-agent": "Testbrowser/1.0"})
    assert reply.status == 200, reply
    assert reply.json["decision"] == "approved" and reply.json["signer_name"] == "Erika Muster"
    assert reply.json["document_sha256"] == hashlib.sha256(DOCUMENT).hexdigest()

    staff = api.get(f"/customers/{customer['id']}/approvals").json["items"]
    assert [(a["decision"], a["comment"], a["ip"], a["user_agent"]) for a in staff] == [
        ("approved", "Passt so", "127.0.0.1", "Testbrowser/1.0")]
    assert staff[0]["signed_at"] and staff[0]["document_sha256"] == hashlib.sha256(DOCUMENT).hexdigest()
    stored = boto3.client("s3").list_objects_v2(Bucket=get_settings().uploads_bucket,
                                                Prefix=f"signatures/{portal.account_id}/{customer['id']}/")
    [signature] = stored["Contents"]
    body = boto3.client("s3").get_object(Bucket=get_settings().uploads_bucket, Key=signature["Key"])["Body"].read()
    assert body == image
    history = api.get(f"/customers/{customer['id']}/activity").json["items"]
    decided = next(e for e in history if e["type"] == "approval_decided")
    assert decided["data"]["decision"] == "approved" and decided["data"]["signer_name"] == "Erika Muster"
    assert any(e["type"] == "approval_requested" for e in history)
    assert portal.context()["approvals"][0]["decision"] == "approved"


def test_staff_fetch_the_signature_image_of_one_approval_and_each_hand_out_is_audited(api, portal, customer,
                                                                                      approval) -> None:
    one = f"/customers/{customer['id']}/approvals/{approval['id']}"
    undecided = api.get(one)
    assert undecided.status == 200 and undecided.json["signature_url"] is None
    assert approval["version_id"] in undecided.json["download_url"]
    image = png(80, 30)
    decided = portal.post(f"api/approvals/{approval['id']}", decision(image=image), headers={"user-agent": "x"})
    assert decided.status == 200 and decided.json["signature_url"] is None
    # The list hands out no URLs (a read of the tab records nothing); the one approval does, and is recorded.
    assert api.get(f"/customers/{customer['id']}/approvals").json["items"][0]["signature_url"] is None
    before = api.get(f"/audit?customer_id={customer['id']}").json["items"]
    url = api.get(one).json["signature_url"]
    assert f"signatures/{portal.account_id}/{customer['id']}/" in url and "Signature=" in url
    assert requests.get(url, timeout=10).content == image
    after = api.get(f"/audit?customer_id={customer['id']}").json["items"]
    assert [(e["action"], e["target"]) for e in after[: len(after) - len(before)]] == [("get_approval", one)]
    assert "signature_url" not in portal.context()["approvals"][0]


def test_one_approval_of_another_customer_or_an_unknown_id_is_not_found(api, customer, approval) -> None:
    other = api.post("/customers", {"name": "Otto Anders"}).json["id"]
    for path in (f"/customers/{other}/approvals/{approval['id']}",
                 f"/customers/{customer['id']}/approvals/00000000000000000000000000",
                 f"/customers/{customer['id']}/approvals/nonsense"):
        reply = api.get(path)
        assert (reply.status, reply.error_code) == (404, "not_found"), path


def test_the_hash_is_of_the_pinned_version_even_after_the_file_changed(api, application, aws, portal, customer,
                                                                      approval) -> None:
    key = f"files/{portal.account_id}/{customer['id']}/{approval['file_id']}"
    boto3.client("s3").put_object(Bucket=get_settings().uploads_bucket, Key=key, Body=b"%PDF changed")
    reply = portal.post(f"api/approvals/{approval['id']}", decision(), headers={"user-agent": "x"})
    assert reply.status == 200, reply
    assert reply.json["document_sha256"] == hashlib.sha256(DOCUMENT).hexdigest()


def test_decline_and_a_second_decision_is_refused(api, portal, customer, approval) -> None:
    declined = portal.post(f"api/approvals/{approval['id']}", decision("declined", comment="Zu teuer"))
    assert declined.status == 200 and declined.json["decision"] == "declined"
    again = portal.post(f"api/approvals/{approval['id']}", decision("approved"))
    assert (again.status, again.error_code) == (409, "conflict")
    assert [a["decision"] for a in api.get(f"/customers/{customer['id']}/approvals").json["items"]] == ["declined"]


@pytest.mark.parametrize(("image", "code"), [
    (b"GIF89a not a png at all", "invalid_signature"),
    (png()[:30], "invalid_signature"),
    (png(padding=155 * 1024), "signature_too_large"),
    (png(width=5000, height=1), "signature_too_large"),
])
def test_a_bad_signature_image_is_refused_and_nothing_is_decided(api, portal, customer, approval, image,
                                                                code) -> None:
    reply = portal.post(f"api/approvals/{approval['id']}", decision(image=image))
    assert (reply.status, reply.error_code) == (422, code)
    assert api.get(f"/customers/{customer['id']}/approvals").json["items"][0]["decision"] is None


def test_not_base64_is_refused(portal, approval) -> None:
    reply = portal.post(f"api/approvals/{approval['id']}", {**decision(), "signature_png": "%%%"})
    assert (reply.status, reply.error_code) == (422, "invalid_signature")


def test_csrf_and_the_permission_are_enforced(api, portal, customer, approval) -> None:
    missing = portal.post(f"api/approvals/{approval['id']}", decision(), csrf=False)
    assert (missing.status, missing.error_code) == (403, "csrf_failed")
    api.patch(f"/customers/{customer['id']}", {"portal_permissions": {"approve_documents": False}})
    denied = portal.post(f"api/approvals/{approval['id']}", decision())
    assert (denied.status, denied.error_code) == (403, "permission_denied")
    assert api.get(f"/customers/{customer['id']}/approvals").json["items"][0]["decision"] is None


def test_another_customers_approval_and_foreign_ids_are_not_found(api, application, aws, make_account, account_id,
                                                                  customer, approval) -> None:
    other = api.post("/customers", {"name": "Otto Anders", "email": "otto@example.com"}).json
    otto = access_link_session(api, account_id, other["id"])
    reply = otto.post(f"api/approvals/{approval['id']}", decision())
    assert (reply.status, reply.error_code) == (404, "not_found")
    assert otto.context()["approvals"] == []
    assert otto.post("api/approvals/not-an-id", decision()).status == 404
    # Staff: a file of another customer, a received file, an unknown customer, another account.
    received = api.post(f"/customers/{other['id']}/files", {"filename": "a.pdf", "size": 4,
                                                            "content_type": "application/pdf", "area": "general",
                                                            "direction": "received"}).json
    events.post_upload(received, b"%PDF")
    events.drain(application, aws)
    assert api.post(f"/customers/{other['id']}/approvals", {"file_id": approval["file_id"]}).status == 404
    assert api.post(f"/customers/{other['id']}/approvals", {"file_id": received["file_id"]}).status == 404
    assert api.post("/customers/nope/approvals", {"file_id": approval["file_id"]}).status == 404
    outsider = api.with_token(make_account()[1])
    assert outsider.get(f"/customers/{customer['id']}/approvals").status == 404
    assert outsider.post(f"/customers/{customer['id']}/approvals", {"file_id": approval["file_id"]}).status == 404


def test_the_customers_archive_holds_the_decision_and_the_signature_image(api, application, aws, portal, customer,
                                                                         approval) -> None:
    import io
    import json
    import zipfile

    from tests.api.test_exports import download, run

    image = png(200, 60)
    assert portal.post(f"api/approvals/{approval['id']}", decision(image=image, comment="Ok")).status == 200
    pending = api.post(f"/customers/{customer['id']}/approvals", {"file_id": approval["file_id"]}).json
    job = run(api, application, aws, f"/customers/{customer['id']}/export")
    archive = zipfile.ZipFile(io.BytesIO(download(job).content))
    document = json.loads(archive.read("customer.json"))
    assert [(a["id"], a["decision"], a["signature_path"]) for a in document["approvals"]] == [
        (approval["id"], "approved", f"signatures/{approval['id']}.png"), (pending["id"], None, None)]
    recorded = document["approvals"][0]
    assert recorded["signer_name"] == "Erika Muster" and recorded["comment"] == "Ok"
    assert recorded["document_sha256"] == hashlib.sha256(DOCUMENT).hexdigest() and recorded["ip"] == "127.0.0.1"
    assert archive.read(f"signatures/{approval['id']}.png") == image
    assert "approval_decided" in [e["type"] for e in document["activity"]]


def _signature_keys(account_id: str, customer_id: str) -> list[str]:
    listed = boto3.client("s3").list_objects_v2(Bucket=get_settings().uploads_bucket,
                                                Prefix=f"signatures/{account_id}/{customer_id}/")
    return [item["Key"] for item in listed.get("Contents", [])]


def _approval_items(account_id: str) -> list[dict]:
    table = boto3.resource("dynamodb").Table(get_settings().table_name)
    return [item for item in table.scan()["Items"]
            if item["pk"].startswith(account_id) and item.get("entity") == "approval"]


def test_deleting_the_customer_erases_their_approvals_and_signature_images(api, application, aws, portal, customer,
                                                                          approval) -> None:
    from chalicelib.lifecycle.service import delete_customer
    from tests.support.jobs import drain_jobs

    assert portal.post(f"api/approvals/{approval['id']}", decision()).status == 200
    api.post(f"/customers/{customer['id']}/approvals", {"file_id": approval["file_id"]})
    assert len(_signature_keys(portal.account_id, customer["id"])) == 1
    assert len(_approval_items(portal.account_id)) == 2
    assert api.delete(f"/customers/{customer['id']}").status == 202
    drain_jobs(application, aws)
    assert _signature_keys(portal.account_id, customer["id"]) == []
    assert _approval_items(portal.account_id) == []
    delete_customer(portal.account_id, customer["id"])  # a redelivered job finds nothing left to do


def test_a_merge_moves_the_duplicates_approvals_to_the_target(api, application, aws, portal, customer,
                                                             approval) -> None:
    from tests.support.jobs import drain_jobs

    image = png(90, 30)
    assert portal.post(f"api/approvals/{approval['id']}", decision(image=image)).status == 200
    target = api.post("/customers", {"name": "Erika Muster-Neu"}).json
    reply = api.post(f"/customers/{target['id']}/merge", {"source_id": customer["id"], "take": {}})
    assert reply.status == 200, reply
    moved = api.get(f"/customers/{target['id']}/approvals").json["items"]
    assert [(a["id"], a["decision"]) for a in moved] == [(approval["id"], "approved")]
    assert [item["customer_id"] for item in _approval_items(portal.account_id)] == [target["id"]]
    # The image stays under the source's prefix; the approval keeps its key.
    [key] = _signature_keys(portal.account_id, customer["id"])
    assert _approval_items(portal.account_id)[0]["signature_key"] == key
    # Deleting the target later erases the moved approval's image too.
    assert api.delete(f"/customers/{target['id']}").status == 202
    drain_jobs(application, aws)
    assert _signature_keys(portal.account_id, customer["id"]) == []
    assert _approval_items(portal.account_id) == []
