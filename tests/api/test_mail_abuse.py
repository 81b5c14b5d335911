"""Mail on behalf of an account is bounded and protected: per-account and per-recipient limits, SES bounces
and complaints suppress an address, and tenant text cannot pose as the sender."""

from __future__ import annotations

import json

import pytest

from chalicelib import mail
from tests.support import events


def _customer(api, email: str = "erika@example.com") -> dict:
    reply = api.post("/customers", {"name": "Erika Muster", "email": email})
    assert reply.status == 201, reply
    return reply.json


def _feedback_record(account_id: str, kind: str, address: str, bounce_type: str = "Permanent") -> dict:
    """An SQS record as the feedback queue delivers it: an SNS envelope around an SES event."""
    event: dict = {"eventType": kind, "mail": {"tags": {mail.ACCOUNT_TAG: [account_id]},
                                               "destination": [address]}}
    if kind == "Bounce":
        event["bounce"] = {"bounceType": bounce_type, "bouncedRecipients": [{"emailAddress": address}]}
    else:
        event["complaint"] = {"complainedRecipients": [{"emailAddress": address}]}
    body = {"Type": "Notification", "Message": json.dumps(event)}
    return {"messageId": f"m-{kind}-{address}", "body": json.dumps(body)}


def _deliver(application, *records: dict) -> dict:
    from chalice.local import LambdaContext

    event = {"Records": [{"receiptHandle": "r", "attributes": {}, "messageAttributes": {}, "md5OfBody": "",
                          "eventSource": "aws:sqs", "awsRegion": "eu-central-1",
                          "eventSourceARN": "arn:aws:sqs:eu-central-1:123456789012:dossier-local-mail-feedback",
                          **record} for record in records]}
    return application.handle_mail_feedback(event, LambdaContext("handle_mail_feedback", 512)) or {}


def test_one_recipient_gets_at_most_five_mails_an_hour_then_429(api) -> None:
    customer = _customer(api)
    link = api.post(f"/customers/{customer['id']}/links", {"send_email": True}).json
    path = f"/customers/{customer['id']}/links/{link['id']}/send"
    for _ in range(mail.RECIPIENT_MAILS_PER_HOUR - 1):
        assert api.post(path).status == 200
    before = len(events.sent_mails())
    refused = api.post(path)
    assert (refused.status, refused.error_code) == (429, "rate_limited"), refused
    assert 0 < int(refused.headers["Retry-After"]) <= 3600
    assert len(events.sent_mails()) == before
    listed = api.get(f"/customers/{customer['id']}/links").json["items"][0]
    assert listed["sent_count"] == mail.RECIPIENT_MAILS_PER_HOUR  # the refused send changed nothing
    # A new link with send_email is refused before it is created.
    again = api.post(f"/customers/{customer['id']}/links", {"send_email": True})
    assert (again.status, again.error_code) == (429, "rate_limited")
    assert api.get(f"/customers/{customer['id']}").json["links_count"] == 1


def test_an_account_sends_a_bounded_number_of_mails_an_hour(api, monkeypatch) -> None:
    monkeypatch.setattr(mail, "ACCOUNT_MAILS_PER_HOUR", 3)
    replies = [api.post(f"/customers/{_customer(api, f'k{n}@example.com')['id']}/links", {"send_email": True})
               for n in range(4)]
    assert [r.status for r in replies] == [201, 201, 201, 429]
    assert replies[-1].error_code == "rate_limited"


def test_a_bounce_or_complaint_suppresses_the_address_for_that_account(api, application, make_account) -> None:
    from tests.support.api import ApiClient

    account_id = api.get("/account").json["id"]
    bounced, complained, transient = (_customer(api, f"{n}@example.com") for n in ("weg", "spam", "voll"))
    reply = _deliver(application, _feedback_record(account_id, "Bounce", "WEG@example.com"),
                     _feedback_record(account_id, "Complaint", "spam@example.com"),
                     _feedback_record(account_id, "Bounce", "voll@example.com", bounce_type="Transient"),
                     {"messageId": "garbage", "body": "not json"})
    assert reply == {"batchItemFailures": []}
    for customer in (bounced, complained):
        before = len(events.sent_mails())
        refused = api.post(f"/customers/{customer['id']}/links", {"send_email": True})
        assert (refused.status, refused.error_code) == (422, "address_suppressed"), refused
        assert customer["email"] in refused.json["error"]["message"]
        assert len(events.sent_mails()) == before
        assert api.get(f"/customers/{customer['id']}").json["links_count"] == 0
    assert api.post(f"/customers/{transient['id']}/links", {"send_email": True}).status == 201
    # Another account may still mail the address.
    other = ApiClient(application.app, token=make_account()[1])
    stranger = _customer(other, "weg@example.com")
    assert other.post(f"/customers/{stranger['id']}/links", {"send_email": True}).status == 201


def test_feedback_of_a_mail_without_an_account_tag_suppresses_nothing(application) -> None:
    from chalicelib.mail_feedback import suppressions_of

    bounce = {"bounceType": "Permanent", "bouncedRecipients": [{"emailAddress": "a@b.c"}]}
    assert suppressions_of({"eventType": "Bounce", "mail": {"tags": {}}, "bounce": bounce}) == []
    assert suppressions_of({"notificationType": "Complaint", "mail": {"tags": {mail.ACCOUNT_TAG: ["acme"]}},
                            "complaint": {"complainedRecipients": [{"emailAddress": "a@b.c"}]}}) == [
        ("acme", "a@b.c", "complaint")]


def test_mails_name_their_account_and_the_configuration_set(api, monkeypatch) -> None:
    from chalicelib import aws
    from chalicelib.settings import reset_settings

    customer = _customer(api, "tag@example.com")
    sent: list[dict] = []
    monkeypatch.setattr(aws.client("sesv2"), "send_email", lambda **request: sent.append(request) or {"MessageId": "m"})
    monkeypatch.setenv("DOSSIER_MAIL_CONFIGURATION_SET", "dossier-local")
    reset_settings()
    try:
        assert api.post(f"/customers/{customer['id']}/links", {"send_email": True}).status == 201
    finally:
        monkeypatch.delenv("DOSSIER_MAIL_CONFIGURATION_SET")
        reset_settings()
    [request] = sent
    assert request["EmailTags"] == [{"Name": mail.ACCOUNT_TAG, "Value": api.get("/account").json["id"]}]
    assert request["ConfigurationSetName"] == "dossier-local"
    assert request["FromEmailAddress"] == "no-reply@dossier.local" and request["Destination"]["ToAddresses"] == [
        "tag@example.com"]


@pytest.mark.parametrize("company", ["PayPal <security@paypal.com>", "Ihre Bank\nBcc: x@y.z"])
def test_tenant_text_stays_out_of_sender_and_subject(api, company) -> None:
    api.patch("/account", {"branding": {"company_name": company.replace("\n", " "),
                                        "contact_email": "info@kanzlei.example"}})
    customer = _customer(api, "ziel@example.com")
    before = len(events.sent_mails())
    assert api.post(f"/customers/{customer['id']}/links",
                    {"send_email": True, "message": "Dringend: Konto bestätigen"}).status == 201
    [sent] = events.sent_mails()[before:]
    assert sent["subject"] == mail_subject()
    assert f"„{company.replace(chr(10), ' ')}“" in sent["body"]
    assert "Diese E-Mail hat Dossier im Auftrag von" in sent["body"]


def mail_subject() -> str:
    from chalicelib.links.messages import SUBJECT

    return SUBJECT
