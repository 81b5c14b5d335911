"""The field types time, info (display text) and signature: definitions, every writer (staff record, link page,
permanent portal, request checklists), the status, exports and the customer's archive, and where signature
images are kept."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import zipfile

import boto3
import pytest
import requests

from chalicelib.settings import get_settings
from tests.support.portal import access_link_session
from tests.support.samples import png_base64, png_image
from tests.support.staff import create_customer, define_attribute, link_token


def _customer_item(customer_id: str) -> dict:
    table = boto3.resource("dynamodb").Table(get_settings().table_name)
    return next(item for item in table.scan()["Items"] if item.get("entity") == "customer"
                and item.get("id") == customer_id)


def _signature_keys(account_id: str, customer_id: str) -> list[str]:
    listed = boto3.client("s3").list_objects_v2(Bucket=get_settings().uploads_bucket,
                                                Prefix=f"signatures/{account_id}/{customer_id}/")
    return sorted(item["Key"] for item in listed.get("Contents", []))


@pytest.fixture
def account_id(account) -> str:
    return account[0]


# --- time ---

@pytest.mark.parametrize("value", ["00:00", "07:05", "12:30", "23:59"])
def test_a_time_is_stored_as_hh_mm(api, value) -> None:
    wished = define_attribute(api, "Gewünschte Uhrzeit", "time")
    customer = create_customer(api, attributes={wished["id"]: value})
    assert customer["attributes"] == {wished["id"]: value}


@pytest.mark.parametrize("value", ["24:00", "7:05", "07:5", "07:60", "0705", "07:05:00", "07.05", " 07:05", "07:05 ",
                                   "ab:cd", 705, True, ["07:05"]])
def test_anything_but_hh_mm_is_refused_with_its_code(api, value) -> None:
    wished = define_attribute(api, "Gewünschte Uhrzeit", "time")
    customer = create_customer(api)
    reply = api.patch(f"/customers/{customer['id']}", {"attributes": {wished["id"]: value}})
    assert reply.status == 422, reply
    expected = "invalid_time" if isinstance(value, str) and value.strip() else "validation_error"
    assert reply.error_code == expected
    assert reply.json["error"]["details"][0]["field"] == f"attributes.{wished['id']}"
    assert api.get(f"/customers/{customer['id']}").json["attributes"] == {}


def test_a_time_on_the_link_page_and_in_the_portal(api, anonymous, account_id) -> None:
    wished = define_attribute(api, "Gewünschte Uhrzeit", "time")
    customer = create_customer(api, email="erika@example.com")
    token = link_token(api, customer["id"], attributes=[wished["id"]])
    bad = anonymous.put(f"/p/{token}/attributes", {wished["id"]: "25:00"})
    assert (bad.status, bad.error_code) == (422, "invalid_time")
    assert anonymous.put(f"/p/{token}/attributes", {wished["id"]: "09:30"}).status == 200
    assert api.get(f"/customers/{customer['id']}").json["attributes"] == {wished["id"]: "09:30"}
    portal = access_link_session(api, account_id, customer["id"])
    assert portal.put("api/attributes", {wished["id"]: "25:00"}).error_code == "invalid_time"
    assert portal.put("api/attributes", {wished["id"]: "16:45"}).status == 200
    assert api.get(f"/customers/{customer['id']}").json["attributes"] == {wished["id"]: "16:45"}


# --- info ---

def test_an_info_attribute_carries_its_text_and_is_never_required(api) -> None:
    info = define_attribute(api, "Hinweis", "info", text="Bitte unterschreiben Sie unten.\nDanke!",
                            text_en="Please sign below.")
    assert (info["type"], info["text"], info["text_en"], info["required"]) == (
        "info", "Bitte unterschreiben Sie unten.\nDanke!", "Please sign below.", False)
    plain = define_attribute(api, "Ort", "text")
    assert (plain["text"], plain["text_en"]) == (None, None)

    refused = [
        api.post("/attributes", {"name": "Ohne Text", "type": "info"}),
        api.post("/attributes", {"name": "Pflicht", "type": "info", "text": "Lies mich", "required": True}),
        api.post("/attributes", {"name": "Text am Textfeld", "type": "text", "text": "nein"}),
        api.patch(f"/attributes/{info['id']}", {"required": True}),
        api.patch(f"/attributes/{info['id']}", {"text": None}),
        api.post("/attributes", {"name": "Steuerzeichen", "type": "info", "text": "a\x00b"}),
        api.post("/attributes", {"name": "Zu lang", "type": "info", "text": "x" * 2001}),
    ]
    assert [(r.status, r.error_code) for r in refused] == [(422, "validation_error")] * 7
    changed = api.patch(f"/attributes/{info['id']}", {"text": "Neuer Text"})
    assert changed.status == 200 and changed.json["text"] == "Neuer Text"
    # Another type: the text goes with the type.
    retyped = api.patch(f"/attributes/{info['id']}", {"type": "text"})
    assert retyped.status == 200 and (retyped.json["text"], retyped.json["text_en"]) == (None, None)


def test_a_value_for_an_info_attribute_is_refused_by_every_writer(api, anonymous, account_id) -> None:
    info = define_attribute(api, "Hinweis", "info", text="Nur zur Information")
    customer = create_customer(api, email="erika@example.com")
    created = api.post("/customers", {"name": "Otto", "attributes": {info["id"]: "x"}})
    patched = api.patch(f"/customers/{customer['id']}", {"attributes": {info["id"]: "gelesen"}})
    token = link_token(api, customer["id"], attributes=[info["id"]])
    on_link = anonymous.put(f"/p/{token}/attributes", {info["id"]: True})
    in_portal = access_link_session(api, account_id, customer["id"]).put("api/attributes", {info["id"]: "ok"})
    for reply in (created, patched, on_link, in_portal):
        assert (reply.status, reply.error_code) == (422, "display_only"), reply
        assert reply.json["error"]["details"][0]["code"] == "display_only"
    assert api.get(f"/customers/{customer['id']}").json["attributes"] == {}
    # null stores nothing and is no error (a form may send every field it shows).
    assert api.patch(f"/customers/{customer['id']}", {"attributes": {info["id"]: None}}).status == 200


def test_info_is_shown_in_place_on_the_link_page_and_in_the_portal(api, anonymous, account_id) -> None:
    place = define_attribute(api, "Ort", "text")
    info = define_attribute(api, "Hinweis", "info", text="Bitte vollständig ausfüllen", text_en="Please fill in")
    day = define_attribute(api, "Datum", "date")
    customer = create_customer(api, email="erika@example.com")
    token = link_token(api, customer["id"], attributes=[day["id"], info["id"], place["id"]])
    context = anonymous.get(f"/p/{token}/context").json
    assert [f["id"] for f in context["attributes"]] == [place["id"], info["id"], day["id"]]
    shown = context["attributes"][1]
    assert (shown["type"], shown["text"], shown["text_en"], shown["value"]) == (
        "info", "Bitte vollständig ausfüllen", "Please fill in", None)
    item = next(i for i in context["items"] if i["id"] == info["id"])
    assert (item["kind"], item["required"], item["state"]) == ("info", False, "checked")
    profile = access_link_session(api, account_id, customer["id"]).context()
    fields = {f["id"]: f for f in profile["attributes"]}
    assert fields[info["id"]]["text"] == "Bitte vollständig ausfüllen"


def test_an_info_item_never_holds_a_request_back(api, anonymous) -> None:
    place = define_attribute(api, "Ort", "text")
    info = define_attribute(api, "Hinweis", "info", text="Lesen Sie das")
    customer = create_customer(api)
    # Even asked for as required, the info item is not: only the place counts.
    reply = api.post(f"/customers/{customer['id']}/links", {"areas": [], "items": [
        {"attribute_id": info["id"], "required": True}, {"attribute_id": place["id"], "required": True}]})
    assert reply.status == 201, reply
    link = reply.json
    token = link["url"].rsplit("/p/", 1)[1]
    assert anonymous.get(f"/p/{token}/context").json["link"]["status"] == "open"
    assert anonymous.put(f"/p/{token}/attributes", {place["id"]: "Bonn"}).status == 200
    assert anonymous.get(f"/p/{token}/context").json["link"]["status"] == "complete"
    listed = api.get(f"/customers/{customer['id']}/links").json["items"][0]
    assert listed["status"] == "complete"
    assert api.get(f"/customers/{customer['id']}").json["status"] == "complete"
    # A request that only shows a text has nothing to do.
    optional = api.post(f"/customers/{customer['id']}/links", {"areas": [], "attributes": [info["id"]]}).json
    assert optional["status"] == "complete"
    assert next(i for i in optional["items"] if i["attribute_id"] == info["id"])["kind"] == "info"


def test_an_info_item_cannot_be_marked_by_the_customer_or_staff(api, anonymous) -> None:
    info = define_attribute(api, "Hinweis", "info", text="Lesen Sie das")
    customer = create_customer(api)
    link = api.post(f"/customers/{customer['id']}/links", {"areas": [], "attributes": [info["id"]]}).json
    token = link["url"].rsplit("/p/", 1)[1]
    history_before = api.get(f"/customers/{customer['id']}/activity").json["items"]

    by_customer = anonymous.post(f"/p/{token}/items/{info['id']}/not-applicable", {"comment": "gelesen"})
    by_staff = api.patch(f"/customers/{customer['id']}/links/{link['id']}/items/{info['id']}",
                         {"state": "accepted_na"})

    for reply in (by_customer, by_staff):
        assert (reply.status, reply.json["error"]["code"]) == (422, "display_only"), reply.json
    item = next(i for i in anonymous.get(f"/p/{token}/context").json["items"] if i["id"] == info["id"])
    assert (item["state"], item.get("comment")) == ("checked", None)
    assert api.get(f"/customers/{customer['id']}/activity").json["items"] == history_before


# --- signature ---

def test_a_signature_is_kept_in_s3_and_the_value_is_a_reference(api, account_id) -> None:
    signed = define_attribute(api, "Unterschrift", "signature")
    customer = create_customer(api)
    image = png_image(300, 100)
    reply = api.patch(f"/customers/{customer['id']}", {"attributes": {signed["id"]: png_base64(image)}})
    assert reply.status == 200, reply
    reference = reply.json["attributes"][signed["id"]]
    assert set(reference) == {"signature_id", "customer_id", "signed_at", "sha256", "size"}
    assert (reference["sha256"], reference["size"], reference["customer_id"]) == (
        hashlib.sha256(image).hexdigest(), len(image), customer["id"])
    keys = _signature_keys(account_id, customer["id"])
    assert keys == [f"signatures/{account_id}/{customer['id']}/field-{reference['signature_id']}.png"]
    assert not keys[0].startswith("files/")
    stored = json.dumps(_customer_item(customer["id"]), default=str)
    assert "iVBOR" not in stored and len(stored) < 4000  # no image (base64 PNGs start "iVBOR") in DynamoDB

    shown = api.get(f"/customers/{customer['id']}/signatures/{signed['id']}")
    assert shown.status == 200, shown
    assert {k: shown.json[k] for k in ("attribute_id", "signature_id", "signed_at", "sha256", "size")} == {
        "attribute_id": signed["id"], **{k: reference[k] for k in ("signature_id", "signed_at", "sha256", "size")}}
    assert requests.get(shown.json["download_url"], timeout=30).content == image

    # Sent back unchanged (a form saving every field): nothing moves.
    again = api.patch(f"/customers/{customer['id']}", {"attributes": {signed["id"]: reference}})
    assert again.status == 200 and again.json["attributes"][signed["id"]] == reference
    # A new signature gets a name of its own; clearing removes the reference (the images stay in S3).
    renewed = api.patch(f"/customers/{customer['id']}", {"attributes": {signed["id"]: png_base64()}}).json
    assert renewed["attributes"][signed["id"]]["signature_id"] != reference["signature_id"]
    assert len(_signature_keys(account_id, customer["id"])) == 2
    cleared = api.patch(f"/customers/{customer['id']}", {"attributes": {signed["id"]: None}})
    assert cleared.status == 200 and cleared.json["attributes"] == {}
    missing = api.get(f"/customers/{customer['id']}/signatures/{signed['id']}")
    assert (missing.status, missing.error_code) == (404, "not_found")


@pytest.mark.parametrize("value,code", [
    ("not base64!", "invalid_signature"),
    (png_base64(b"GIF89a" + b"\x00" * 60), "invalid_signature"),
    (png_base64(png_image()[:20]), "invalid_signature"),
    (png_base64(png_image()[:29] + b"\x00\x00\x00\x00" + png_image()[33:]), "invalid_signature"),  # forged header
    (png_base64(png_image(2001, 10)), "signature_too_large"),
    (png_base64(png_image(padding=151 * 1024)), "signature_too_large"),
    (12345, "invalid_signature"),
    ({"signature_id": "forged", "customer_id": "x"}, "invalid_signature"),
])
def test_a_bad_signature_is_refused_and_nothing_is_stored(api, account_id, value, code) -> None:
    signed = define_attribute(api, "Unterschrift", "signature")
    customer = create_customer(api)
    reply = api.patch(f"/customers/{customer['id']}", {"attributes": {signed["id"]: value}})
    assert (reply.status, reply.error_code) == (422, code), reply
    assert reply.json["error"]["details"][0] == {"field": f"attributes.{signed['id']}",
                                                 "message": reply.json["error"]["details"][0]["message"],
                                                 "code": code}
    assert api.get(f"/customers/{customer['id']}").json["attributes"] == {}
    assert _signature_keys(account_id, customer["id"]) == []


def test_a_request_refused_for_another_field_stores_no_signature_image(api, account_id) -> None:
    signed = define_attribute(api, "Unterschrift", "signature")
    wished = define_attribute(api, "Uhrzeit", "time")
    customer = create_customer(api)
    reply = api.patch(f"/customers/{customer['id']}", {"attributes": {signed["id"]: png_base64(),
                                                                       wished["id"]: "99:99"}})
    assert (reply.status, reply.error_code) == (422, "invalid_time")
    assert _signature_keys(account_id, customer["id"]) == []


def test_a_required_signature_is_asked_of_the_customer_never_of_staff(api, anonymous, account_id) -> None:
    signed = define_attribute(api, "Unterschrift", "signature", required=True)
    place = define_attribute(api, "Ort", "text", required=True)
    # Staff create and change the record without drawing anything; the record shows what is missing.
    assert api.post("/customers", {"name": "Otto", "email": "otto@example.com"}).error_code == "validation_error"
    created = api.post("/customers", {"name": "Erika", "email": "erika@example.com",
                                      "attributes": {place["id"]: "Bonn"}})
    assert created.status == 201, created
    customer = created.json
    assert customer["missing_fields"] == [signed["id"]]
    token = link_token(api, customer["id"], attributes=[signed["id"]])
    # The customer has to sign on the link page and cannot take it back in the portal.
    unsigned = anonymous.put(f"/p/{token}/attributes", {})
    assert unsigned.status == 422 and [d["field"] for d in unsigned.json["error"]["details"]] == [
        f"attributes.{signed['id']}"]
    assert anonymous.put(f"/p/{token}/attributes", {signed["id"]: png_base64()}).status == 200
    record = api.get(f"/customers/{customer['id']}").json
    assert record["missing_fields"] == [] and signed["id"] in record["attributes"]
    portal = access_link_session(api, account_id, customer["id"])
    assert portal.put("api/attributes", {signed["id"]: None}).error_code == "validation_error"
    assert signed["id"] in api.get(f"/customers/{customer['id']}").json["attributes"]
    # Staff may remove it (to ask again); the required text stays required.
    cleared = api.patch(f"/customers/{customer['id']}", {"attributes": {signed["id"]: None}})
    assert cleared.status == 200 and cleared.json["missing_fields"] == [signed["id"]]
    assert api.patch(f"/customers/{customer['id']}", {"attributes": {place["id"]: None}}).status == 422


def test_the_customer_signs_on_the_link_page_and_in_the_portal(api, anonymous, account_id) -> None:
    signed = define_attribute(api, "Unterschrift", "signature")
    per_request = define_attribute(api, "Bestätigung", "signature", scope="request")
    customer = create_customer(api, email="erika@example.com")
    token = link_token(api, customer["id"], attributes=[signed["id"], per_request["id"]])
    forged = anonymous.put(f"/p/{token}/attributes", {per_request["id"]: png_base64(b"\x89PNG forged")})
    assert (forged.status, forged.error_code) == (422, "invalid_signature")
    first, second = png_image(100, 50), png_image(150, 50)
    reply = anonymous.put(f"/p/{token}/attributes", {signed["id"]: png_base64(first),
                                                      per_request["id"]: png_base64(second)})
    assert reply.status == 200, reply
    fields = {f["id"]: f["value"] for f in reply.json["attributes"]}
    assert fields[signed["id"]]["sha256"] == hashlib.sha256(first).hexdigest()
    assert fields[per_request["id"]]["sha256"] == hashlib.sha256(second).hexdigest()
    # The customer sees that they signed.
    context = anonymous.get(f"/p/{token}/context").json
    assert {f["id"]: f["value"]["signed_at"] for f in context["attributes"]} == {
        signed["id"]: fields[signed["id"]]["signed_at"], per_request["id"]: fields[per_request["id"]]["signed_at"]}
    assert {i["id"]: i["state"] for i in context["items"] if i["kind"] == "field"} == {
        signed["id"]: "checked", per_request["id"]: "checked"}
    assert len(_signature_keys(account_id, customer["id"])) == 2
    staff_view = api.get(f"/customers/{customer['id']}/signatures/{signed['id']}").json
    assert requests.get(staff_view["download_url"], timeout=30).content == first
    # A request field's signature is kept on the request (its link).
    link_id = api.get(f"/customers/{customer['id']}/links").json["items"][0]["id"]
    on_request = api.get(f"/customers/{customer['id']}/links/{link_id}/signatures/{per_request['id']}")
    assert on_request.status == 200, on_request
    assert on_request.json["sha256"] == hashlib.sha256(second).hexdigest()
    assert requests.get(on_request.json["download_url"], timeout=30).content == second
    for path in (f"/customers/{customer['id']}/links/{link_id}/signatures/{signed['id']}",
                 f"/customers/{create_customer(api, 'Otto')['id']}/links/{link_id}/signatures/{per_request['id']}"):
        assert api.get(path).status == 404, path

    portal = access_link_session(api, account_id, customer["id"])
    third = png_image(80, 80)
    assert portal.put("api/attributes", {signed["id"]: png_base64(b"nope")}).error_code == "invalid_signature"
    in_portal = portal.put("api/attributes", {signed["id"]: png_base64(third)})
    assert in_portal.status == 200, in_portal
    assert api.get(f"/customers/{customer['id']}").json["attributes"][signed["id"]]["sha256"] == (
        hashlib.sha256(third).hexdigest())
    staff_view = api.get(f"/customers/{customer['id']}/signatures/{signed['id']}").json
    assert requests.get(staff_view["download_url"], timeout=30).content == third
    # Without the permission to edit the profile: refused, nothing stored.
    api.patch("/account", {"portal": {"permissions": {"edit_profile": False}}})
    before = _signature_keys(account_id, customer["id"])
    assert portal.put("api/attributes", {signed["id"]: png_base64()}).status == 403
    assert _signature_keys(account_id, customer["id"]) == before


def test_the_customer_fills_a_request_in_the_portal_with_all_three_types(api, account_id) -> None:
    wished = define_attribute(api, "Uhrzeit", "time", scope="request")
    info = define_attribute(api, "Hinweis", "info", text="Bitte bestätigen", scope="request")
    confirmed = define_attribute(api, "Bestätigung", "signature", scope="request", required=True)
    customer = create_customer(api, email="erika@example.com")
    link_id = api.post(f"/customers/{customer['id']}/links", {"areas": [], "attributes": [
        wished["id"], info["id"], confirmed["id"]]}).json["id"]
    portal = access_link_session(api, account_id, customer["id"])
    path = f"api/requests/{link_id}/attributes"
    home = portal.context()
    shown = {f["id"]: f for f in home["requests"][0]["attributes"]}
    assert shown[info["id"]]["text"] == "Bitte bestätigen" and shown[info["id"]]["value"] is None
    # With the required signature still missing, each problem names its field and its own code.
    for sent, code in (({info["id"]: "x"}, "display_only"), ({wished["id"]: "7:00"}, "invalid_time")):
        refused = portal.put(path, sent)
        assert (refused.status, refused.error_code) == (422, "validation_error")
        assert [(d["field"], d.get("code")) for d in refused.json["error"]["details"]] == [
            (f"attributes.{next(iter(sent))}", code), (f"attributes.{confirmed['id']}", None)]
    assert portal.put(path, {wished["id"]: "07:00"}).error_code == "validation_error"
    image = png_image(64, 32)
    reply = portal.put(path, {wished["id"]: "07:00", confirmed["id"]: png_base64(image)})
    assert reply.status == 200, reply
    stored = api.get(f"/customers/{customer['id']}/links/{link_id}/signatures/{confirmed['id']}").json
    assert requests.get(stored["download_url"], timeout=30).content == image
    assert api.get(f"/customers/{customer['id']}/links").json["items"][0]["status"] == "complete"


def test_signatures_of_another_customer_or_account_are_not_found(api, make_account, application) -> None:
    from tests.support.api import ApiClient

    signed = define_attribute(api, "Unterschrift", "signature")
    text = define_attribute(api, "Ort", "text")
    mine = create_customer(api, attributes={signed["id"]: png_base64(), text["id"]: "Bonn"})
    other = create_customer(api, "Otto")
    assert api.get(f"/customers/{mine['id']}/signatures/{signed['id']}").status == 200
    for path in (f"/customers/{other['id']}/signatures/{signed['id']}",
                 f"/customers/{mine['id']}/signatures/{text['id']}",
                 f"/customers/{mine['id']}/signatures/unknown",
                 f"/customers/{mine['id']}/signatures/{'0' * 26}"):
        reply = api.get(path)
        assert (reply.status, reply.error_code) == (404, "not_found"), path
    _, token = make_account()
    stranger = ApiClient(application.app, token=token)
    assert stranger.get(f"/customers/{mine['id']}/signatures/{signed['id']}").status == 404


# --- exports and the customer's data ---

def test_exports_write_time_as_text_signature_as_signed_and_no_info_column(api, application, aws) -> None:
    from tests.api.test_exports import download, run

    wished = define_attribute(api, "Uhrzeit", "time")
    define_attribute(api, "Hinweis", "info", text="Nur Text")
    signed = define_attribute(api, "Unterschrift", "signature")
    customer = create_customer(api, attributes={wished["id"]: "08:15", signed["id"]: png_base64()})
    signed_at = customer["attributes"][signed["id"]]["signed_at"]
    raw = download(run(api, application, aws, "/exports", {"format": "csv"})).content
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline=""), delimiter=";"))
    header, row = rows[0], rows[1]
    assert "Hinweis" not in header
    assert row[header.index("Uhrzeit")] == "08:15"
    assert row[header.index("Unterschrift")] == f"Unterschrieben {signed_at}"

    import openpyxl

    workbook = openpyxl.load_workbook(io.BytesIO(download(run(api, application, aws, "/exports",
                                                              {"format": "xlsx"})).content))
    sheet = workbook.active
    values = [[cell.value for cell in line] for line in sheet.iter_rows()]
    assert "Hinweis" not in values[0]
    assert values[1][values[0].index("Uhrzeit")] == "08:15"
    assert values[1][values[0].index("Unterschrift")] == f"Unterschrieben {signed_at}"


def test_the_customers_archive_holds_the_signature_images(api, anonymous, application, aws) -> None:
    from tests.api.test_exports import download, run

    signed = define_attribute(api, "Unterschrift", "signature")
    per_request = define_attribute(api, "Bestätigung", "signature", scope="request")
    first, second = png_image(90, 30), png_image(60, 60)
    customer = create_customer(api, attributes={signed["id"]: png_base64(first)})
    token = link_token(api, customer["id"], attributes=[per_request["id"]])
    assert anonymous.put(f"/p/{token}/attributes", {per_request["id"]: png_base64(second)}).status == 200
    archive = zipfile.ZipFile(io.BytesIO(download(run(api, application, aws,
                                                      f"/customers/{customer['id']}/export")).content))
    document = json.loads(archive.read("customer.json"))
    value = document["attributes"]["Unterschrift"]
    assert value["path"] == f"signatures/fields/{value['signature_id']}.png"
    assert archive.read(value["path"]) == first
    request_value = document["links"][0]["values"]["Bestätigung"]
    assert archive.read(request_value["path"]) == second


def test_deleting_a_customer_erases_their_signature_images(api, application, aws, account_id) -> None:
    from tests.support.jobs import drain_jobs

    signed = define_attribute(api, "Unterschrift", "signature")
    customer = create_customer(api, attributes={signed["id"]: png_base64()})
    kept = create_customer(api, "Otto", attributes={signed["id"]: png_base64()})
    assert len(_signature_keys(account_id, customer["id"])) == 1
    assert api.delete(f"/customers/{customer['id']}").status in (202, 204)
    drain_jobs(application, aws)
    assert _signature_keys(account_id, customer["id"]) == []
    assert len(_signature_keys(account_id, kept["id"])) == 1


def test_a_merged_signature_moves_with_its_value_and_goes_when_the_target_is_deleted(api, application, aws,
                                                                                    account_id) -> None:
    from tests.support.jobs import drain_jobs

    signed = define_attribute(api, "Unterschrift", "signature")
    image = png_image(70, 20)
    target = create_customer(api, "Erika")
    source = create_customer(api, "Erika M.", attributes={signed["id"]: png_base64(image)})
    merged = api.post(f"/customers/{target['id']}/merge", {"source_id": source["id"], "take": {}})
    assert merged.status == 200, merged
    drain_jobs(application, aws)
    shown = api.get(f"/customers/{target['id']}/signatures/{signed['id']}")
    assert shown.status == 200 and requests.get(shown.json["download_url"], timeout=30).content == image
    assert api.delete(f"/customers/{target['id']}").status in (202, 204)
    drain_jobs(application, aws)
    assert _signature_keys(account_id, source["id"]) == []


def test_a_merge_deletes_the_sources_field_images_its_values_do_not_keep(api, account_id) -> None:
    kept_field, dropped_field = define_attribute(api, "Unterschrift", "signature"), define_attribute(
        api, "Zweite Unterschrift", "signature")
    target = create_customer(api, "Erika", attributes={dropped_field["id"]: png_base64(png_image(50, 20))})
    source = create_customer(api, "Erika M.", attributes={kept_field["id"]: png_base64(png_image(60, 20)),
                                                           dropped_field["id"]: png_base64(png_image(61, 20))})
    # A signature signed again leaves its earlier image under the source; an approval's image lives there too.
    assert api.patch(f"/customers/{source['id']}",
                     {"attributes": {kept_field["id"]: png_base64(png_image(62, 20))}}).status == 200
    approval_image = f"signatures/{account_id}/{source['id']}/{'0' * 26}-{'1' * 26}.png"
    boto3.client("s3").put_object(Bucket=get_settings().uploads_bucket, Key=approval_image, Body=png_image())
    assert len(_signature_keys(account_id, source["id"])) == 4

    merged = api.post(f"/customers/{target['id']}/merge", {"source_id": source["id"], "take": {}})

    assert merged.status == 200, merged
    kept = merged.json["attributes"][kept_field["id"]]
    assert kept["customer_id"] == source["id"]
    assert _signature_keys(account_id, source["id"]) == sorted(
        [approval_image, f"signatures/{account_id}/{source['id']}/field-{kept['signature_id']}.png"])
    shown = api.get(f"/customers/{target['id']}/signatures/{kept_field['id']}")
    assert requests.get(shown.json["download_url"], timeout=30).content == png_image(62, 20)
    assert len(_signature_keys(account_id, target["id"])) == 1


def test_the_openapi_document_shows_the_new_types_and_routes(anonymous) -> None:
    document = anonymous.get("/openapi.json").json
    text = json.dumps(document)
    for name in ("AttributeOut", "NewAttribute"):
        schema = document["components"]["schemas"][name]
        assert {"time", "signature", "info"} <= set(json.dumps(schema["properties"]["type"]).split('"')), name
        assert "text" in schema["properties"] and "text_en" in schema["properties"]
    assert "/customers/{id}/signatures/{attribute_id}" in document["paths"]
    assert "/customers/{id}/links/{link_id}/signatures/{attribute_id}" in document["paths"]
    assert "SignatureOut" in text
