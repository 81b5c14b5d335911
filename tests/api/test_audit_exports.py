"""The audit log leaves the product two ways: as CSV (`POST /audit/export`, a job like the other exports) and, for
one customer, inside the customer's ZIP (`customer.json`'s `audit`)."""

from __future__ import annotations

import csv
import io
import json
import zipfile

from chalicelib.auth.tokens import issue_token
from tests.api.test_exports import download, run
from tests.support import events


def test_the_audit_log_exports_as_csv_with_the_filters_given(api, account, application, aws) -> None:
    bob = api.with_token(issue_token(account[0], "bob", "member"))
    customer = api.post("/customers", {"name": "Max Muster"}).json
    assert bob.patch(f"/customers/{customer['id']}", {"notes": "=HYPERLINK(\"x\")"}).status == 200
    link = bob.post(f"/customers/{customer['id']}/links", {"areas": ["general"]})
    assert link.status == 201

    job = run(api, application, aws, "/audit/export", {"actor": "bob"})
    assert (job["kind"], job["format"], job["status"], job["rows"]) == ("audit", "csv", "done", 2), job
    assert job["filename"].startswith("protokoll-") and job["filename"].endswith(".csv")
    rows = list(csv.reader(io.StringIO(download(job).content.decode("utf-8-sig")), delimiter=";"))
    assert rows[0] == ["Zeitpunkt (UTC)", "Benutzer", "Aktion", "Ziel", "Kunde", "IP-Adresse"]
    assert [(r[1], r[2], r[3], r[4]) for r in rows[1:]] == [
        ("bob", "create_link", f"/customers/{customer['id']}/links/{link.json['id']}", customer["id"]),
        ("bob", "update_customer", f"/customers/{customer['id']}", customer["id"])]
    everything = run(api, application, aws, "/audit/export", {})
    # The create, bob's two, the first export's request and its download URL (GET /exports/{id}), this request.
    assert everything["rows"] == 6
    assert api.post("/audit/export", {"from": "gestern"}).status == 422
    assert (bob.post("/audit/export", {}).status, bob.post("/audit/export", {}).error_code) == (403, "forbidden")


def test_the_customers_zip_holds_the_entries_about_them(api, account, application, aws) -> None:
    customer = api.post("/customers", {"name": "Dora Dossier"}).json
    other = api.post("/customers", {"name": "Otto Anders"}).json
    assert api.patch(f"/customers/{customer['id']}", {"notes": "Stammkundin"}).status == 200
    assert api.patch(f"/customers/{other['id']}", {"notes": "nicht dabei"}).status == 200
    presigned = api.post(f"/customers/{customer['id']}/files",
                         {"filename": "a.pdf", "size": 9, "content_type": "application/pdf"}).json
    events.post_upload(presigned, b"%PDF-1.7 ")
    events.drain(application, aws)
    assert api.get(f"/customers/{customer['id']}/files/{presigned['file_id']}").status == 200

    job = run(api, application, aws, f"/customers/{customer['id']}/export")
    document = json.loads(zipfile.ZipFile(io.BytesIO(download(job).content)).read("customer.json"))
    assert [(e["action"], e["target"]) for e in document["audit"]] == [
        ("create_customer", f"/customers/{customer['id']}"),
        ("update_customer", f"/customers/{customer['id']}"),
        ("staff_upload", f"/customers/{customer['id']}/files/{presigned['file_id']}"),
        ("get_file", f"/customers/{customer['id']}/files/{presigned['file_id']}"),
        ("request_customer_export", f"/customers/{customer['id']}/export")]
    assert {e["actor"] for e in document["audit"]} == {"admin-user"}
    assert all(e["ip"] == "127.0.0.1" and e["at"] for e in document["audit"])
