"""Concurrency at the limits: the quota holds whatever runs in parallel.

Twenty parallel creates at the plan's customer limit are covered by
tests/api/test_customers.py::test_twenty_concurrent_creates_at_the_limit_never_exceed_it.
Here: parallel presigns, uploads and (duplicated) event deliveries against a nearly full quota. A presign
reads the reservations before it adds its own, so parallel presigns may promise more than fits; the event
handler's transaction (`used_bytes <= quota - size`) is what keeps the quota, and these tests prove it.
"""

from __future__ import annotations

import concurrent.futures
import random
from typing import Any

import pytest

from chalicelib.storage import keys
from chalicelib.storage.tables import main_table
from tests.reliability.audit import audit
from tests.support import events

QUOTA = 1_000
FILE = 40
CLIENTS = 20


def set_quota(account_id: str, quota: int) -> None:
    main_table().update(keys.account(account_id), "SET base_quota_bytes = :quota", values={":quota": quota})


@pytest.fixture
def full_account(make_account, application, aws) -> tuple[str, Any, str]:
    """An account whose quota of QUOTA bytes is 70 % used, with one customer."""
    from tests.support.api import ApiClient

    events.take_messages(aws)
    account_id, token = make_account()
    set_quota(account_id, QUOTA)
    api = ApiClient(application.app, token=token)
    customer = api.post("/customers", {"name": "Paula Neumann"}).json["id"]
    presigned = api.post(f"/customers/{customer}/files", {"filename": "bestand.pdf", "size": 700,
                                                          "content_type": "application/pdf"}).json
    events.post_upload(presigned, b"x" * 700)
    events.drain(application, aws)
    assert api.get("/account").json["used_bytes"] == 700
    return account_id, api, customer


def presign_and_upload(api: Any, customer: str, n: int) -> tuple[int, str | None]:
    reply = api.post(f"/customers/{customer}/files", {"filename": f"nachweis-{n}.pdf", "size": FILE,
                                                      "content_type": "application/pdf", "direction": "received"})
    if reply.status != 201:
        assert (reply.status, reply.error_code) == (413, "quota_exceeded"), reply
        return reply.status, None
    events.post_upload(reply.json, bytes([n]) * FILE)
    return reply.status, reply.json["file_id"]


def deliver_in_parallel(application: Any, aws: Any) -> None:
    """Every queued event, twice, shuffled, one message per invocation, ten invocations at a time."""
    bodies = [m["Body"] for m in events.take_messages(aws)] * 2
    random.Random(11).shuffle(bodies)
    with concurrent.futures.ThreadPoolExecutor(max_workers=10) as pool:
        replies = list(pool.map(lambda body: events.deliver(application, [body]), bodies))
    assert all(reply["batchItemFailures"] == [] for reply in replies), replies
    events.drain(application, aws)  # the removals of objects the handler rejected


def test_parallel_presigns_and_uploads_against_a_nearly_full_quota_never_overfill_it(
        full_account, application, aws) -> None:
    account_id, api, customer = full_account
    with concurrent.futures.ThreadPoolExecutor(max_workers=CLIENTS) as pool:
        attempts = list(pool.map(lambda n: presign_and_upload(api, customer, n), range(CLIENTS)))
    uploaded = [file_id for status, file_id in attempts if file_id]
    fits = (QUOTA - 700) // FILE
    assert len(uploaded) >= fits, "presigns refused although the quota had room"

    deliver_in_parallel(application, aws)

    found = audit(account_id)
    assert found.problems == []
    used = found.account["used_bytes"]
    assert used <= QUOTA
    assert used == 700 + fits * FILE, "every upload that fits is kept"
    rejected = [f for f in found.of("file") if f["state"] == "rejected"]
    assert len(rejected) == len(uploaded) - fits
    assert all(f["reject_reason"] == "quota_exceeded" for f in rejected)


def test_a_quota_that_shrinks_while_uploads_are_in_flight_still_holds(full_account, application, aws) -> None:
    """Everything was presigned and uploaded while there was room; then the quota drops (a plan change)
    before any event is handled: parallel deliveries keep exactly what still fits."""
    account_id, api, customer = full_account
    set_quota(account_id, 10_000)
    with concurrent.futures.ThreadPoolExecutor(max_workers=CLIENTS) as pool:
        attempts = list(pool.map(lambda n: presign_and_upload(api, customer, n), range(CLIENTS)))
    assert all(status == 201 for status, _ in attempts)
    room = 5
    set_quota(account_id, 700 + room * FILE)

    deliver_in_parallel(application, aws)

    found = audit(account_id)
    assert found.problems == []
    assert found.account["used_bytes"] == 700 + room * FILE
    assert len(found.stored) == 1 + room
    assert len([f for f in found.of("file") if f.get("reject_reason") == "quota_exceeded"]) == CLIENTS - room


def test_requests_handled_at_once_each_see_their_own_body_and_token(make_account, application) -> None:
    """Chalice keeps the request it handles on the app object; the local gateway handles requests in threads
    (the local stack's server, and here the in-process client's), and each must see its own body and token,
    never another's: every create answers with the name it sent, in the account of its own token."""
    import sys

    from tests.support.api import ApiClient

    offices = [make_account() for _ in range(2)]

    def create(n: int) -> tuple[str, str, str]:
        account_id, token = offices[n % 2]
        name = f"Kunde {n} von {account_id}"
        reply = ApiClient(application.app, token=token).post("/customers", {"name": name})
        assert reply.status == 201, reply
        return account_id, name, reply.json["name"]

    # Thread switches between almost every bytecode: the requests interleave as on a loaded machine.
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        with concurrent.futures.ThreadPoolExecutor(max_workers=8) as pool:
            results = list(pool.map(create, range(40)))
    finally:
        sys.setswitchinterval(interval)
    assert [sent for _, sent, _ in results] == [answered for _, _, answered in results]
    for account_id, token in offices:
        listed = ApiClient(application.app, token=token).get("/customers?limit=100").json["items"]
        assert sorted(c["name"] for c in listed) == sorted(name for owner, name, _ in results if owner == account_id)
