"""Upload links: creating, listing with state, revoking, e-mailing (again)."""

from __future__ import annotations

import boto3
import pytest

from chalicelib.storage import keys
from tests.support import events


@pytest.fixture
def customer(api) -> dict:
    api.patch("/account", {"branding": {"company_name": "Kanzlei Schmidt", "contact_email": "info@kanzlei.example"}})
    return api.post("/customers", {"name": "Erika Muster", "email": "erika@example.com"}).json


def area(api, name: str = "Ausweis", **fields) -> str:
    reply = api.post("/attributes", {"name": name, "type": "file", **fields})
    assert reply.status == 201, reply
    return reply.json["id"]


def token_of(link: dict) -> str:
    return link["url"].rsplit("/p/", 1)[1]


def test_a_link_shows_its_url_once_and_stores_only_a_hash(api, aws, customer) -> None:
    reply = api.post(f"/customers/{customer['id']}/links", {})
    assert reply.status == 201, reply
    link = reply.json
    assert link["url"].startswith("http://127.0.0.1:") and "/p/" in link["url"]
    assert link["areas"] == ["general"] and link["state"] == "active" and link["revoked"] is False
    listed = api.get(f"/customers/{customer['id']}/links").json["items"]
    assert [item["id"] for item in listed] == [link["id"]] and listed[0]["url"] is None
    account_id = api.get("/account").json["id"]
    item = boto3.client("dynamodb").get_item(TableName=aws.outputs["TableName"],
                                             Key={"pk": {"S": keys.links_partition(account_id)},
                                                  "sk": {"S": link["id"]}})["Item"]
    secret = token_of(link).rsplit(".", 1)[1]
    assert secret not in str(item) and len(item["token_hash"]["S"]) == 64
    assert api.get(f"/customers/{customer['id']}").json["links_count"] == 1


def test_the_default_expiry_is_fourteen_days_and_bounds_are_enforced(api, customer) -> None:
    from chalicelib import clock

    link = api.post(f"/customers/{customer['id']}/links", {}).json
    days = (clock.parse(link["expires_at"]) - clock.parse(link["created_at"])).days
    assert days == 14
    assert api.post(f"/customers/{customer['id']}/links", {"expires_in_days": 365}).status == 201
    for bad in (0, 366, -1, "x"):
        reply = api.post(f"/customers/{customer['id']}/links", {"expires_in_days": bad})
        assert (reply.status, reply.error_code) == (422, "validation_error")


def test_a_link_asks_only_for_existing_portal_areas_and_fields(api, customer) -> None:
    hidden = area(api, "Intern", in_portal=False)
    text = api.post("/attributes", {"name": "Steuer-ID", "type": "text"}).json["id"]
    cases = [
        ({"areas": ["nope"]}, "areas.0"),
        ({"areas": [hidden]}, "areas.0"),
        ({"areas": [text]}, "areas.0"),
        ({"areas": ["general"], "attributes": [area(api, "Vertrag")]}, "attributes.0"),
        ({"areas": [], "attributes": []}, "areas"),
        ({"send_email": True, "areas": ["general"], "unknown": 1}, "unknown"),
    ]
    for body, field in cases:
        reply = api.post(f"/customers/{customer['id']}/links", body)
        assert reply.status == 422, (body, reply)
        assert field in [d["field"] for d in reply.json["error"]["details"]]
    assert api.get(f"/customers/{customer['id']}/links").json["items"] == []
    assert api.get(f"/customers/{customer['id']}").json["links_count"] == 0


def test_send_email_mails_the_link_with_the_company_and_message(api, customer) -> None:
    before = len(events.sent_mails())
    link = api.post(f"/customers/{customer['id']}/links",
                    {"send_email": True, "message": "Bitte die Lohnsteuerbescheinigung 2025."}).json
    mails = events.sent_mails()[before:]
    assert len(mails) == 1
    mail = mails[0]
    assert mail["to"] == ["erika@example.com"]
    # The business is named in the body, as the one asking; the subject is Dossier's own (no impersonation).
    assert "Kanzlei Schmidt" not in mail["subject"] and "„Kanzlei Schmidt“ bittet Sie" in mail["body"]
    assert "Nachricht von „Kanzlei Schmidt“:\nBitte die Lohnsteuerbescheinigung 2025." in mail["body"]
    assert link["url"] in mail["body"]
    assert link["sent_count"] == 1
    history = api.get(f"/customers/{customer['id']}/activity").json["items"]
    assert [e["type"] for e in history][:2] == ["link_sent", "link_created"]


def test_send_email_needs_an_address(api) -> None:
    customer = api.post("/customers", {"name": "Ohne Mail"}).json
    reply = api.post(f"/customers/{customer['id']}/links", {"send_email": True})
    assert reply.status == 422 and reply.json["error"]["details"][0]["field"] == "send_email"


def test_revoking_ends_the_link_and_is_idempotent(api, anonymous, customer) -> None:
    link = api.post(f"/customers/{customer['id']}/links", {}).json
    assert anonymous.get(f"/p/{token_of(link)}/context").status == 200
    assert api.delete(f"/customers/{customer['id']}/links/{link['id']}").status == 204
    assert api.delete(f"/customers/{customer['id']}/links/{link['id']}").status == 204
    assert anonymous.get(f"/p/{token_of(link)}/context").status == 404
    [listed] = api.get(f"/customers/{customer['id']}/links").json["items"]
    assert listed["state"] == "revoked" and listed["revoked"] is True
    assert api.get(f"/customers/{customer['id']}").json["links_count"] == 0


def test_resending_mails_a_new_url_and_the_old_one_stops_working(api, anonymous, customer) -> None:
    link = api.post(f"/customers/{customer['id']}/links", {}).json
    before = len(events.sent_mails())
    reply = api.post(f"/customers/{customer['id']}/links/{link['id']}/send")
    assert reply.status == 200, reply
    resent = reply.json
    assert resent["url"] != link["url"] and resent["sent_count"] == 1
    assert resent["url"] in events.sent_mails()[before]["body"]
    assert anonymous.get(f"/p/{token_of(link)}/context").status == 404
    assert anonymous.get(f"/p/{token_of(resent)}/context").status == 200


def test_resending_a_revoked_link_is_a_conflict(api, customer) -> None:
    link = api.post(f"/customers/{customer['id']}/links", {}).json
    api.delete(f"/customers/{customer['id']}/links/{link['id']}")
    reply = api.post(f"/customers/{customer['id']}/links/{link['id']}/send")
    assert (reply.status, reply.error_code) == (409, "conflict")


def test_no_links_while_the_portal_is_off(api, customer) -> None:
    api.patch(f"/customers/{customer['id']}", {"portal_enabled": False})
    reply = api.post(f"/customers/{customer['id']}/links", {})
    assert (reply.status, reply.error_code) == (409, "conflict")


def test_the_portal_closes_when_the_account_or_customer_switches_it_off(api, anonymous, customer) -> None:
    link = api.post(f"/customers/{customer['id']}/links", {}).json
    api.patch("/account", {"portal": {"enabled": False}})
    assert anonymous.get(f"/p/{token_of(link)}/context").status == 404
    api.patch("/account", {"portal": {"enabled": True}})
    assert anonymous.get(f"/p/{token_of(link)}/context").status == 200
    api.patch(f"/customers/{customer['id']}", {"portal_enabled": False})
    assert anonymous.get(f"/p/{token_of(link)}/context").status == 404


def test_links_of_another_account_are_404(api, make_account, customer) -> None:
    link = api.post(f"/customers/{customer['id']}/links", {}).json
    foreign = api.with_token(make_account()[1])
    base = f"/customers/{customer['id']}/links"
    for reply in (foreign.get(base), foreign.post(base, {}), foreign.delete(f"{base}/{link['id']}"),
                  foreign.post(f"{base}/{link['id']}/send")):
        assert (reply.status, reply.error_code) == (404, "not_found")
    other_customer = foreign.post("/customers", {"name": "Fremd"}).json
    reply = foreign.delete(f"/customers/{other_customer['id']}/links/{link['id']}")
    assert reply.status == 404
    assert api.get(base).json["items"][0]["state"] == "active"
