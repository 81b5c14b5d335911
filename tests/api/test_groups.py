"""Customer groups: CRUD, at most one default group, joining it, leaving deleted groups, bad input."""

from __future__ import annotations

import concurrent.futures

import pytest

from chalicelib.storage import keys
from chalicelib.storage.tables import main_table
from tests.support import jobs
from tests.support.staff import create_customer, error_fields


def create_group(api, name: str, **fields) -> dict:
    reply = api.post("/groups", {"name": name, **fields})
    assert reply.status == 201, reply
    return reply.json


def groups(api) -> dict[str, dict]:
    reply = api.get("/groups")
    assert reply.status == 200, reply
    return {g["id"]: g for g in reply.json["items"]}


def defaults(api) -> list[str]:
    return [g["name"] for g in groups(api).values() if g["is_default"]]


def test_groups_are_created_listed_renamed_and_deleted(api) -> None:
    assert api.get("/groups").json == {"items": [], "next_cursor": None}
    vip = create_group(api, "VIP")
    assert vip["name"] == "VIP" and vip["is_default"] is False
    assert len(vip["id"]) == 28
    create_group(api, "Alt-Mandanten")
    create_group(api, "buchhaltung")
    assert [g["name"] for g in api.get("/groups").json["items"]] == ["Alt-Mandanten", "buchhaltung", "VIP"]

    renamed = api.patch(f"/groups/{vip['id']}", {"name": "Premium"})
    assert renamed.status == 200, renamed
    assert renamed.json["name"] == "Premium" and renamed.json["id"] == vip["id"]
    assert groups(api)[vip["id"]]["name"] == "Premium"

    assert api.delete(f"/groups/{vip['id']}").status == 202
    assert vip["id"] not in groups(api)
    assert api.delete(f"/groups/{vip['id']}").status == 404
    assert api.patch(f"/groups/{vip['id']}", {"name": "Zurück"}).status == 404


def test_group_names_are_unique_ignoring_case(api) -> None:
    first = create_group(api, "Privatkunden")
    other = create_group(api, "Firmenkunden")
    for name in ("Privatkunden", "PRIVATKUNDEN", "  privatkunden  "):
        reply = api.post("/groups", {"name": name})
        assert (reply.status, reply.error_code) == (409, "conflict"), reply
    reply = api.patch(f"/groups/{other['id']}", {"name": "privatKunden"})
    assert (reply.status, reply.error_code) == (409, "conflict")
    # Renaming a group to its own name in another case is fine.
    assert api.patch(f"/groups/{first['id']}", {"name": "PRIVATKUNDEN"}).status == 200
    assert sorted(g["name"] for g in groups(api).values()) == ["Firmenkunden", "PRIVATKUNDEN"]


def test_there_is_at_most_one_default_group(api) -> None:
    a = create_group(api, "A", is_default=True)
    assert a["is_default"] is True
    assert defaults(api) == ["A"]

    b = create_group(api, "B", is_default=True)
    assert b["is_default"] is True
    assert defaults(api) == ["B"], "a new default clears the old one"

    assert api.patch(f"/groups/{a['id']}", {"is_default": True}).json["is_default"] is True
    assert defaults(api) == ["A"]

    # Renaming keeps the default; un-defaulting another group changes nothing.
    assert api.patch(f"/groups/{a['id']}", {"name": "A2"}).json["is_default"] is True
    assert api.patch(f"/groups/{b['id']}", {"is_default": False}).json["is_default"] is False
    assert defaults(api) == ["A2"]

    assert api.patch(f"/groups/{a['id']}", {"is_default": False}).json["is_default"] is False
    assert defaults(api) == []


def test_concurrent_defaults_leave_exactly_one(api, application, account) -> None:
    from tests.support.api import ApiClient

    def make(n: int) -> int:
        return ApiClient(application.app, token=account[1]).post(
            "/groups", {"name": f"Gruppe {n}", "is_default": True}).status

    with concurrent.futures.ThreadPoolExecutor(max_workers=8) as pool:
        statuses = list(pool.map(make, range(8)))
    assert set(statuses) <= {201, 409}
    assert 201 in statuses
    assert len(defaults(api)) == 1
    # A conflicting create wrote nothing.
    assert len(groups(api)) == statuses.count(201)


def test_concurrent_creates_of_one_name_make_exactly_one_group(api, application, account) -> None:
    from tests.support.api import ApiClient

    def make(spelling: str) -> tuple[int, str | None]:
        reply = ApiClient(application.app, token=account[1]).post("/groups", {"name": spelling})
        return reply.status, reply.error_code

    spellings = ["Mandanten 2026", "mandanten 2026", "MANDANTEN 2026", "Mandanten 2026"] * 2
    with concurrent.futures.ThreadPoolExecutor(max_workers=8) as pool:
        replies = list(pool.map(make, spellings))
    assert [status for status, _ in replies].count(201) == 1, replies
    assert all(code == "conflict" for status, code in replies if status != 201)
    assert [g["name"].casefold() for g in groups(api).values()] == ["mandanten 2026"]


def test_concurrent_creates_at_the_group_limit_never_exceed_it(api, application, account, monkeypatch) -> None:
    from chalicelib.groups import service
    from tests.support.api import ApiClient

    monkeypatch.setattr(service, "MAX_GROUPS", 3)
    assert api.post("/groups", {"name": "Bestand"}).status == 201

    def make(n: int) -> int:
        return ApiClient(application.app, token=account[1]).post("/groups", {"name": f"Neu {n}"}).status

    with concurrent.futures.ThreadPoolExecutor(max_workers=6) as pool:
        statuses = list(pool.map(make, range(6)))
    assert set(statuses) <= {201, 409}
    assert len(groups(api)) == 3 == 1 + statuses.count(201)


def test_deleting_the_default_group_leaves_no_default(api) -> None:
    group = create_group(api, "Neu", is_default=True)
    assert api.delete(f"/groups/{group['id']}").status == 202
    assert defaults(api) == []
    # A new default can be set afterwards (the stale default did not block it).
    create_group(api, "Neuer", is_default=True)
    assert defaults(api) == ["Neuer"]


def test_customers_from_the_portal_join_the_default_group_and_staff_choose(api, account) -> None:
    from chalicelib.customers import service
    from chalicelib.customers.models import NewCustomer

    account_id = account[0]
    no_default = service.create_customer(account_id, "customer", NewCustomer(name="Vor dem Default"), origin="portal")
    assert no_default.groups == []

    default = create_group(api, "Online", is_default=True)
    other = create_group(api, "Kanzlei")
    from_portal = service.create_customer(account_id, "customer", NewCustomer(name="Portal"), origin="portal")
    assert from_portal.groups == [default["id"]]
    booked = service.create_customer(account_id, "customer", NewCustomer(name="Termin"), origin="booking")
    assert booked.groups == [default["id"]]
    # A group given explicitly wins over the default.
    chosen = service.create_customer(account_id, "customer", NewCustomer(name="Gewählt", groups=[other["id"]]),
                                     origin="portal")
    assert chosen.groups == [other["id"]]
    # Staff choose the groups themselves.
    assert create_customer(api, "Von Hand")["groups"] == []

    listed = api.get(f"/customers?group={default['id']}").json["items"]
    assert sorted(c["name"] for c in listed) == ["Portal", "Termin"]


def test_customers_join_and_leave_groups_with_activity(api) -> None:
    a, b = create_group(api, "A"), create_group(api, "B")
    customer = create_customer(api, groups=[a["id"], a["id"]])
    assert customer["groups"] == [a["id"]], "duplicates are dropped"

    changed = api.patch(f"/customers/{customer['id']}", {"groups": [b["id"]]})
    assert changed.status == 200, changed
    assert changed.json["groups"] == [b["id"]]
    entry = api.get(f"/customers/{customer['id']}/activity").json["items"][0]
    assert entry["type"] == "groups_changed"
    assert entry["data"] == {"added": [b["id"]], "removed": [a["id"]]}
    assert [c["id"] for c in api.get(f"/customers?group={b['id']}").json["items"]] == [customer["id"]]
    assert api.get(f"/customers?group={a['id']}").json["items"] == []


def test_deleting_a_group_removes_it_from_its_customers(api, account, application, aws) -> None:
    doomed, kept = create_group(api, "Weg"), create_group(api, "Bleibt")
    members = [create_customer(api, f"Kunde {n}", groups=[doomed["id"], kept["id"]]) for n in range(3)]
    outsider = create_customer(api, "Andere", groups=[kept["id"]])

    assert api.delete(f"/groups/{doomed['id']}").status == 202
    jobs.drain_jobs(application, aws)

    for member in members:
        after = api.get(f"/customers/{member['id']}").json
        assert after["groups"] == [kept["id"]]
        assert after["updated_at"] > member["updated_at"]
        entry = api.get(f"/customers/{member['id']}/activity").json["items"][0]
        assert (entry["type"], entry["actor"]) == ("groups_changed", "staff:admin-user")
        assert entry["data"] == {"added": [], "removed": [doomed["id"]], "reason": "group_deleted"}
    assert api.get(f"/customers/{outsider['id']}").json == outsider
    memberships = main_table().query(keys.membership_partition(account[0], doomed["id"])).items
    assert memberships == []
    assert len(api.get(f"/customers?group={kept['id']}").json["items"]) == 4
    # The deleted group cannot be given to a customer any more.
    reply = api.patch(f"/customers/{outsider['id']}", {"groups": [doomed["id"]]})
    assert reply.status == 422 and "groups.0" in error_fields(reply)


def test_deleting_a_group_whose_member_is_gone_still_works(api, account, application, aws) -> None:
    group = create_group(api, "G")
    customer = create_customer(api, groups=[group["id"]])
    assert api.delete(f"/customers/{customer['id']}").status == 202
    assert api.delete(f"/groups/{group['id']}").status == 202
    jobs.drain_jobs(application, aws)
    assert main_table().query(keys.membership_partition(account[0], group["id"])).items == []


@pytest.mark.parametrize(
    "body,field",
    [
        ({}, "name"),
        ({"name": ""}, "name"),
        ({"name": "   "}, "name"),
        ({"name": "x" * 201}, "name"),
        ({"name": 7}, "name"),
        ({"name": None}, "name"),
        ({"name": "a\u0000b"}, "name"),
        ({"name": "zwei\nZeilen"}, "name"),
        ({"name": "Gut", "is_default": "ja"}, "is_default"),
        ({"name": "Gut", "id": "0" * 28}, "id"),
        ({"name": "Gut", "members": []}, "members"),
    ],
)
def test_invalid_groups_are_refused_naming_the_field(api, body, field) -> None:
    reply = api.post("/groups", body)
    assert (reply.status, reply.error_code) == (422, "validation_error"), reply
    assert field in error_fields(reply)
    assert groups(api) == {}


@pytest.mark.parametrize("body,field", [({"name": ""}, "name"), ({"name": None}, "name"),
                                        ({"is_default": None}, "is_default"), ({"is_default": 1.5}, "is_default"),
                                        ({"colour": "red"}, "colour")])
def test_invalid_group_changes_change_nothing(api, body, field) -> None:
    group = create_group(api, "Stamm", is_default=True)
    reply = api.patch(f"/groups/{group['id']}", body)
    assert (reply.status, reply.error_code) == (422, "validation_error"), reply
    assert field in error_fields(reply)
    assert list(groups(api).values()) == [group]


def test_groups_of_another_account_are_not_found(api, make_account) -> None:
    mine = create_group(api, "Meins", is_default=True)
    foreign = api.with_token(make_account()[1])
    assert foreign.patch(f"/groups/{mine['id']}", {"name": "Geklaut"}).status == 404
    assert foreign.patch(f"/groups/{mine['id']}", {"is_default": True}).status == 404
    assert foreign.delete(f"/groups/{mine['id']}").status == 404
    assert foreign.get("/groups").json["items"] == []
    reply = foreign.post("/customers", {"name": "X", "groups": [mine["id"]]})
    assert reply.status == 422 and "groups.0" in error_fields(reply)
    assert list(groups(api).values()) == [mine]
    for bad in ("nope", "0" * 28, "A" * 28):
        assert api.delete(f"/groups/{bad}").status == 404
