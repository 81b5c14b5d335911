"""Webhooks: signed deliveries to a real receiver, retries, exactly the committed events, SSRF refusals and
isolation between accounts."""

from __future__ import annotations

import socket
from datetime import timedelta

import boto3
import pytest
from standardwebhooks import Webhook

from chalicelib import clock
from chalicelib.storage import keys
from chalicelib.storage.tables import main_table
from chalicelib.webhooks import ssrf
from tests.support import events as s3_events
from tests.support.webhooks import Webhooks, receiver


@pytest.fixture
def hooks(application, aws) -> Webhooks:
    return Webhooks(application, aws)


def create_webhook(api, url: str, events: list[str], **fields) -> dict:
    reply = api.post("/webhooks", {"url": url, "events": events, **fields})
    assert reply.status == 201, reply
    return reply.json


def test_a_real_receiver_verifies_every_delivery_with_the_secret_shown_once(api, hooks) -> None:
    with receiver() as site:
        hook = create_webhook(api, site.url, ["customer.created", "customer.updated", "customer.status_changed"])
        assert hook["secret"].startswith("whsec_")
        assert api.get(f"/webhooks/{hook['id']}").json["secret"] is None
        assert all(item["secret"] is None for item in api.get("/webhooks").json["items"])

        customer = api.post("/customers", {"name": "Erika Mustermann"}).json
        assert api.patch(f"/customers/{customer['id']}", {"company": "Muster GmbH"}).status == 200
        hooks.run()

        assert len(site.requests) == 2
        verifier = Webhook(hook["secret"])
        payloads = [verifier.verify(r.body, r.headers) for r in site.requests]
        assert [p["type"] for p in payloads] == ["customer.created", "customer.updated"]
        assert all(p["data"]["customer_id"] == customer["id"] for p in payloads)
        assert all(set(p) == {"type", "timestamp", "data"} for p in payloads)
        assert len({r.headers["webhook-id"] for r in site.requests}) == 2
        assert all(r.headers["webhook-signature"].startswith("v1,") for r in site.requests)
        with pytest.raises(Exception, match="(?i)signature"):
            Webhook(api.post("/webhooks", {"url": site.url, "events": ["file.received"]}).json["secret"]).verify(
                site.requests[0].body, site.requests[0].headers)

        attempts = api.get(f"/webhooks/{hook['id']}/deliveries").json["items"]
        assert [(a["event"], a["status_code"], a["ok"], a["attempt"]) for a in attempts] == [
            ("customer.updated", 200, True, 1), ("customer.created", 200, True, 1)]


def test_a_receiver_that_answers_500_gets_the_same_event_again_after_the_back_off(api, hooks) -> None:
    with receiver(statuses=[500, 200]) as site:
        hook = create_webhook(api, site.url, ["customer.created"])
        reply = api.post(f"/webhooks/{hook['id']}/test")
        assert reply.status == 202, reply
        assert hooks.run() == 1
        assert len(site.requests) == 1
        failing = api.get(f"/webhooks/{hook['id']}").json
        assert failing["failing_since"] is not None and failing["enabled"] is True

        assert hooks.run() == 0, "the failed delivery waits for its back-off"
        hooks.time_passes()
        assert hooks.run() == 1

        assert len(site.requests) == 2
        first, second = site.requests
        assert first.headers["webhook-id"] == second.headers["webhook-id"] == reply.json["event_id"]
        assert Webhook(hook["secret"]).verify(second.body, second.headers)["type"] == "ping"
        attempts = api.get(f"/webhooks/{hook['id']}/deliveries?limit=1").json
        assert [(a["status_code"], a["ok"], a["attempt"]) for a in attempts["items"]] == [(200, True, 2)]
        older = api.get(f"/webhooks/{hook['id']}/deliveries?limit=1&cursor={attempts['next_cursor']}").json
        assert [(a["status_code"], a["ok"], a["attempt"]) for a in older["items"]] == [(500, False, 1)]
        assert api.get(f"/webhooks/{hook['id']}").json["failing_since"] is None


def test_back_off_spans_more_than_a_day_and_the_queue_then_dead_letters(aws) -> None:
    import boto3

    from chalicelib.webhooks import delivery

    assert delivery.backoff_seconds(1) <= 60, "the first retry within a minute"
    assert sum(delivery.BACKOFF_SECONDS) >= 24 * 3600
    assert max(delivery.BACKOFF_SECONDS) <= 43_200, "SQS visibility stops at 12 hours"
    attributes = boto3.client("sqs").get_queue_attributes(QueueUrl=aws.outputs["WebhooksQueueUrl"],
                                                          AttributeNames=["RedrivePolicy"])["Attributes"]
    assert f'"maxReceiveCount": {delivery.MAX_ATTEMPTS}' in attributes["RedrivePolicy"]


def test_only_committed_changes_are_announced(make_account, application, hooks) -> None:
    from tests.support.api import ApiClient

    _, token = make_account(plan="solo")
    api = ApiClient(application.app, token=token)
    with receiver() as site:
        create_webhook(api, site.url, ["customer.created", "customer.updated"])
        created = [api.post("/customers", {"name": f"Kunde {n}"}).json["id"] for n in range(10)]
        refused = api.post("/customers", {"name": "Kunde 11"})
        assert (refused.status, refused.error_code) == (409, "plan_limit")
        stale = api.patch(f"/customers/{created[0]}", {"groups": ["0000000000000000000000000000"]})
        assert stale.status == 422
        hooks.run()
        announced = site.events()
        assert sorted(e["data"]["customer_id"] for e in announced) == sorted(created)
        assert {e["type"] for e in announced} == {"customer.created"}


def test_a_transaction_that_fails_in_dynamodb_announces_nothing(api, hooks) -> None:
    """The write itself is cancelled (a condition fails inside the transaction): nothing was committed."""
    from chalicelib.activity import repository as activity
    from chalicelib.storage.dynamo import Put, Table, TransactionCancelledError

    with receiver() as site:
        create_webhook(api, site.url, ["customer.created"])
        account_id = api.get("/account").json["id"]
        with pytest.raises(TransactionCancelledError):
            Table(main_table().name).transact([
                activity.entry(account_id, "c" * 28, "customer_created", "system"),
                Put({**keys.account(account_id), "entity": "account"}, condition="attribute_not_exists(pk)"),
            ])
        hooks.run()
        assert site.requests == []


def test_a_patch_that_loses_to_a_conflicting_change_announces_nothing(api, aws, hooks) -> None:
    """Between the PATCH's read and its transaction, the customer is flagged for deletion by another writer:
    the transaction's condition fails in DynamoDB and the PATCH is refused; only the other change is announced."""
    from chalicelib import aws as clients

    with receiver() as site:
        create_webhook(api, site.url, ["customer.updated", "customer.deleted"])
        customer = api.post("/customers", {"name": "Erika Mustermann"}).json
        account_id = api.get("/account").json["id"]
        competed: list[bool] = []

        def compete(**_: object) -> None:
            if not competed:
                competed.append(True)
                boto3.client("dynamodb").update_item(
                    TableName=aws.outputs["TableName"], Key={k: {"S": v} for k, v in keys.customer(
                        account_id, customer["id"]).items()},
                    UpdateExpression="SET closing = :delete", ExpressionAttributeValues={":delete": {"S": "delete"}})

        events = clients.client("dynamodb").meta.events
        events.register("before-call.dynamodb.TransactWriteItems", compete, unique_id="compete")
        try:
            reply = api.patch(f"/customers/{customer['id']}", {"company": "Muster GmbH"})
        finally:
            events.unregister("before-call.dynamodb.TransactWriteItems", unique_id="compete")
        assert competed and reply.status in (404, 409), reply
        hooks.run()
        assert [e["type"] for e in site.events()] == ["customer.deleted"]


def test_uploads_reviews_links_and_exports_are_announced(api, anonymous, application, aws, hooks) -> None:
    from tests.support import jobs

    with receiver() as site:
        create_webhook(api, site.url, ["file.received", "file.reviewed", "export.done", "customer.status_changed",
                                       "link.completed"])
        phone = api.post("/attributes", {"name": "Telefon privat", "type": "text"}).json["id"]
        customer = api.post("/customers", {"name": "Erika Mustermann"}).json
        link = api.post(f"/customers/{customer['id']}/links", {"areas": ["general"], "attributes": [phone]}).json
        token = link["url"].rsplit("/p/", 1)[1]
        presigned = anonymous.post(f"/p/{token}/uploads", {"filename": "a.pdf", "size": 9,
                                                          "content_type": "application/pdf"}).json
        s3_events.post_upload(presigned, b"%PDF-1.7 ")
        s3_events.drain(application, aws)
        assert anonymous.put(f"/p/{token}/attributes", {phone: "040 123"}).status == 200
        assert api.patch(f"/customers/{customer['id']}/files/{presigned['file_id']}",
                         {"review": "checked"}).status == 200
        export = api.post("/exports", {"format": "csv"}).json
        jobs.drain_jobs(application, aws)
        hooks.run()
        announced = site.events()
        by_type = {e["type"]: e["data"] for e in announced}
        assert by_type["file.received"]["file_id"] == presigned["file_id"]
        assert by_type["file.reviewed"]["customer_id"] == customer["id"]
        assert by_type["link.completed"] == {"link_id": link["id"], "customer_id": customer["id"]}
        assert by_type["export.done"]["export_id"] == export["id"]
        # The first upload makes the customer partial; the checked file and the filled field complete the request.
        status_changes = [(e["data"]["customer_id"], e["data"]["from"], e["data"]["to"])
                          for e in announced if e["type"] == "customer.status_changed"]
        assert sorted(status_changes) == [(customer["id"], "open", "partial"), (customer["id"], "partial", "complete")]
        assert len(site.requests) == len(announced) == len(by_type) + 1, "each event once"


def test_customer_deleted_is_announced_once(api, hooks) -> None:
    with receiver() as site:
        create_webhook(api, site.url, ["customer.deleted"])
        customer = api.post("/customers", {"name": "Erika Mustermann"}).json
        assert api.delete(f"/customers/{customer['id']}").status == 202
        hooks.run()
        assert [(e["type"], e["data"]["customer_id"]) for e in site.events()] == [
            ("customer.deleted", customer["id"])]


# --- SSRF ---

REFUSED_URLS = [
    "http://hooks.example.com/x",  # not https
    "https://10.0.0.8/hook",
    "https://192.168.1.10/hook",
    "https://172.16.0.1/hook",
    "https://169.254.169.254/latest/meta-data/",
    "https://[fd00:ec2::254]/",
    "https://[::1]/hook",
    "https://[::ffff:10.0.0.8]/hook",
    "https://[::ffff:169.254.169.254]/hook",
    "https://100.64.0.1/hook",
    "https://224.0.0.1/hook",
    "https://0.0.0.0/hook",
    "https://user:pw@hooks.example.com/x",
    "ftp://hooks.example.com/x",
]


@pytest.mark.parametrize("url", REFUSED_URLS)
def test_private_and_special_addresses_are_refused_at_creation(api, url) -> None:
    reply = api.post("/webhooks", {"url": url, "events": ["customer.created"]})
    assert (reply.status, reply.error_code) == (422, "validation_error"), reply
    assert api.get("/webhooks").json["items"] == []


def fake_dns(monkeypatch, answers: dict[str, list[str]]) -> None:
    real = socket.getaddrinfo

    def getaddrinfo(host, port, *args, **kwargs):
        if host in answers:
            return [(socket.AF_INET6 if ":" in a else socket.AF_INET, socket.SOCK_STREAM, 6, "", (a, port))
                    for a in answers[host]]
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)


@pytest.mark.parametrize("addresses", [["127.0.0.1"], ["10.1.2.3"], ["169.254.169.254"], ["fd00:ec2::254"],
                                       ["93.184.216.34", "192.168.0.5"], ["::ffff:127.0.0.1"]])
def test_names_that_resolve_to_private_addresses_are_refused(api, monkeypatch, addresses) -> None:
    fake_dns(monkeypatch, {"hooks.example.com": addresses})
    reply = api.post("/webhooks", {"url": "https://hooks.example.com/in", "events": ["customer.created"]})
    assert (reply.status, reply.error_code) == (422, "validation_error"), reply


def test_a_name_that_rebinds_to_a_private_address_after_creation_is_not_contacted(api, hooks, monkeypatch) -> None:
    fake_dns(monkeypatch, {"hooks.example.com": ["93.184.216.34"]})
    hook = create_webhook(api, "https://hooks.example.com/in", ["customer.created"])
    connected: list[tuple] = []
    monkeypatch.setattr(socket, "create_connection", lambda address, *a, **k: connected.append(address))
    fake_dns(monkeypatch, {"hooks.example.com": ["169.254.169.254"]})
    api.post(f"/webhooks/{hook['id']}/test")
    hooks.run()
    assert connected == []
    attempt, = api.get(f"/webhooks/{hook['id']}/deliveries").json["items"]
    assert attempt["ok"] is False and attempt["status_code"] is None and "refused" in attempt["error"]


def test_loopback_is_accepted_only_on_the_local_stage_and_only_as_127_0_0_1() -> None:
    assert ssrf.check("http://127.0.0.1:9000/hook", "local").host == "127.0.0.1"
    for stage in ("dev", "prod"):
        with pytest.raises(ssrf.UnsafeUrlError):
            ssrf.check("http://127.0.0.1:9000/hook", stage)
        with pytest.raises(ssrf.UnsafeUrlError):
            ssrf.check("https://127.0.0.1:9000/hook", stage)
    with pytest.raises(ssrf.UnsafeUrlError):
        ssrf.check("http://localhost:9000/hook", "local")


@pytest.mark.parametrize(("address", "public"), [
    ("93.184.216.34", True), ("2606:2800:220:1:248:1893:25c8:1946", True), ("10.0.0.1", False),
    ("127.0.0.1", False), ("169.254.169.254", False), ("fd00:ec2::254", False), ("fe80::1", False),
    ("::ffff:192.168.0.1", False), ("::ffff:93.184.216.34", True), ("64:ff9b::a00:1", False),
    ("2002:a00:1::", False), ("ff02::1", False), ("240.0.0.1", False), ("::", False),
])
def test_is_public(address, public) -> None:
    assert ssrf.is_public(address) is public


# --- isolation, validation, lifecycle ---


def test_another_account_never_sees_or_receives_the_first_accounts_webhooks(api, make_account, application,
                                                                             hooks) -> None:
    from tests.support.api import ApiClient

    other = ApiClient(application.app, token=make_account()[1])
    with receiver() as mine, receiver() as theirs:
        hook = create_webhook(api, mine.url, ["customer.created"])
        create_webhook(other, theirs.url, ["customer.created"])
        for method, path, body in [("GET", "", None), ("PATCH", "", {"enabled": False}), ("DELETE", "", None),
                                   ("POST", "/test", None), ("GET", "/deliveries", None)]:
            reply = other.request(method, f"/webhooks/{hook['id']}{path}", body)
            assert (reply.status, reply.error_code) == (404, "not_found"), (method, path, reply)
        assert [w["id"] for w in other.get("/webhooks").json["items"]] != [hook["id"]]
        api.post("/customers", {"name": "Nur Meins"})
        hooks.run()
        assert len(mine.requests) == 1 and theirs.requests == []
        assert api.get(f"/webhooks/{hook['id']}").json["enabled"] is True


def test_members_may_not_manage_webhooks(application, account) -> None:
    from chalicelib.auth.tokens import issue_token
    from tests.support.api import ApiClient

    member = ApiClient(application.app, token=issue_token(account[0], "bob", "member"))
    assert member.get("/webhooks").status == 403
    assert member.post("/webhooks", {"url": "http://127.0.0.1:9/x", "events": ["customer.created"]}).status == 403


def test_changes_and_bad_input(api, hooks) -> None:
    with receiver() as site:
        hook = create_webhook(api, site.url, ["customer.created"])
        assert api.post("/webhooks", {"url": site.url, "events": ["customer.exploded"]}).status == 422
        assert api.post("/webhooks", {"url": site.url, "events": []}).status == 422
        assert api.patch(f"/webhooks/{hook['id']}", {"url": "https://10.0.0.1/"}).status == 422
        changed = api.patch(f"/webhooks/{hook['id']}", {"events": ["customer.updated"], "enabled": False}).json
        assert (changed["events"], changed["enabled"], changed["secret"]) == (["customer.updated"], False, None)
        api.post("/customers", {"name": "Nicht gemeldet"})
        hooks.run()
        assert site.requests == []
        assert api.delete(f"/webhooks/{hook['id']}").status == 204
        assert api.get(f"/webhooks/{hook['id']}").status == 404
        assert api.get("/webhooks/not-an-id").status == 404


def test_an_endpoint_failing_for_three_days_is_disabled_and_the_account_told(api, hooks) -> None:
    address = "webhooks@kanzlei.example"
    assert api.patch("/account", {"notification_email": address}).status == 200
    account_id = api.get("/account").json["id"]
    mails_before = len(s3_events.sent_mails())
    with receiver(statuses=[503]) as site:
        hook = create_webhook(api, site.url, ["customer.created"])
        main_table().update(keys.webhook(account_id, hook["id"]), "SET failing_since = :since",
                            values={":since": clock.iso(clock.now() - timedelta(days=3, minutes=1))})
        api.post("/customers", {"name": "Erika Mustermann"})
        hooks.run()
        assert len(site.requests) == 1
        shown = api.get(f"/webhooks/{hook['id']}").json
        assert (shown["enabled"], shown["disabled_reason"]) == (False, "failing")
        hooks.time_passes()
        assert hooks.run() == 0, "a disabled endpoint's deliveries are done with"
        mails = s3_events.sent_mails()[mails_before:]
        assert [m["to"] for m in mails] == [[address]]
        assert site.url in mails[0]["body"]
        enabled = api.patch(f"/webhooks/{hook['id']}", {"enabled": True}).json
        assert (enabled["enabled"], enabled["failing_since"], enabled["disabled_reason"]) == (True, None, None)
