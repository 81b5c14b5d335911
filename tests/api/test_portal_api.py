"""The portal API behind a link: context, presigned uploads, the form; and every way a token can be wrong."""

from __future__ import annotations

import boto3
import pytest

from chalicelib import clock
from chalicelib.storage import keys
from tests.support import events


@pytest.fixture
def setup(api) -> dict:
    api.patch("/account", {"branding": {"company_name": "Hausverwaltung Nord", "contact_phone": "+49 40 123",
                                        "description": "Bitte laden Sie Ihre Unterlagen hoch."}})
    ids = {
        "ausweis": api.post("/attributes", {"name": "Ausweis", "type": "file", "required": True}).json["id"],
        "einkommen": api.post("/attributes", {"name": "Gehaltsnachweis", "type": "file"}).json["id"],
        "iban": api.post("/attributes", {"name": "IBAN", "type": "text", "required": True,
                                         "pattern": "^DE[0-9]{20}$"}).json["id"],
        "einzug": api.post("/attributes", {"name": "Einzugsdatum", "type": "date", "scope": "request"}).json["id"],
        "haustiere": api.post("/attributes", {"name": "Haustiere", "type": "boolean", "scope": "request"}).json["id"],
    }
    customer = api.post("/customers", {"name": "Max Mieter", "attributes": {ids["iban"]: "DE" + "1" * 20}}).json
    link = api.post(f"/customers/{customer['id']}/links", {
        "areas": [ids["ausweis"], "general"], "attributes": [ids["iban"], ids["einzug"], ids["haustiere"]],
        "message": "Willkommen!"}).json
    return {"ids": ids, "customer": customer, "link": link, "token": link["url"].rsplit("/p/", 1)[1]}


def test_the_context_shows_branding_areas_fields_and_limits(anonymous, setup) -> None:
    reply = anonymous.get(f"/p/{setup['token']}/context")
    assert reply.status == 200, reply
    assert reply.headers["Cache-Control"] == "no-store" and reply.headers["Referrer-Policy"] == "no-referrer"
    context = reply.json
    assert context["account"]["branding"]["company_name"] == "Hausverwaltung Nord"
    assert context["customer"] == {"name": "Max Mieter"}
    assert context["link"]["message"] == "Willkommen!"
    assert [(a["id"], a["name"], a["required"]) for a in context["areas"]] == [
        (setup["ids"]["ausweis"], "Ausweis", True), ("general", "Allgemeine Dokumente", False)]
    fields = {f["name"]: f for f in context["attributes"]}
    assert fields["IBAN"]["value"] == "DE" + "1" * 20 and fields["IBAN"]["pattern"] == "^DE[0-9]{20}$"
    assert fields["Einzugsdatum"]["type"] == "date" and fields["Einzugsdatum"]["value"] is None
    assert context["limits"]["max_file_bytes"] == 5_242_880
    assert context["limits"]["remaining_bytes"] == 536_870_912
    assert context["sent_files"] == []
    assert "token_hash" not in reply.body.decode() and "notes" not in context["customer"]


def test_the_form_is_validated_like_a_staff_write_and_stored_where_it_belongs(api, anonymous, setup) -> None:
    ids, token = setup["ids"], setup["token"]
    for values, field in [
        ({ids["iban"]: "DE12"}, f"attributes.{ids['iban']}"),
        ({ids["einzug"]: "1981-02-29"}, f"attributes.{ids['einzug']}"),
        ({ids["haustiere"]: "ja"}, f"attributes.{ids['haustiere']}"),
        ({ids["iban"]: None}, f"attributes.{ids['iban']}"),
        ({ids["ausweis"]: "x"}, ids["ausweis"]),
        ({"unknown": 1}, "unknown"),
    ]:
        reply = anonymous.put(f"/p/{token}/attributes", values)
        assert reply.status == 422, (values, reply)
        assert field in [d["field"] for d in reply.json["error"]["details"]]
    reply = anonymous.put(f"/p/{token}/attributes", {ids["einzug"]: "2026-01-01", ids["haustiere"]: True,
                                                     ids["iban"]: "DE" + "2" * 20})
    assert reply.status == 200, reply
    assert {f["name"]: f["value"] for f in reply.json["attributes"]} == {
        "IBAN": "DE" + "2" * 20, "Einzugsdatum": "2026-01-01", "Haustiere": True}
    customer = api.get(f"/customers/{setup['customer']['id']}").json
    assert customer["attributes"] == {ids["iban"]: "DE" + "2" * 20}
    history = api.get(f"/customers/{setup['customer']['id']}/activity").json["items"]
    assert history[0]["type"] == "portal_attributes_submitted" and history[0]["actor"] == "customer"


@pytest.mark.parametrize(
    "body,status,code",
    [
        ({"filename": "a.pdf", "size": 5_242_881, "content_type": "application/pdf"}, 413, "file_too_large"),
        ({"filename": "a.exe", "size": 10, "content_type": "application/x-msdownload"}, 415, "unsupported_type"),
        ({"filename": "a.exe", "size": 10, "content_type": "application/pdf"}, 415, "unsupported_type"),
        ({"filename": "a.pdf", "size": 0, "content_type": "application/pdf"}, 422, "validation_error"),
        ({"filename": "a.pdf", "size": -5, "content_type": "application/pdf"}, 422, "validation_error"),
        ({"filename": "a.pdf", "size": 10**15, "content_type": "application/pdf"}, 422, "validation_error"),
        ({"filename": "a.pdf", "size": "10", "content_type": "application/pdf", "area": "nope"}, 422,
         "validation_error"),
        ({"filename": "", "size": 10, "content_type": "application/pdf"}, 422, "validation_error"),
        ({"filename": "a.pdf", "size": 10}, 422, "validation_error"),
    ],
)
def test_uploads_that_cannot_be_accepted_are_refused_before_any_byte_moves(anonymous, aws, setup, body, status,
                                                                           code) -> None:
    reply = anonymous.post(f"/p/{setup['token']}/uploads", body)
    assert (reply.status, reply.error_code) == (status, code), reply
    account_id = setup["token"].split(".")[0]
    reservations = boto3.client("dynamodb").query(
        TableName=aws.outputs["TableName"], KeyConditionExpression="pk = :pk",
        ExpressionAttributeValues={":pk": {"S": keys.reservations_partition(account_id)}})["Items"]
    assert reservations == []


def test_an_upload_into_an_area_the_link_does_not_offer_is_refused(anonymous, setup) -> None:
    reply = anonymous.post(f"/p/{setup['token']}/uploads", {"filename": "a.pdf", "size": 10,
                                                            "content_type": "application/pdf",
                                                            "area": setup["ids"]["einkommen"]})
    assert reply.status == 422 and reply.json["error"]["details"][0]["field"] == "area"


def test_a_hostile_file_name_becomes_safe_data_and_never_part_of_the_key(api, anonymous, application, aws,
                                                                          setup) -> None:
    name = "../../\u202eevil\u0000" + "x" * 300 + ".pdf"
    reply = anonymous.post(f"/p/{setup['token']}/uploads",
                           {"filename": name, "size": 3, "content_type": "application/pdf"})
    assert reply.status == 201, reply
    key = reply.json["fields"]["key"]
    assert key == f"files/{setup['token'].split('.')[0]}/{setup['customer']['id']}/{reply.json['file_id']}"
    events.post_upload(reply.json, b"abc")
    events.drain(application, aws)
    [file] = api.get(f"/customers/{setup['customer']['id']}/files").json["items"]
    assert "/" not in file["filename"] and "\u202e" not in file["filename"] and "\x00" not in file["filename"]
    assert file["filename"].endswith(".pdf") and len(file["filename"]) <= 200


def test_the_quota_counts_open_reservations(api, anonymous, aws, setup) -> None:
    account_id = setup["token"].split(".")[0]
    boto3.client("dynamodb").update_item(
        TableName=aws.outputs["TableName"], Key={"pk": {"S": account_id}, "sk": {"S": "ACCOUNT"}},
        UpdateExpression="SET used_bytes = :u", ExpressionAttributeValues={":u": {"N": str(536_870_912 - 1000)}})
    first = anonymous.post(f"/p/{setup['token']}/uploads", {"filename": "a.pdf", "size": 600,
                                                            "content_type": "application/pdf"})
    assert first.status == 201
    second = anonymous.post(f"/p/{setup['token']}/uploads", {"filename": "b.pdf", "size": 600,
                                                             "content_type": "application/pdf"})
    assert (second.status, second.error_code) == (413, "quota_exceeded")
    # The page sees what is stored; the presign counts what is promised to uploads in flight as well.
    assert anonymous.get(f"/p/{setup['token']}/context").json["limits"]["remaining_bytes"] == 1000


def test_a_reservation_stops_counting_once_its_upload_policy_has_expired(anonymous, aws, setup, monkeypatch) -> None:
    """An abandoned upload (the browser never POSTed) holds its bytes only while its policy could still be used."""
    import datetime

    from chalicelib import clock
    from chalicelib.settings import get_settings

    account_id = setup["token"].split(".")[0]
    boto3.client("dynamodb").update_item(
        TableName=aws.outputs["TableName"], Key={"pk": {"S": account_id}, "sk": {"S": "ACCOUNT"}},
        UpdateExpression="SET used_bytes = :u", ExpressionAttributeValues={":u": {"N": str(536_870_912 - 1000)}})
    upload = {"filename": "a.pdf", "size": 600, "content_type": "application/pdf"}
    assert anonymous.post(f"/p/{setup['token']}/uploads", upload).status == 201
    assert anonymous.post(f"/p/{setup['token']}/uploads", upload).error_code == "quota_exceeded"

    lifetime = datetime.timedelta(seconds=get_settings().upload_url_ttl_seconds)
    real_now = clock.now
    monkeypatch.setattr(clock, "now", lambda: real_now() + lifetime - datetime.timedelta(seconds=5))
    assert anonymous.post(f"/p/{setup['token']}/uploads", upload).error_code == "quota_exceeded", "still usable"
    monkeypatch.setattr(clock, "now", lambda: real_now() + lifetime + datetime.timedelta(seconds=5))
    assert anonymous.post(f"/p/{setup['token']}/uploads", upload).status == 201


@pytest.mark.parametrize("mangle", [
    lambda t: t[:-1] + ("A" if t[-1] != "A" else "B"),
    lambda t: t.split(".")[0] + "x." + ".".join(t.split(".")[1:]),
    lambda t: t[:20],
    lambda t: t + "%00",
    lambda t: "../" + t,
    lambda t: t.upper(),
])
def test_a_wrong_token_reveals_nothing(anonymous, setup, mangle) -> None:
    token = mangle(setup["token"])
    for reply in (anonymous.get(f"/p/{token}/context"),
                  anonymous.post(f"/p/{token}/uploads", {"filename": "a.pdf", "size": 1,
                                                         "content_type": "application/pdf"}),
                  anonymous.put(f"/p/{token}/attributes", {})):
        assert reply.status == 404, reply
        assert reply.error_code == "not_found"
        assert "Max" not in reply.body.decode()


def test_a_token_of_another_account_with_a_real_link_id_is_404(anonymous, make_account, setup) -> None:
    other_id, _ = make_account()
    _, customer_id, link_id, secret = setup["token"].split(".")
    assert anonymous.get(f"/p/{other_id}.{customer_id}.{link_id}.{secret}/context").status == 404


def test_an_expired_link_answers_410(api, anonymous, aws, setup) -> None:
    account_id = setup["token"].split(".")[0]
    boto3.client("dynamodb").update_item(
        TableName=aws.outputs["TableName"],
        Key={"pk": {"S": keys.links_partition(account_id)}, "sk": {"S": setup["link"]["id"]}},
        UpdateExpression="SET expires_at = :past", ExpressionAttributeValues={":past": {"S": clock.now_iso()}})
    for reply in (anonymous.get(f"/p/{setup['token']}/context"),
                  anonymous.post(f"/p/{setup['token']}/uploads",
                                 {"filename": "a.pdf", "size": 1, "content_type": "application/pdf"})):
        assert (reply.status, reply.error_code) == (410, "link_expired")
    [listed] = api.get(f"/customers/{setup['customer']['id']}/links").json["items"]
    assert listed["state"] == "expired"


def test_files_staff_send_appear_with_a_download_link(api, anonymous, application, aws, setup) -> None:
    reply = api.post(f"/customers/{setup['customer']['id']}/files",
                     {"filename": "Mietvertrag.pdf", "size": 7, "content_type": "application/pdf"})
    assert reply.status == 201, reply
    events.post_upload(reply.json, b"vertrag")
    events.drain(application, aws)
    context = anonymous.get(f"/p/{setup['token']}/context").json
    [sent] = context["sent_files"]
    assert sent["filename"] == "Mietvertrag.pdf" and sent["download_url"].startswith("https://")
    assert all(not area["files"] for area in context["areas"])
    customer = api.get(f"/customers/{setup['customer']['id']}").json
    assert customer["status"] == "open", "files staff send do not move the status"
