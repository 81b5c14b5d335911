"""Planned reminders under a controlled clock: a failing mail, customers without an address, SMS reminders."""

from __future__ import annotations

import contextlib
import datetime
from collections.abc import Iterator
from typing import Any

import pytest

from chalicelib import aws as aws_clients
from chalicelib import clock
from tests.support import events
from tests.support.faults import client_error


@pytest.fixture
def area(api) -> str:
    return api.post("/attributes", {"name": "Ausweis", "type": "file", "required": True}).json["id"]


def customer(api, name: str, **fields: Any) -> str:
    reply = api.post("/customers", {"name": name, **fields})
    assert reply.status == 201, reply
    return reply.json["id"]


def due_link(api, customer_id: str, area: str, due: datetime.datetime, before_days: int = 2) -> dict:
    reply = api.post(f"/customers/{customer_id}/links", {
        "areas": [area], "due_at": clock.iso(due),
        "reminders": {"enabled": True, "before_due_days": [before_days], "every_days_after": 3}})
    assert reply.status == 201, reply
    return {**reply.json, "token": reply.json["url"].rsplit("/p/", 1)[1]}


def run_reminders(application, monkeypatch, moment: datetime.datetime) -> dict:
    from chalice.local import LambdaContext

    from tests.support.jobs import scheduled_event

    monkeypatch.setattr(clock, "now", lambda: moment)
    return application.send_reminders(scheduled_event(clock.iso(moment)), LambdaContext("send_reminders", 512))


def history(api, customer_id: str, kind: str) -> list[dict]:
    entries = api.get(f"/customers/{customer_id}/activity?limit=100").json["items"]
    return [entry for entry in entries if entry["type"] == kind]


def link_of(api, customer_id: str, link_id: str) -> dict:
    return next(link for link in api.get(f"/customers/{customer_id}/links").json["items"] if link["id"] == link_id)


def reminders_to(address: str) -> list[dict]:
    return [m for m in events.sent_mails() if m["to"] == [address] and m["subject"].startswith("Erinnerung")]


@contextlib.contextmanager
def mail_to_fails(address: str) -> Iterator[None]:
    """SES refuses every mail to `address` (and only to it)."""
    client = aws_clients.client("sesv2")
    name = "before-call.sesv2.SendEmail"

    def hook(params: dict[str, Any], **kwargs: Any) -> None:
        if address in str(params.get("body", "")):  # the serialised request
            raise client_error("MessageRejected", "SendEmail")

    client.meta.events.register(name, hook, unique_id="reminder-mail-fails")
    try:
        yield
    finally:
        client.meta.events.unregister(name, unique_id="reminder-mail-fails")


def test_a_failing_mail_is_recorded_as_not_sent_and_the_run_goes_on_with_the_other_links(
        api, anonymous, application, area, monkeypatch) -> None:
    start = clock.now()
    failing = customer(api, "Fritz Fehler", email="fritz@example.com")
    fine = customer(api, "Anna Anders", email="anna@example.com")
    # Fritz's reminder comes first in the index, so a run that stopped at his failure would never reach Anna's.
    failing_link = due_link(api, failing, area, start + datetime.timedelta(days=5), before_days=3)
    fine_link = due_link(api, fine, area, start + datetime.timedelta(days=5), before_days=2)
    moment = start + datetime.timedelta(days=3, minutes=1)

    with mail_to_fails("fritz@example.com"):
        run = run_reminders(application, monkeypatch, moment)
    assert (run["sent"], run["failed"]) == (1, 1)
    assert len(reminders_to("anna@example.com")) == 1 and reminders_to("fritz@example.com") == []

    # Fritz's history says it was not sent, and why; nothing says it was.
    assert history(api, failing, "reminder_sent") == []
    [entry] = history(api, failing, "reminder_not_sent")
    assert entry["actor"] == "system"
    assert entry["data"] == {"link_id": failing_link["id"], "due_at": failing_link["due_at"],
                             "planned_at": failing_link["reminders"]["next_at"], "reason": "mail_failed",
                             "error": "MessageRejected"}
    # Not counted as sent, the plan moved on, and the URL Fritz already has still works (nothing renewed it).
    shown = link_of(api, failing, failing_link["id"])["reminders"]
    assert shown["sent_count"] == 0 and shown["next_at"] > clock.iso(moment)
    assert anonymous.get(f"/p/{failing_link['token']}/context").status == 200
    assert link_of(api, fine, fine_link["id"])["reminders"]["sent_count"] == 1
    assert anonymous.get(f"/p/{fine_link['token']}/context").status == 404  # renewed by the mailed reminder

    # A rerun sends nothing twice and does not retry the failed one before its next planned time.
    again = run_reminders(application, monkeypatch, moment + datetime.timedelta(minutes=5))
    assert again["sent"] == again["failed"] == 0
    assert len(reminders_to("anna@example.com")) == 1


def test_a_customer_without_an_address_is_skipped_and_recorded_not_failed(api, application, area,
                                                                          monkeypatch) -> None:
    start = clock.now() + datetime.timedelta(days=30)  # clear of the other tests' reminders
    nobody = customer(api, "Otto Ohnemail")
    link = due_link(api, nobody, area, start + datetime.timedelta(days=5))
    run = run_reminders(application, monkeypatch, start + datetime.timedelta(days=3, minutes=1))
    assert run["skipped"] == 1 and run["failed"] == 0 and run["sent"] == 0
    [entry] = history(api, nobody, "reminder_not_sent")
    assert entry["data"]["reason"] == "no_email"
    assert link_of(api, nobody, link["id"])["reminders"]["next_at"] > clock.iso(start + datetime.timedelta(days=3))


def sms_to(number: str) -> list[str]:
    """Every SMS moto's SNS recorded to `number`, as the local outbox shows them."""
    from infra.local.outbox import outbox_items

    return [item["body"] for item in outbox_items() if item["channel"] == "sms" and item["to"] == number]


def test_reminders_go_by_sms_too_where_the_account_enabled_it_and_the_customer_has_a_mobile_number(
        api, anonymous, application, area, monkeypatch) -> None:
    start = clock.now() + datetime.timedelta(days=60)  # clear of the other tests' reminders
    mobile_only = customer(api, "Mia Mobil", phone="0170 1234567")
    both = customer(api, "Bea Beides", email="bea@example.com", phone="+49 151-2345678")
    landline = customer(api, "Lars Festnetz", phone="030 1234567")
    for who in (mobile_only, both, landline):
        due_link(api, who, area, start + datetime.timedelta(days=5))
    moment = start + datetime.timedelta(days=3, minutes=1)

    # Off by default: the customer with a mobile number only is skipped like one without an address.
    assert api.get("/account").json["notifications"]["sms_reminders"] is False
    run = run_reminders(application, monkeypatch, moment)
    assert (run["sent"], run["skipped"]) == (1, 2) and sms_to("+491701234567") == []
    assert history(api, mobile_only, "reminder_not_sent")[0]["data"]["reason"] == "no_email"

    switched = api.patch("/account", {"notifications": {"sms_reminders": True}})
    assert switched.status == 200 and switched.json["notifications"]["sms_reminders"] is True
    run = run_reminders(application, monkeypatch, start + datetime.timedelta(days=8, minutes=1))
    assert (run["sent"], run["skipped"], run["failed"]) == (2, 1, 0)
    [text] = sms_to("+491701234567")
    assert "Ihre Unterlagen sind am" in text
    token = text.rsplit("/p/", 1)[1].split()[0]
    assert anonymous.get(f"/p/{token}/context").status == 200  # the SMS carries a working, renewed URL
    [entry] = history(api, mobile_only, "reminder_sent")
    assert (entry["data"]["to"], entry["data"]["sms_to"]) == (None, "+491701234567")
    # Mail and SMS carry the same URL; a landline gets no SMS (it is skipped and recorded).
    [both_sms] = sms_to("+491512345678")
    both_mail = reminders_to("bea@example.com")[-1]
    assert both_sms.rsplit("/p/", 1)[1].split()[0] in both_mail["body"]
    assert history(api, both, "reminder_sent")[0]["data"]["sms_to"] == "+491512345678"
    assert [e["data"]["reason"] for e in history(api, landline, "reminder_not_sent")] == ["no_email", "no_email"]
    assert sms_to("+49301234567") == []


def test_links_without_their_reminder_index_entry_are_backfilled_and_then_reminded(
        api, application, area, monkeypatch) -> None:
    import boto3

    from chalicelib.settings import get_settings
    from chalicelib.storage import keys
    from chalicelib.storage.tables import main_table
    from infra.backfill_reminders import backfill

    start = clock.now() + datetime.timedelta(days=90)  # clear of the other tests' reminders
    old = customer(api, "Olga Altlink", email="olga@example.com")
    link = due_link(api, old, area, start + datetime.timedelta(days=5))
    plain = api.post(f"/customers/{old}/links", {"areas": [area]}).json  # no plan: nothing to add
    account_id = api.get("/account").json["id"]
    # As if written before the index existed.
    main_table().update(keys.link(account_id, link["id"]), "REMOVE gsi2pk, gsi2sk", return_values="NONE")
    moment = start + datetime.timedelta(days=3, minutes=1)
    assert run_reminders(application, monkeypatch, moment)["sent"] == 0  # invisible to the run

    client, table = boto3.client("dynamodb"), get_settings().table_name
    assert backfill(client, table) == [(account_id, link["id"])]
    assert backfill(client, table) == []  # idempotent
    item = main_table().get(keys.link(account_id, plain["id"]))
    assert "gsi2pk" not in item
    assert run_reminders(application, monkeypatch, moment)["sent"] == 1
    assert len(reminders_to("olga@example.com")) == 1


def test_due_reminders_are_read_page_after_page_up_to_the_run_limit() -> None:
    """DynamoDB ends a page at 1 MB (the index projects whole links): the run reads on until its limit."""
    from chalicelib.links.repository import LinkRepository
    from chalicelib.storage.dynamo import Page

    entries = [{"gsi2sk": f"2026-01-0{n}T00:00:00.000Z#acc#link{n}"} for n in range(1, 6)]
    asked = []

    class PagedTable:
        def query(self, pk, *, limit, start_key, **kwargs):
            asked.append(limit)
            at = start_key["at"] if start_key else 0
            taken = entries[at:at + min(limit, 2)]  # at most two to a page, as if each were half a megabyte
            rest = at + len(taken) < len(entries)
            return Page(items=taken, last_key={"at": at + len(taken)} if rest else None)

    repository = LinkRepository(table=PagedTable())
    assert [link for _, link, _ in repository.due_reminders("2027-01-01T00:00:00.000Z", 4)] == [
        "link1", "link2", "link3", "link4"]
    assert asked == [4, 2]
    asked.clear()
    assert len(repository.due_reminders("2027-01-01T00:00:00.000Z", 100)) == 5 and asked == [100, 98, 96]
