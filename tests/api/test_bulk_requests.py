"""Bulk requests: a template sent to many customers as a job (`POST /requests/bulk`, `GET /jobs/{id}`)."""

from __future__ import annotations

import datetime
import json

import pytest

from chalicelib import clock
from tests.support import events, jobs


@pytest.fixture
def template(api) -> str:
    area = api.post("/attributes", {"name": "Lohnsteuerbescheinigung", "type": "file", "required": True}).json["id"]
    reply = api.post("/templates", {"name": "Einkommensteuer 2025", "message": "Bitte bis Ende Mai.",
                                    "items": [{"attribute_id": area, "help": "Vom Arbeitgeber"}], "due_in_days": 30})
    assert reply.status == 201, reply
    return reply.json["id"]


def customer(api, name: str, **fields) -> str:
    reply = api.post("/customers", {"name": name, **fields})
    assert reply.status == 201, reply
    return reply.json["id"]


def links_of(api, customer_id: str) -> list[dict]:
    return api.get(f"/customers/{customer_id}/links").json["items"]


def link_mails(to: str) -> list[dict]:
    return [m for m in events.sent_mails() if m["to"] == [to] and m["subject"].startswith("Ihr persönlicher")]


def test_a_template_goes_to_each_customer_once_with_progress_and_failures_per_customer(
        api, application, aws, make_account, template) -> None:
    anna = customer(api, "Anna Bulk", email="anna.bulk@example.com")
    bert = customer(api, "Bert Bulk", email="bert.bulk@example.com")
    nomail = customer(api, "Carl Ohnemail")
    _, other_token = make_account()
    from tests.support.api import ApiClient

    foreign = customer(ApiClient(application.app, token=other_token), "Fremd", email="fremd@example.com")
    due = clock.iso(clock.now() + datetime.timedelta(days=10))
    body = {"template_id": template, "customer_ids": [anna, bert, nomail, foreign, "nope", anna],
            "due_at": due, "send_email": True}

    reply = api.post("/requests/bulk", body)
    assert reply.status == 202, reply
    job = reply.json
    assert {k: job[k] for k in ("status", "total", "done", "failed")} == {
        "status": "pending", "total": 5, "done": 0, "failed": 0}  # the repeated id counts once
    assert api.get(f"/jobs/{job['id']}").json["status"] == "pending"

    jobs.drain_jobs(application, aws)
    shown = api.get(f"/jobs/{job['id']}").json
    assert {k: shown[k] for k in ("status", "total", "done", "failed")} == {
        "status": "done", "total": 5, "done": 2, "failed": 3}
    assert sorted(shown["failures"], key=lambda f: f["code"]) == sorted([
        {"customer_id": nomail, "code": "no_email"}, {"customer_id": foreign, "code": "not_found"},
        {"customer_id": "nope", "code": "not_found"}], key=lambda f: f["code"])
    assert shown["finished_at"] is not None

    # Each got their own link from the template, with the due date, and one mail.
    for customer_id, address in ((anna, "anna.bulk@example.com"), (bert, "bert.bulk@example.com")):
        [link] = links_of(api, customer_id)
        assert link["template_id"] == template and link["due_at"] == due and link["sent_count"] == 1
        assert link["message"] == "Bitte bis Ende Mai."
        assert len(link_mails(address)) == 1
    assert links_of(api, nomail) == []
    # The other account's customer got nothing, and the other account cannot see the job.
    other = ApiClient(application.app, token=other_token)
    assert other.get(f"/customers/{foreign}/links").json["items"] == [] and link_mails("fremd@example.com") == []
    assert other.get(f"/jobs/{job['id']}").status == 404


def test_a_redelivered_page_makes_no_second_link_or_mail(api, application, aws, template) -> None:
    ids = [customer(api, f"Kunde {n}", email=f"kunde{n}.redeliver@example.com") for n in range(3)]
    job = api.post("/requests/bulk", {"template_id": template, "customer_ids": ids, "send_email": True}).json
    [page] = jobs.take_job_messages(aws)
    # Delivered twice (SQS at least once), and once more after the first finished.
    jobs.deliver_job(application, page)
    jobs.deliver_job(application, page)
    assert json.loads(page)["customer_ids"] == ids
    shown = api.get(f"/jobs/{job['id']}").json
    assert (shown["status"], shown["done"], shown["failed"]) == ("done", 3, 0)
    for n, customer_id in enumerate(ids):
        assert len(links_of(api, customer_id)) == 1
        assert len(link_mails(f"kunde{n}.redeliver@example.com")) == 1


def test_a_page_redelivered_after_a_crash_mid_page_finishes_the_rest_once(api, application, aws, monkeypatch,
                                                                          template) -> None:
    from chalicelib.links import service as links

    ids = [customer(api, f"Abbruch {n}", email=f"abbruch{n}@example.com") for n in range(3)]
    job = api.post("/requests/bulk", {"template_id": template, "customer_ids": ids, "send_email": True}).json
    [page] = jobs.take_job_messages(aws)
    real = links.create_link
    calls = []

    def crashing_on_the_second(*args, **kwargs):
        calls.append(args[2])
        if len(calls) == 2:
            raise RuntimeError("the Lambda ran out of time")
        return real(*args, **kwargs)

    monkeypatch.setattr(links, "create_link", crashing_on_the_second)
    assert jobs.deliver_job(application, page)["batchItemFailures"]  # SQS will deliver it again
    monkeypatch.setattr(links, "create_link", real)
    assert api.get(f"/jobs/{job['id']}").json["done"] == 1
    jobs.deliver_job(application, page)
    shown = api.get(f"/jobs/{job['id']}").json
    assert (shown["status"], shown["done"], shown["failed"]) == ("done", 3, 0)
    assert [len(link_mails(f"abbruch{n}@example.com")) for n in range(3)] == [1, 1, 1]


def test_an_idempotency_key_answers_the_same_job_and_a_group_is_sent_to_its_members(
        api, application, aws, template) -> None:
    group = api.post("/groups", {"name": "Mandanten 2025"}).json["id"]
    members = [customer(api, f"Mitglied {n}", groups=[group]) for n in range(2)]
    customer(api, "Kein Mitglied")
    body = {"template_id": template, "group_id": group}
    first = api.post("/requests/bulk", body, headers={"Idempotency-Key": "bulk-2025-1"})
    again = api.post("/requests/bulk", body, headers={"Idempotency-Key": "bulk-2025-1"})
    assert first.status == again.status == 202
    assert again.json["id"] == first.json["id"] and first.json["total"] == 2
    assert jobs.queued_jobs(aws) == 1  # one page queued, once
    # The same key with another request is a conflict; without a key every request is a job of its own.
    assert api.post("/requests/bulk", {**body, "send_email": True},
                    headers={"Idempotency-Key": "bulk-2025-1"}).status == 409
    jobs.drain_jobs(application, aws)
    assert api.get(f"/jobs/{first.json['id']}").json["done"] == 2
    for member in members:
        assert len(links_of(api, member)) == 1
    again_after = api.post("/requests/bulk", body, headers={"Idempotency-Key": "bulk-2025-1"})
    assert again_after.json["id"] == first.json["id"] and again_after.json["status"] == "done"


def test_bad_bulk_requests_are_refused_and_nothing_is_queued(api, application, aws, make_account, template) -> None:
    someone = customer(api, "Jemand")
    _, other_token = make_account()
    from tests.support.api import ApiClient

    other = ApiClient(application.app, token=other_token)
    foreign_template = other.post("/templates", {"name": "Fremd", "items": [{"attribute_id": "general"}]}).json["id"]
    past = clock.iso(clock.now() - datetime.timedelta(days=1))
    for body, status, field in (
            ({"template_id": template}, 422, "customer_ids"),
            ({"template_id": template, "customer_ids": [someone], "group_id": "x"}, 422, "customer_ids"),
            ({"template_id": template, "customer_ids": []}, 422, "customer_ids"),
            ({"template_id": template, "customer_ids": [someone], "due_at": past}, 422, "due_at"),
            ({"template_id": template, "customer_ids": [someone], "extra": 1}, 422, "extra"),
            ({"customer_ids": [someone]}, 422, "template_id"),
            ({"template_id": foreign_template, "customer_ids": [someone]}, 404, None),
            ({"template_id": template, "group_id": "01J0000000000000000000000Z"}, 404, None)):
        reply = api.post("/requests/bulk", body)
        assert reply.status == status, (body, reply)
        if field:
            assert field in json.dumps(reply.json["error"]["details"]), (body, reply.json)
    assert api.post("/requests/bulk", {"template_id": template, "customer_ids": [someone]},
                    headers={"Idempotency-Key": "x" * 256}).status == 422
    assert jobs.queued_jobs(aws) == 0
    assert api.get("/jobs/nope").status == 404


def test_customers_over_the_mail_limits_are_reported_each_and_the_rest_is_done(api, application, aws,
                                                                               template) -> None:
    # Six customers sharing one address: the mail path allows five mails an hour to one recipient.
    ids = [customer(api, f"Familie {n}", email="familie.limit@example.com") for n in range(6)]
    job = api.post("/requests/bulk", {"template_id": template, "customer_ids": ids, "send_email": True}).json
    jobs.drain_jobs(application, aws)
    shown = api.get(f"/jobs/{job['id']}").json
    assert (shown["status"], shown["done"], shown["failed"]) == ("done", 5, 1)
    [failure] = shown["failures"]
    assert failure == {"customer_id": ids[5], "code": "rate_limited"}
    assert links_of(api, ids[5]) == []  # refused before anything was written
    assert len(link_mails("familie.limit@example.com")) == 5


def test_two_deliveries_of_a_page_at_once_make_each_link_once(api, application, aws, monkeypatch, template) -> None:
    from chalicelib.jobs import service as job_service

    ids = [customer(api, f"Parallel {n}", email=f"parallel{n}@example.com") for n in range(2)]
    job = api.post("/requests/bulk", {"template_id": template, "customer_ids": ids, "send_email": True}).json
    [page] = jobs.take_job_messages(aws)
    jobs.deliver_job(application, page)
    # The second delivery read the step markers before the first wrote them: only their conditions stop it.
    monkeypatch.setattr(job_service, "handled", lambda *args: set())
    assert not jobs.deliver_job(application, page).get("batchItemFailures")
    shown = api.get(f"/jobs/{job['id']}").json
    assert (shown["status"], shown["done"], shown["failed"], shown["failures"]) == ("done", 2, 0, [])
    for n, customer_id in enumerate(ids):
        assert len(links_of(api, customer_id)) == 1
        assert len(link_mails(f"parallel{n}@example.com")) == 1
