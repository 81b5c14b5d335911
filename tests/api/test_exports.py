"""Exports through the API, run in-process: request → job queued → handler → file in the exports bucket.

Every file is read back with the tools a user's software would use (csv, openpyxl, zipfile) and compared
with what the API says about the customers.
"""

from __future__ import annotations

import csv
import datetime
import functools
import io
import json
import re
import urllib.parse
import zipfile

import boto3
import openpyxl
import pytest
import requests

from chalicelib.settings import get_settings
from tests.support import events, faults, jobs, staff

CSV_HEADER = ["Kundennummer", "Name", "E-Mail", "Firma", "Telefon", "Status", "Gruppen", "Notizen", "Angelegt (UTC)",
              "Geändert (UTC)", "Dateien", "Bytes", "Letzter Upload (UTC)"]
TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$")
NEGATIVE_NUMBER = re.compile(r"^-\d+(,\d+)?$")


def s3():
    return boto3.client("s3")


def exports_bucket() -> str:
    return get_settings().exports_bucket


def keys_under(prefix: str) -> list[str]:
    return sorted(o["Key"] for o in s3().list_objects_v2(Bucket=exports_bucket(), Prefix=prefix).get("Contents", []))


def download(job: dict) -> requests.Response:
    """The archive behind a finished job's link, which lives at most an hour (presigned GET)."""
    query = urllib.parse.parse_qs(urllib.parse.urlparse(job["download_url"]).query)
    assert 0 < int(query["X-Amz-Expires"][0]) <= 3600
    reply = requests.get(job["download_url"], timeout=30)
    assert reply.status_code == 200, reply.text
    return reply


def run(api, application, aws, path: str, body: dict | None = None) -> dict:
    """Request an export, run the queued job, return the finished job as GET shows it."""
    reply = api.post(path, body)
    assert reply.status == 202, reply
    assert jobs.drain_jobs(application, aws) == 1
    done = api.get(f"/exports/{reply.json['id']}")
    assert done.status == 200
    return done.json


def module_account(application, plan: str = "pro"):
    """A client for an account of its own, shared by a module's tests (moto's queries cost grows with the table,
    so tests that only read share their data)."""
    from chalicelib.accounts.service import create_account
    from chalicelib.auth.tokens import issue_token
    from tests.conftest import new_account_id
    from tests.support.api import ApiClient

    account_id = new_account_id("x")
    create_account(account_id, name="Kanzlei Export", plan=plan)
    return ApiClient(application.app, token=issue_token(account_id, "admin-user", "admin"))


def define(api, name: str, kind: str, **extra) -> str:
    reply = api.post("/attributes", {"scope": "customer", "name": name, "type": kind, **extra})
    assert reply.status == 201, reply
    return reply.json["id"]


@pytest.fixture(scope="module")
def register(application) -> dict:
    """An account with attributes of every type, two groups and three customers; tests only read them."""
    api = module_account(application)
    attributes = {
        "Steuer-ID": define(api, "Steuer-ID", "text"),
        "Kinder": define(api, "Kinder", "number"),
        "Umsatz": define(api, "Umsatz", "decimal"),
        "Newsletter": define(api, "Newsletter", "boolean"),
        "Geburtstag": define(api, "Geburtstag", "date"),
        "Tarif": define(api, "Tarif", "select", options=["Basis", "Premium"]),
        "Bemerkung": define(api, "Bemerkung", "multiline_text"),
        "Name": define(api, "name", "text"),  # clashes with a fixed column
        "Ausweis": define(api, "Ausweis", "file"),
    }
    groups = {name: api.post("/groups", {"name": name}).json["id"] for name in ("VIP", "Bestand")}
    customers = [
        api.post("/customers", {
            "name": "Anna Schmidt", "email": "anna@example.com", "company": "Schmidt GmbH", "phone": "+49 30 1234",
            "notes": "Ruft gern an.\nZweite Zeile; mit \"Zitat\"", "groups": [groups["VIP"], groups["Bestand"]],
            "attributes": {attributes["Steuer-ID"]: "=HYPERLINK(\"http://evil\")", attributes["Kinder"]: 2,
                           attributes["Umsatz"]: 1234.5, attributes["Newsletter"]: True,
                           attributes["Geburtstag"]: "1980-05-17", attributes["Tarif"]: "Premium",
                           attributes["Bemerkung"]: "@SUM(A1)", attributes["Name"]: "Ann"},
        }).json,
        api.post("/customers", {"name": "-Bernd Müller", "status": "complete",
                                "attributes": {attributes["Umsatz"]: -0.25, attributes["Newsletter"]: False}}).json,
        api.post("/customers", {"name": "Café Größe", "company": "Größe & Söhne",
                                "attributes": {attributes["Bemerkung"]: "\teingerückt\r\n=1+1"}}).json,
    ]
    assert all("id" in c for c in customers), customers
    return {"api": api, "attributes": attributes, "groups": groups, "customers": customers}


def staff_upload(api, application, aws, customer_id: str, filename: str, content: bytes, content_type: str,
                 area: str = "general", direction: str = "received") -> str:
    """Upload a file as staff and let its S3 event be handled (one at a time: upload order is file order)."""
    form = staff.upload_file(api, customer_id, content, filename, content_type, area=area, direction=direction)
    events.drain(application, aws)
    return form["file_id"]


@pytest.fixture(scope="module")
def archived(application, aws) -> dict:
    """An account with a customer who has files in two areas (two of the same name), a link and history."""
    api = module_account(application)
    passport = define(api, "Ausweis", "file")
    tax_id = define(api, "Steuer-ID", "text")
    amount = define(api, "Umsatz", "decimal")
    group = api.post("/groups", {"name": "VIP"}).json["id"]
    customer = api.post("/customers", {"name": "Dora Dossier", "email": "dora@example.com", "notes": "Stammkundin",
                                       "groups": [group], "attributes": {tax_id: "=1+1", amount: 12.5}}).json
    contents = {
        "files/Allgemeine Dokumente/Beleg.pdf": b"%PDF-1.7 erster Beleg",
        "files/Allgemeine Dokumente/beleg (2).PDF": b"%PDF-1.7 zweiter Beleg, gleicher Name",
        "files/Allgemeine Dokumente/notiz.txt": b"Hallo\n" * 100,
        "files/Ausweis/ausweis.png": b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4,
    }
    upload = functools.partial(staff_upload, api, application, aws, customer["id"])
    upload("Beleg.pdf", contents["files/Allgemeine Dokumente/Beleg.pdf"], "application/pdf")
    upload("beleg.PDF", contents["files/Allgemeine Dokumente/beleg (2).PDF"], "application/pdf")
    upload("../../notiz.txt", contents["files/Allgemeine Dokumente/notiz.txt"], "text/plain", direction="sent")
    upload("ausweis.png", contents["files/Ausweis/ausweis.png"], "image/png", area=passport)
    link = api.post(f"/customers/{customer['id']}/links", {"areas": ["general", passport]}).json
    assert "url" in link, link
    return {"api": api, "customer": customer, "contents": contents, "link": link}


# --- all customers as CSV ---


def test_a_csv_export_is_queued_at_once_and_runs_in_the_jobs_handler(application, aws, register) -> None:
    api = register["api"]
    reply = api.post("/exports", {"format": "csv"})

    assert reply.status == 202
    assert reply.json["status"] == "pending" and reply.json["kind"] == "customers"
    assert reply.json["download_url"] is None
    assert jobs.queued_jobs(aws) == 1
    assert api.get(f"/exports/{reply.json['id']}").json["status"] == "pending"

    assert jobs.drain_jobs(application, aws) == 1
    job = api.get(f"/exports/{reply.json['id']}").json
    assert job["status"] == "done", job
    assert job["rows"] == 3 and job["reason"] is None and job["finished_at"] >= job["started_at"]
    body = download(job).content
    assert job["size"] == len(body)


def test_the_csv_opens_in_german_excel_with_every_value_and_no_formula(application, aws, register) -> None:
    job = run(register["api"], application, aws, "/exports", {"format": "csv"})
    reply = download(job)
    assert "attachment" in reply.headers["Content-Disposition"] and job["filename"].endswith(".csv")
    raw = reply.content

    assert raw.startswith(b"\xef\xbb\xbf"), "UTF-8 with BOM"
    assert b"\r\n" in raw
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline=""), delimiter=";"))
    header, data = rows[0], {int(row[0]): row for row in rows[1:]}
    assert header == CSV_HEADER + ["Steuer-ID", "Kinder", "Umsatz", "Newsletter", "Geburtstag", "Tarif", "Bemerkung",
                                   "name (2)", "Ausweis"]
    assert len(data) == 3

    anna = dict(zip(header, data[register["customers"][0]["number"]], strict=True))
    assert anna["Name"] == "Anna Schmidt" and anna["E-Mail"] == "anna@example.com"
    assert anna["Firma"] == "Schmidt GmbH"
    assert anna["Telefon"] == "'+49 30 1234", "a leading + is neutralised"
    assert anna["Status"] == "Offen"
    assert anna["Gruppen"] == "Bestand, VIP"
    assert anna["Notizen"] == "Ruft gern an.\nZweite Zeile; mit \"Zitat\""
    assert TIMESTAMP.match(anna["Angelegt (UTC)"]) and TIMESTAMP.match(anna["Geändert (UTC)"])
    assert (anna["Dateien"], anna["Bytes"], anna["Letzter Upload (UTC)"]) == ("0", "0", "")
    assert anna["Steuer-ID"] == "'=HYPERLINK(\"http://evil\")"
    assert anna["Kinder"] == "2"
    assert anna["Umsatz"] == "1234,5"
    assert anna["Newsletter"] == "WAHR"
    assert anna["Geburtstag"] == "1980-05-17"
    assert anna["Tarif"] == "Premium"
    assert anna["Bemerkung"] == "'@SUM(A1)"
    assert anna["name (2)"] == "Ann"
    assert anna["Ausweis"] == "0"

    bernd = dict(zip(header, data[register["customers"][1]["number"]], strict=True))
    assert bernd["Name"] == "'-Bernd Müller" and bernd["Status"] == "Vollständig"
    assert (bernd["Umsatz"], bernd["Newsletter"], bernd["Kinder"]) == ("-0,25", "FALSCH", "")
    cafe = dict(zip(header, data[register["customers"][2]["number"]], strict=True))
    assert cafe["Name"] == "Café Größe" and cafe["Firma"] == "Größe & Söhne"
    assert cafe["Bemerkung"] == "'\teingerückt\r\n=1+1"
    for row in rows[1:]:
        for cell in row:  # a leading minus only ever starts a number we formatted ourselves
            assert not cell or cell[0] not in "=+-@\t\r" or NEGATIVE_NUMBER.match(cell), cell


# --- all customers as XLSX ---


def test_the_xlsx_has_typed_cells_a_frozen_bold_header_and_a_filter(application, aws, register) -> None:
    job = run(register["api"], application, aws, "/exports", {"format": "xlsx"})
    assert job["status"] == "done" and job["rows"] == 3 and job["filename"].endswith(".xlsx")

    workbook = openpyxl.load_workbook(io.BytesIO(download(job).content))
    sheet = workbook["Kunden"]
    header = [cell.value for cell in sheet[1]]
    assert header[:len(CSV_HEADER)] == CSV_HEADER and header[-2:] == ["name (2)", "Ausweis"]
    assert all(cell.font.b for cell in sheet[1])
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref == f"A1:{openpyxl.utils.get_column_letter(len(header))}4"
    assert sheet.column_dimensions["B"].width >= len("Anna Schmidt")

    rows = {row[0].value: dict(zip(header, row, strict=True)) for row in sheet.iter_rows(min_row=2)}
    anna = rows[register["customers"][0]["number"]]
    assert isinstance(anna["Kundennummer"].value, int)
    assert anna["Kinder"].value == 2 and anna["Kinder"].data_type == "n"
    assert anna["Umsatz"].value == 1234.5 and anna["Umsatz"].data_type == "n"
    assert anna["Newsletter"].value is True and anna["Newsletter"].data_type == "b"
    assert anna["Geburtstag"].value == datetime.datetime(1980, 5, 17) and anna["Geburtstag"].is_date
    assert isinstance(anna["Angelegt (UTC)"].value, datetime.datetime) and anna["Angelegt (UTC)"].is_date
    assert anna["Bytes"].value == 0 and anna["Letzter Upload (UTC)"].value is None
    # Text is text: a formula-like value is a string cell, shown as typed, with Excel's quote prefix.
    assert anna["Steuer-ID"].data_type == "s" and anna["Steuer-ID"].value == "=HYPERLINK(\"http://evil\")"
    assert anna["Steuer-ID"].quotePrefix
    assert anna["Telefon"].value == "+49 30 1234" and anna["Telefon"].data_type == "s"
    assert anna["Notizen"].value == "Ruft gern an.\nZweite Zeile; mit \"Zitat\""
    assert anna["Gruppen"].value == "Bestand, VIP"
    assert not anna["Name"].quotePrefix
    bernd = rows[register["customers"][1]["number"]]
    assert bernd["Umsatz"].value == -0.25 and bernd["Newsletter"].value is False and bernd["Kinder"].value is None
    assert bernd["Name"].value == "-Bernd Müller" and bernd["Name"].data_type == "s"
    for row in sheet.iter_rows():
        assert all(cell.data_type != "f" for cell in row)


def test_an_account_without_customers_exports_a_header_only(api, application, aws) -> None:
    job = run(api, application, aws, "/exports", {"format": "xlsx"})
    assert job["status"] == "done" and job["rows"] == 0
    sheet = openpyxl.load_workbook(io.BytesIO(download(job).content))["Kunden"]
    assert [cell.value for cell in sheet[1]] == CSV_HEADER and sheet.max_row == 1


# --- one customer as a ZIP ---


def test_a_customer_archive_holds_customer_json_and_every_file(application, aws, archived) -> None:
    api, customer, contents = archived["api"], archived["customer"], archived["contents"]

    job = run(api, application, aws, f"/customers/{customer['id']}/export")

    assert job["status"] == "done", job
    assert (job["kind"], job["format"], job["customer_id"], job["rows"]) == ("customer", "zip", customer["id"], 4)
    assert job["filename"].endswith(".zip")
    raw = download(job).content
    assert job["size"] == len(raw)
    archive = zipfile.ZipFile(io.BytesIO(raw))
    assert archive.testzip() is None
    assert sorted(archive.namelist()) == sorted([*contents, "customer.json"])
    for name, content in contents.items():
        assert archive.read(name) == content, name

    document = json.loads(archive.read("customer.json"))
    profile = api.get(f"/customers/{customer['id']}").json
    assert document["customer"]["id"] == customer["id"] and document["customer"]["number"] == customer["number"]
    assert document["customer"]["name"] == "Dora Dossier" and document["customer"]["notes"] == "Stammkundin"
    assert document["customer"]["files_count"] == profile["files_count"] == 4
    assert document["account"]["name"] == "Kanzlei Export"
    assert document["groups"] == ["VIP"]
    assert document["attributes"] == {"Steuer-ID": "=1+1", "Umsatz": 12.5}
    history = api.get(f"/customers/{customer['id']}/activity?limit=200").json["items"]
    assert [e["type"] for e in document["activity"]] == [e["type"] for e in reversed(history)]
    assert document["activity"][0]["type"] == "customer_created"
    assert [link["id"] for link in document["links"]] == [archived["link"]["id"]]
    assert document["links"][0]["areas"] == ["Allgemeine Dokumente", "Ausweis"]
    files = {f["path"]: f for f in document["files"]}
    assert set(files) == set(contents)
    assert files["files/Ausweis/ausweis.png"]["area"] == "Ausweis"
    assert files["files/Allgemeine Dokumente/notiz.txt"]["direction"] == "sent"
    assert files["files/Allgemeine Dokumente/beleg (2).PDF"]["filename"] == "beleg.PDF"
    assert all(f["size"] == len(contents[path]) for path, f in files.items())
    text = archive.read("customer.json").decode()
    token = archived["link"]["url"].rsplit("/p/", 1)[1]
    assert token not in text and "token" not in text, "links are exported without their secret"


def test_a_customer_archive_of_a_customer_without_files_holds_customer_json(application, aws, register) -> None:
    bernd = register["customers"][1]
    job = run(register["api"], application, aws, f"/customers/{bernd['id']}/export")
    archive = zipfile.ZipFile(io.BytesIO(download(job).content))
    assert archive.namelist() == ["customer.json"] and job["rows"] == 0
    document = json.loads(archive.read("customer.json"))
    assert document["customer"]["name"] == "-Bernd Müller" and document["files"] == []
    assert document["attributes"] == {"Umsatz": -0.25, "Newsletter": False}


# --- bad input and other accounts ---


@pytest.mark.parametrize("body, status", [
    ({"format": "pdf"}, 400),
    ({"format": "xls"}, 400),
    ({"format": ""}, 400),
    ({}, 422),
    ({"format": "csv", "extra": 1}, 422),
])
def test_an_unknown_format_is_refused_and_nothing_is_queued(api, aws, body, status) -> None:
    reply = api.post("/exports", body)
    assert reply.status == status and reply.error_code == "validation_error"
    assert reply.json["error"]["details"]
    assert api.get("/exports").json["items"] == []
    assert jobs.queued_jobs(aws) == 0


def test_another_accounts_exports_and_customers_are_not_found(api, application, aws, register) -> None:
    theirs = run(register["api"], application, aws, "/exports", {"format": "csv"})

    assert api.get(f"/exports/{theirs['id']}").status == 404
    assert api.get(f"/exports/{theirs['id']}").error_code == "not_found"
    assert api.get("/exports").json["items"] == []
    assert api.post(f"/customers/{register['customers'][0]['id']}/export").status == 404
    assert api.get("/exports/not-an-id").status == 404
    assert api.get("/exports/0123456789abcdef0123456789ab").status == 404
    assert api.post("/customers/0123456789abcdef0123456789ab/export").status == 404
    assert api.post("/customers/not-an-id/export").error_code == "not_found"
    assert jobs.queued_jobs(aws) == 0


def test_exports_are_listed_newest_first_with_a_cursor(api, application, aws) -> None:
    first = api.post("/exports", {"format": "csv"}).json
    second = api.post("/exports", {"format": "xlsx"}).json
    jobs.drain_jobs(application, aws)

    page = api.get("/exports?limit=1").json
    assert [j["id"] for j in page["items"]] == [second["id"]] and page["next_cursor"]
    assert page["items"][0]["download_url"] is None  # one export at a time hands its URL out (and is audited)
    assert api.get(f"/exports/{second['id']}").json["download_url"]
    rest = api.get(f"/exports?limit=1&cursor={page['next_cursor']}").json
    assert [j["id"] for j in rest["items"]] == [first["id"]]


# --- failures ---


def test_a_failed_table_export_records_why_and_leaves_no_object(api, application, aws) -> None:
    api.post("/customers", {"name": "Anna Schmidt"})
    reply = api.post("/exports", {"format": "csv"})
    with faults.failing("s3", "PutObject", lambda: faults.client_error("InternalError", "PutObject")) as count:
        assert jobs.drain_jobs(application, aws) == 1
    assert count[0] >= 1

    job = api.get(f"/exports/{reply.json['id']}").json
    assert job["status"] == "failed" and job["download_url"] is None
    assert "InternalError" in job["reason"] and "PutObject" in job["reason"]
    account_id = api.get("/account").json["id"]
    assert keys_under(f"exports/{account_id}/") == []
    assert jobs.queued_jobs(aws) == 0, "a recorded failure is not retried"


@pytest.mark.parametrize("operation", ["UploadPart", "CompleteMultipartUpload", "GetObject"])
def test_a_failed_archive_records_why_and_leaves_no_object_nor_upload(application, aws, archived,
                                                                       operation) -> None:
    from chalicelib.exports.models import job_key

    api = archived["api"]
    reply = api.post(f"/customers/{archived['customer']['id']}/export")
    with faults.failing("s3", operation, lambda: faults.client_error("SlowDown", operation)):
        assert jobs.drain_jobs(application, aws) == 1

    job = api.get(f"/exports/{reply.json['id']}").json
    assert job["status"] == "failed" and operation in job["reason"]
    key = job_key(api.get("/account").json["id"], job["id"], "zip")
    assert keys_under(key) == []
    assert s3().list_multipart_uploads(Bucket=exports_bucket(), Prefix=key).get("Uploads", []) == [], \
        "the multipart upload was aborted"


def test_a_job_delivered_again_after_it_finished_is_not_run_again(application, aws, register) -> None:
    api = register["api"]
    job = run(api, application, aws, "/exports", {"format": "csv"})
    account_id = api.get("/account").json["id"]
    boto3.client("sqs").send_message(QueueUrl=jobs.jobs_queue_url(aws),
                                     MessageBody=json.dumps({"account_id": account_id, "job_id": job["id"]}))
    assert jobs.drain_jobs(application, aws) == 1
    again = api.get(f"/exports/{job['id']}").json
    assert (again["finished_at"], again["status"], again["rows"]) == (job["finished_at"], "done", 3)


def test_a_job_whose_runs_keep_dying_is_failed_after_its_attempts(api, application, aws) -> None:
    from chalicelib.exports.models import MAX_ATTEMPTS
    from chalicelib.exports.repository import ExportRepository

    reply = api.post("/exports", {"format": "csv"})
    account_id = api.get("/account").json["id"]
    for _ in range(MAX_ATTEMPTS):  # each run started, then the Lambda died before recording anything
        assert ExportRepository().start(account_id, reply.json["id"], "2024-01-01T00:00:00.000Z") is not None
    assert jobs.drain_jobs(application, aws) == 1
    job = api.get(f"/exports/{reply.json['id']}").json
    assert job["status"] == "failed" and "did not finish" in job["reason"]
    account_id = api.get("/account").json["id"]
    assert keys_under(f"exports/{account_id}/") == []


def test_a_message_that_is_not_a_job_is_dropped(application, aws) -> None:
    boto3.client("sqs").send_message(QueueUrl=jobs.jobs_queue_url(aws), MessageBody="{not json")
    assert jobs.drain_jobs(application, aws) == 1
    assert jobs.queued_jobs(aws) == 0


# --- the daily schedule ---


def test_the_schedule_exports_enabled_accounts_to_dated_keys_and_a_rerun_replaces(
        api, application, aws, make_account) -> None:
    account_id = api.get("/account").json["id"]
    api.post("/customers", {"name": "Anna Schmidt"})
    assert api.patch("/account", {"export_schedule": {"enabled": True, "formats": ["csv", "xlsx"]}}).status == 200
    switched_off_id, switched_off_token = make_account()
    switched_off = api.with_token(switched_off_token)
    assert switched_off.patch("/account", {"export_schedule": {"enabled": True}}).status == 200
    assert switched_off.patch("/account", {"export_schedule": {"enabled": False}}).status == 200
    never_id, _ = make_account()

    result = jobs.run_schedule(application, "2024-05-01T02:00:00Z")
    assert result["day"] == "2024-05-01"
    jobs.drain_jobs(application, aws)

    expected = [f"exports/{account_id}/2024-05-01/customers.csv", f"exports/{account_id}/2024-05-01/customers.xlsx"]
    assert keys_under(f"exports/{account_id}/") == expected
    assert keys_under(f"exports/{switched_off_id}/") == [] and keys_under(f"exports/{never_id}/") == []
    assert switched_off.get("/exports").json["items"] == []
    listed = api.get("/exports").json["items"]
    assert sorted((j["format"], j["trigger"], j["status"], j["rows"]) for j in listed) == [
        ("csv", "scheduled", "done", 1), ("xlsx", "scheduled", "done", 1)]
    assert all(api.get(f"/exports/{j['id']}").json["download_url"] for j in listed)

    # Rerun the same day, with one customer more: the same two objects and jobs, with the new content.
    api.post("/customers", {"name": "Bernd Müller"})
    jobs.run_schedule(application, "2024-05-01T02:05:00Z")
    jobs.drain_jobs(application, aws)
    assert keys_under(f"exports/{account_id}/") == expected
    rerun = api.get("/exports").json["items"]
    assert sorted(j["id"] for j in rerun) == sorted(j["id"] for j in listed)
    assert all(j["status"] == "done" and j["rows"] == 2 for j in rerun)
    body = s3().get_object(Bucket=exports_bucket(), Key=expected[0])["Body"].read().decode("utf-8-sig")
    assert len(list(csv.reader(io.StringIO(body, newline=""), delimiter=";"))) == 3

    jobs.run_schedule(application, "2024-05-02T02:00:00Z")
    jobs.drain_jobs(application, aws)
    assert len(keys_under(f"exports/{account_id}/")) == 4
    assert len(api.get("/exports").json["items"]) == 4


def test_forgetting_a_customer_deletes_their_archives_and_jobs(api, application, aws) -> None:
    from chalicelib.exports import service
    from chalicelib.exports.models import job_key

    account_id = api.get("/account").json["id"]
    customer = api.post("/customers", {"name": "Erika Erasure"}).json
    other = api.post("/customers", {"name": "Otto Other"}).json
    job = run(api, application, aws, f"/customers/{customer['id']}/export")
    kept = run(api, application, aws, f"/customers/{other['id']}/export")
    table = run(api, application, aws, "/exports", {"format": "csv"})

    assert service.forget_customer(account_id, customer["id"]) == 1

    assert api.get(f"/exports/{job['id']}").status == 404
    assert keys_under(job_key(account_id, job["id"], "zip")) == []
    assert api.get(f"/exports/{kept['id']}").json["status"] == "done"
    assert api.get(f"/exports/{table['id']}").json["status"] == "done"


def test_deleting_a_customer_deletes_their_archives(api, application, aws) -> None:
    from chalicelib.exports.models import job_key

    account_id = api.get("/account").json["id"]
    customer = api.post("/customers", {"name": "Gabi Gelöscht"}).json
    job = run(api, application, aws, f"/customers/{customer['id']}/export")
    assert keys_under(job_key(account_id, job["id"], "zip"))
    assert api.delete(f"/customers/{customer['id']}").status == 202
    jobs.drain_jobs(application, aws)
    assert api.get(f"/exports/{job['id']}").status == 404
    assert keys_under(job_key(account_id, job["id"], "zip")) == []
