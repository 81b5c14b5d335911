"""No single link, customer or anonymous visitor can hold the account's storage: what open upload reservations
may hold per link and per customer, the presign rate of a link, room kept for staff, and a check whose cost
does not grow with the reservations."""

from __future__ import annotations

import datetime

import pytest

from bench.counting import dynamodb_cost
from chalicelib import clock
from chalicelib.files import ledger
from chalicelib.settings import get_settings
from tests.support import events

FIVE_MB = 5 * 1024 * 1024
PDF = {"content_type": "application/pdf"}


def _link_token(api, name: str) -> tuple[str, str]:
    customer = api.post("/customers", {"name": name}).json
    link = api.post(f"/customers/{customer['id']}/links", {"areas": ["general"]}).json
    return customer["id"], link["url"].rsplit("/p/", 1)[1]


def _presign(anonymous, token: str, size: int = FIVE_MB, name: str = "a.pdf"):
    return anonymous.post(f"/p/{token}/uploads", {"filename": name, "size": size, **PDF})


def test_one_link_holding_its_limit_blocks_no_other_customer_and_not_staff(api, anonymous) -> None:
    _, greedy = _link_token(api, "Greedy")
    replies = [_presign(anonymous, greedy, name=f"f{i}.pdf") for i in range(100)]
    accepted = [r for r in replies if r.status == 201]
    refused = [r for r in replies if r.status != 201]
    assert len(accepted) == ledger.LINK_MAX_OPEN, "one link holds at most its open reservations"
    assert {(r.status, r.error_code) for r in refused} <= {(413, "upload_limit"), (429, "rate_limited")}
    limit = next(r for r in refused if r.error_code == "upload_limit").json["error"]
    assert limit["details"][0]["scope"] == "link" and limit["details"][0]["max_open_uploads"] == ledger.LINK_MAX_OPEN

    other_id, other = _link_token(api, "Other")
    for i in range(5):
        reply = _presign(anonymous, other, name=f"o{i}.pdf")
        assert reply.status == 201, reply
    for i in range(5):
        reply = api.post(f"/customers/{other_id}/files", {"filename": f"s{i}.pdf", "size": FIVE_MB, **PDF})
        assert reply.status == 201, reply
    assert api.get("/account").json["used_bytes"] == 0


def test_a_customer_is_capped_across_their_links(api, anonymous, monkeypatch) -> None:
    from chalicelib.files import service

    monkeypatch.setattr(service, "CUSTOMER_MAX_OPEN", 3)
    customer = api.post("/customers", {"name": "Two Links"}).json
    tokens = [api.post(f"/customers/{customer['id']}/links", {"areas": ["general"]}).json["url"].rsplit("/p/", 1)[1]
              for _ in range(2)]
    assert [_presign(anonymous, tokens[i % 2], size=10).status for i in range(3)] == [201, 201, 201]
    reply = _presign(anonymous, tokens[1], size=10)
    assert (reply.status, reply.error_code) == (413, "upload_limit")
    assert reply.json["error"]["details"][0]["scope"] == "customer"


def test_presigns_of_one_link_are_rate_limited_with_retry_after(api, anonymous, monkeypatch) -> None:
    from chalicelib.files import service

    monkeypatch.setattr(service, "LINK_MAX_OPEN", 1000)
    monkeypatch.setattr(service, "CUSTOMER_MAX_OPEN", 1000)
    start = datetime.datetime(2026, 12, 1, 9, 0, 1, tzinfo=datetime.UTC)
    monkeypatch.setattr(clock, "now", lambda: start)
    _, token = _link_token(api, "Hasty")
    statuses = [_presign(anonymous, token, size=10).status for _ in range(ledger.LINK_PRESIGNS_PER_WINDOW)]
    assert statuses == [201] * ledger.LINK_PRESIGNS_PER_WINDOW
    reply = _presign(anonymous, token, size=10)
    assert (reply.status, reply.error_code) == (429, "rate_limited"), reply
    assert reply.headers["Retry-After"] == str(ledger.WINDOW_SECONDS - 1)
    _, other = _link_token(api, "Patient")
    assert _presign(anonymous, other, size=10).status == 201, "the limit is per link"
    monkeypatch.setattr(clock, "now", lambda: start + datetime.timedelta(seconds=ledger.WINDOW_SECONDS))
    assert _presign(anonymous, token, size=10).status == 201, "the next window admits the link again"


def test_portal_reservations_leave_room_for_staff(api, anonymous, aws, account) -> None:
    import boto3

    account_id = account[0]
    quota = api.get("/account").json["quota_bytes"]
    free = 40 * FIVE_MB
    boto3.client("dynamodb").update_item(
        TableName=aws.outputs["TableName"], Key={"pk": {"S": account_id}, "sk": {"S": "ACCOUNT"}},
        UpdateExpression="SET used_bytes = :u", ExpressionAttributeValues={":u": {"N": str(quota - free)}})
    tokens = [_link_token(api, f"Visitor {i}")[1] for i in range(4)]
    accepted = 0
    for token in tokens:
        for i in range(ledger.LINK_MAX_OPEN):
            reply = _presign(anonymous, token, name=f"f{i}.pdf")
            if reply.status == 201:
                accepted += 1
            else:
                assert reply.error_code == "quota_exceeded", reply
    assert accepted * FIVE_MB <= free * ledger.PORTAL_SHARE
    customer_id = api.get("/customers").json["items"][0]["id"]
    staff = [api.post(f"/customers/{customer_id}/files", {"filename": f"s{i}.pdf", "size": FIVE_MB, **PDF}).status
             for i in range(int(free * (1 - ledger.PORTAL_SHARE)) // FIVE_MB)]
    assert staff == [201] * len(staff) and staff


def test_an_upload_releases_its_reservation_at_once(api, anonymous, application, aws, monkeypatch) -> None:
    from chalicelib.files import service

    monkeypatch.setattr(service, "LINK_MAX_OPEN", 1)
    _, token = _link_token(api, "Steady")
    first = _presign(anonymous, token, size=3)
    assert first.status == 201
    assert _presign(anonymous, token, size=3).error_code == "upload_limit"
    events.post_upload(first.json, b"abc")
    events.drain(application, aws)
    assert _presign(anonymous, token, size=3).status == 201, "a recorded upload holds nothing any more"


def test_an_abandoned_reservation_stops_holding_when_its_policy_expires(api, anonymous, monkeypatch) -> None:
    from chalicelib.files import service

    monkeypatch.setattr(service, "LINK_MAX_OPEN", 1)
    _, token = _link_token(api, "Abandoning")
    assert _presign(anonymous, token, size=3).status == 201
    lifetime = datetime.timedelta(seconds=get_settings().upload_url_ttl_seconds)
    real_now = clock.now
    monkeypatch.setattr(clock, "now", lambda: real_now() + lifetime - datetime.timedelta(seconds=5))
    assert _presign(anonymous, token, size=3).error_code == "upload_limit"
    monkeypatch.setattr(clock, "now", lambda: real_now() + lifetime + datetime.timedelta(seconds=5))
    assert _presign(anonymous, token, size=3).status == 201


@pytest.mark.parametrize("open_before", [0, 19])
def test_the_presign_costs_the_same_whatever_is_reserved(api, anonymous, open_before: int) -> None:
    _, token = _link_token(api, f"Counted {open_before}")
    others = [_link_token(api, f"Other {i}")[1] for i in range(3)]
    for i in range(open_before):
        assert _presign(anonymous, token, size=10, name=f"f{i}.pdf").status == 201
    for other in others:  # other customers' reservations must not be read either
        for i in range(ledger.LINK_MAX_OPEN):
            assert _presign(anonymous, other, size=10, name=f"o{i}.pdf").status == 201
    with dynamodb_cost() as cost:
        assert _presign(anonymous, token, size=10).status == 201
    assert cost.total_calls <= 3, cost.describe()
    assert cost.read <= 6, cost  # the link, customer and account; their three ledgers
