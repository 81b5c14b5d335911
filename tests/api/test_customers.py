"""The customer register: create, read, change, list, plan limits, numbers, activity."""

from __future__ import annotations

import concurrent.futures

import pytest

from chalicelib.auth.tokens import issue_token
from tests.support.staff import create_customer


def test_only_the_name_is_required_and_defaults_follow_the_account(api) -> None:
    customer = create_customer(api, name="Schmidt GmbH")
    assert customer["name"] == "Schmidt GmbH"
    assert customer["status"] == "open"
    assert customer["email"] is None and customer["company"] is None
    assert customer["portal_enabled"] is True
    assert (customer["files_count"], customer["links_count"], customer["bytes"]) == (0, 0, 0)
    assert customer["last_upload_at"] is None
    assert customer["created_at"] == customer["updated_at"]
    assert api.get(f"/customers/{customer['id']}").json == customer


def test_portal_enabled_defaults_to_the_account_setting(api) -> None:
    api.patch("/account", {"portal": {"default_for_new_customers": False}})
    assert create_customer(api)["portal_enabled"] is False
    assert create_customer(api, portal_enabled=True)["portal_enabled"] is True


def test_numbers_count_up_per_account_and_are_never_reused(api, make_account) -> None:
    first, second = create_customer(api), create_customer(api)
    assert second["number"] == first["number"] + 1
    other = api.with_token(make_account()[1])
    assert create_customer(other)["number"] == 1
    api.patch("/account", {})
    rejected = api.post("/customers", {"name": ""})
    assert rejected.status == 422
    assert create_customer(api)["number"] == second["number"] + 1


@pytest.mark.parametrize(
    "body,field",
    [
        ({}, "name"),
        ({"name": ""}, "name"),
        ({"name": "x" * 201}, "name"),
        ({"name": 5}, "name"),
        ({"name": "a\u0000b"}, "name"),
        ({"name": "two\nlines"}, "name"),
        ({"name": "A", "email": "not-an-address"}, "email"),
        ({"name": "A", "email": "a@b"}, "email"),
        ({"name": "A", "phone": "call me"}, "phone"),
        ({"name": "A", "notes": "n" * 10_001}, "notes"),
        ({"name": "A", "notes": "bell\u0007"}, "notes"),
        ({"name": "A", "status": "done"}, "status"),
        ({"name": "A", "groups": ["does-not-exist"]}, "groups.0"),
        ({"name": "A", "groups": "x"}, "groups"),
        ({"name": "A", "attributes": {"nope": 1}}, "attributes.nope"),
        ({"name": "A", "id": "chosen"}, "id"),
        ({"name": "A", "number": 7}, "number"),
        ({"name": "A", "files_count": 3}, "files_count"),
    ],
)
def test_invalid_customers_are_refused_naming_the_field_and_nothing_is_written(api, body, field) -> None:
    before = api.get("/account").json["customers_count"]
    reply = api.post("/customers", body)
    assert reply.status == 422, reply
    assert reply.error_code == "validation_error"
    assert field in [d["field"] for d in reply.json["error"]["details"]]
    assert api.get("/account").json["customers_count"] == before
    assert api.get("/customers").json["items"] == []


def test_patch_changes_named_fields_clears_nulls_and_records_activity(api) -> None:
    customer = create_customer(api, email="erika@example.com", company="Muster AG", phone="+49 1")
    reply = api.patch(f"/customers/{customer['id']}",
                      {"name": "Erika Muster", "company": None, "status": "complete", "notes": "VIP"})
    assert reply.status == 200, reply
    changed = reply.json
    assert changed["name"] == "Erika Muster" and changed["company"] is None
    assert changed["email"] == "erika@example.com" and changed["phone"] == "+49 1"
    assert changed["status"] == "complete" and changed["notes"] == "VIP"
    assert changed["updated_at"] > customer["updated_at"]
    assert api.get(f"/customers/{customer['id']}").json == changed

    history = api.get(f"/customers/{customer['id']}/activity").json["items"]
    types = [entry["type"] for entry in history]
    assert types[-1] == "customer_created"
    assert {"status_changed", "customer_updated"} <= set(types)
    status = next(e for e in history if e["type"] == "status_changed")
    assert status["data"] == {"from": "open", "to": "complete"} and status["actor"] == "staff:admin-user"
    updated = next(e for e in history if e["type"] == "customer_updated")
    assert updated["data"]["changes"]["name"] == {"from": "Erika Mustermann", "to": "Erika Muster"}
    assert updated["data"]["changes"]["company"] == {"from": "Muster AG", "to": None}
    assert all(history[i]["at"] >= history[i + 1]["at"] for i in range(len(history) - 1))


def test_a_patch_that_changes_nothing_writes_nothing(api) -> None:
    customer = create_customer(api)
    reply = api.patch(f"/customers/{customer['id']}", {"name": customer["name"]})
    assert reply.json["updated_at"] == customer["updated_at"]
    assert len(api.get(f"/customers/{customer['id']}/activity").json["items"]) == 1


def _racing(monkeypatch, api, customer_id: str, times: int) -> list[int]:
    """Before each of the next `times` writes of a PATCH, another PATCH changes the same customer first."""
    from chalicelib.customers.repository import CustomerRepository

    write = CustomerRepository.update_profile
    raced: list[int] = []

    def update_after_a_rival(self, account_id, customer_id_, fields, *args, **kwargs):
        if "phone" not in fields and len(raced) < times:  # the rivals themselves write at once
            raced.append(1)
            rival = api.patch(f"/customers/{customer_id}", {"phone": f"+49 30 {len(raced)}"})
            assert rival.status == 200, rival
        return write(self, account_id, customer_id_, fields, *args, **kwargs)

    monkeypatch.setattr(CustomerRepository, "update_profile", update_after_a_rival)
    return raced


def test_a_patch_that_loses_a_race_is_applied_to_the_fresh_customer(api, monkeypatch) -> None:
    customer = create_customer(api)
    raced = _racing(monkeypatch, api, customer["id"], times=1)
    reply = api.patch(f"/customers/{customer['id']}", {"notes": "Unterlagen folgen"})
    assert reply.status == 200, reply
    assert raced == [1]
    stored = api.get(f"/customers/{customer['id']}").json
    assert (stored["notes"], stored["phone"]) == ("Unterlagen folgen", "+49 30 1"), "neither write is lost"
    kinds = [entry["type"] for entry in api.get(f"/customers/{customer['id']}/activity").json["items"]]
    assert kinds.count("customer_updated") == 2


def test_a_patch_that_keeps_losing_answers_409_and_writes_nothing(api, monkeypatch) -> None:
    customer = create_customer(api)
    _racing(monkeypatch, api, customer["id"], times=10)
    reply = api.patch(f"/customers/{customer['id']}", {"notes": "Unterlagen folgen"})
    assert (reply.status, reply.error_code) == (409, "conflict"), reply
    assert api.get(f"/customers/{customer['id']}").json["notes"] == customer["notes"] != "Unterlagen folgen"


@pytest.mark.parametrize("body", [{"name": None}, {"status": None}, {"status": "closed"}, {"name": ""},
                                  {"groups": None}, {"email": "x"}, {"unknown": 1}])
def test_invalid_patches_change_nothing(api, body) -> None:
    customer = create_customer(api)
    reply = api.patch(f"/customers/{customer['id']}", body)
    assert reply.status == 422, reply
    assert api.get(f"/customers/{customer['id']}").json == customer


def test_unknown_malformed_and_foreign_ids_are_404(api, make_account) -> None:
    mine = create_customer(api)
    foreign = api.with_token(make_account()[1])
    for path in (f"/customers/{mine['id']}", f"/customers/{mine['id']}/activity"):
        reply = foreign.get(path)
        assert (reply.status, reply.error_code) == (404, "not_found")
    assert foreign.patch(f"/customers/{mine['id']}", {"name": "Taken"}).status == 404
    assert api.get(f"/customers/{mine['id']}").json["name"] == mine["name"]
    for bad in ("0" * 28, "nope", "..%2F..%2Faccount", "A" * 28):
        assert api.get(f"/customers/{bad}").status == 404


def test_the_solo_plan_stops_at_ten_customers(make_account, application) -> None:
    from tests.support.api import ApiClient

    api = ApiClient(application.app, token=make_account(plan="solo")[1])
    for n in range(10):
        create_customer(api, name=f"Kunde {n}")
    reply = api.post("/customers", {"name": "Elfter"})
    assert (reply.status, reply.error_code) == (409, "plan_limit")
    assert api.get("/account").json["customers_count"] == 10
    assert len(api.get("/customers").json["items"]) == 10


def test_twenty_concurrent_creates_at_the_limit_never_exceed_it(make_account, application) -> None:
    from tests.support.api import ApiClient

    token = make_account(plan="solo")[1]
    api = ApiClient(application.app, token=token)
    for n in range(5):
        create_customer(api, name=f"Bestand {n}")

    def attempt(n: int) -> int:
        return ApiClient(application.app, token=token).post("/customers", {"name": f"Neu {n}"}).status

    with concurrent.futures.ThreadPoolExecutor(max_workers=20) as pool:
        statuses = list(pool.map(attempt, range(20)))
    assert statuses.count(201) == 5
    assert statuses.count(409) == 15
    assert api.get("/account").json["customers_count"] == 10
    listed = api.get("/customers?limit=200").json["items"]
    assert len(listed) == 10
    assert len({c["number"] for c in listed}) == 10


def test_the_team_plan_has_no_limit(make_account, application) -> None:
    from tests.support.api import ApiClient

    api = ApiClient(application.app, token=make_account(plan="team")[1])
    assert api.get("/account").json["customer_limit"] is None
    for n in range(12):
        create_customer(api, name=f"K{n}")
    assert api.get("/account").json["customers_count"] == 12


def test_members_may_work_with_customers(api, account) -> None:
    member = api.with_token(issue_token(account[0], "bob", "member"))
    customer = create_customer(member)
    assert member.patch(f"/customers/{customer['id']}", {"status": "partial"}).status == 200
    history = member.get(f"/customers/{customer['id']}/activity").json["items"]
    assert history[0]["actor"] == "staff:bob"
