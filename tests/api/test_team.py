"""The team (`/users`): invitations, roles, disabling and removing members, and the last-admin rule."""

from __future__ import annotations

import concurrent.futures
import re
import time
from typing import Any

import pytest

from chalicelib.auth.tokens import issue_token
from tests.support import events


def invite(api: Any, email: str, role: str = "member", name: str = "Anna Berger") -> dict[str, Any]:
    reply = api.post("/users", {"email": email, "name": name, "role": role})
    assert reply.status == 201, reply
    return reply.json


def as_user(api: Any, account: tuple[str, str], user: dict[str, Any], role: str | None = None,
            ttl_seconds: int | None = None) -> Any:
    """A client with a token for the team member (the role in the token is what a provider would have said)."""
    return api.with_token(issue_token(account[0], user["id"], role or user["role"], ttl_seconds=ttl_seconds))


def test_an_admin_invites_a_member_who_signs_in_with_the_mailed_one_time_login(api, account, anonymous) -> None:
    before = len(events.sent_mails())
    anna = invite(api, "anna@example.com")
    assert {k: anna[k] for k in ("email", "name", "role", "status")} == {
        "email": "anna@example.com", "name": "Anna Berger", "role": "member", "status": "invited"}
    mails = events.sent_mails()[before:]
    assert [m["to"] for m in mails] == [["anna@example.com"]]
    code = re.search(r"/app/#login=(\S+)", mails[0]["body"]).group(1)
    signed_in = anonymous.post("/_local/login", {"code": code})
    assert signed_in.status == 200, signed_in
    assert (signed_in.json["user"], signed_in.json["role"]) == (anna["id"], "member")
    assert api.with_token(signed_in.json["token"]).get("/me").json["role"] == "member"
    listed = api.get("/users").json["items"]
    assert [(u["email"], u["status"]) for u in listed] == [("anna@example.com", "active")]
    assert listed[0]["last_sign_in_at"]


def test_the_local_one_time_login_of_a_user_the_team_does_not_know_is_a_sign_in(api, account, anonymous) -> None:
    from chalicelib.locallogin.service import issue_login_code

    code = issue_login_code(account[0], "admin")  # what `make login` does
    signed_in = anonymous.post("/_local/login", {"code": code})
    assert signed_in.status == 200, signed_in
    assert api.with_token(signed_in.json["token"]).get("/customers").status == 200
    user = f"{account[0]}-admin"
    sign_ins = api.get("/audit?action=sign_in").json["items"]
    assert [(e["actor"], e["target"], e["ip"]) for e in sign_ins] == [(user, f"/users/{user}", "127.0.0.1")]
    assert anonymous.post("/_local/login", {"code": code}).status == 401
    assert len(api.get("/audit?action=sign_in").json["items"]) == 1


def test_one_address_is_one_member_and_members_may_not_manage_the_team(api, account) -> None:
    anna = invite(api, "anna@example.com")
    again = api.post("/users", {"email": "ANNA@example.com", "name": "Anna", "role": "admin"})
    assert (again.status, again.error_code) == (409, "email_taken")
    member = as_user(api, account, anna)
    assert (member.get("/users").status, member.get("/users").error_code) == (403, "forbidden")
    assert member.post("/users", {"email": "eve@example.com", "name": "Eve"}).status == 403
    assert member.patch(f"/users/{anna['id']}", {"role": "admin"}).status == 403
    assert api.post("/users", {"email": "not-an-address", "name": "X"}).status == 422
    assert api.patch("/users/unknown", {"role": "admin"}).status == 404


def test_the_teams_role_counts_not_the_tokens(api, account) -> None:
    anna = invite(api, "anna@example.com", role="admin")
    admin_token_of_anna = as_user(api, account, anna)
    assert admin_token_of_anna.get("/users").status == 200
    invite(api, "ben@example.com", role="admin")
    assert api.patch(f"/users/{anna['id']}", {"role": "member"}).json["role"] == "member"
    # Her token still says admin; the team says member.
    assert (admin_token_of_anna.get("/users").status, admin_token_of_anna.get("/me").json["role"]) == (403, "member")


def test_a_disabled_or_removed_members_token_stops_working(api, account) -> None:
    anna = invite(api, "anna@example.com")
    ben = invite(api, "ben@example.com")
    anna_client, ben_client = as_user(api, account, anna), as_user(api, account, ben)
    assert anna_client.get("/customers").status == 200
    disabled = api.patch(f"/users/{anna['id']}", {"status": "disabled"})
    assert (disabled.status, disabled.json["status"]) == (200, "disabled")
    assert (anna_client.get("/customers").status, anna_client.get("/customers").error_code) == (401, "unauthorized")
    assert api.patch(f"/users/{anna['id']}", {"status": "active"}).json["status"] == "active"
    assert anna_client.get("/customers").status == 200
    assert api.delete(f"/users/{ben['id']}").status == 204
    assert ben_client.get("/customers").status == 401
    assert [u["email"] for u in api.get("/users").json["items"]] == ["anna@example.com"]
    assert api.patch(f"/users/{ben['id']}", {"status": "active"}).status == 404
    # The address may be invited again: a new member with a new id.
    assert invite(api, "ben@example.com")["id"] != ben["id"]


@pytest.mark.parametrize("change", ["demote", "disable", "remove"])
def test_the_last_admin_can_be_neither_demoted_nor_disabled_nor_removed(api, account, change) -> None:
    anna = invite(api, "anna@example.com", role="admin")
    invite(api, "ben@example.com")
    requests = {"demote": lambda: api.patch(f"/users/{anna['id']}", {"role": "member"}),
                "disable": lambda: api.patch(f"/users/{anna['id']}", {"status": "disabled"}),
                "remove": lambda: api.delete(f"/users/{anna['id']}")}
    reply = requests[change]()
    assert (reply.status, reply.error_code) == (409, "last_admin"), reply
    assert api.get("/users").json["items"][0] | {"last_sign_in_at": None} == anna | {"last_sign_in_at": None}
    # With a second admin the same change is fine.
    invite(api, "carla@example.com", role="admin")
    assert requests[change]().status in (200, 204)


def test_two_admins_removing_each_other_at_once_leave_one(api, account) -> None:
    admins = [invite(api, f"admin{n}@example.com", role="admin") for n in range(2)]
    clients = [as_user(api, account, admin) for admin in admins]

    def remove_the_other(n: int) -> int:
        return clients[n].delete(f"/users/{admins[1 - n]['id']}").status

    with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
        statuses = sorted(pool.map(remove_the_other, range(2)))
    # The loser either passed the authorizer before the winner's removal committed (its own removal then fails
    # on the admin count: 409) or after it (its token belongs to a removed user: 401). Never both removed.
    assert statuses in ([204, 401], [204, 409]), statuses
    left = api.get("/users").json["items"]
    assert [u["role"] for u in left] == ["admin"]


def test_many_concurrent_demotions_keep_exactly_one_admin(api, account) -> None:
    admins = [invite(api, f"admin{n}@example.com", role="admin") for n in range(5)]
    with concurrent.futures.ThreadPoolExecutor(max_workers=5) as pool:
        replies = list(pool.map(lambda a: api.patch(f"/users/{a['id']}", {"role": "member"}), admins))
    assert sorted(r.status for r in replies) == [200, 200, 200, 200, 409]
    assert {r.error_code for r in replies if r.status == 409} == {"last_admin"}
    assert [u["role"] for u in api.get("/users").json["items"]].count("admin") == 1


def test_a_new_token_is_a_sign_in_recorded_once(api, account) -> None:
    anna = invite(api, "anna@example.com")
    first = as_user(api, account, anna)
    for _ in range(3):
        assert first.get("/customers").status == 200
    sign_ins = api.get("/audit?action=sign_in").json["items"]
    assert [(e["actor"], e["target"]) for e in sign_ins] == [(anna["id"], f"/users/{anna['id']}")]
    time.sleep(1.1)  # a token's iat has whole seconds
    assert as_user(api, account, anna, ttl_seconds=600).get("/customers").status == 200
    assert len(api.get("/audit?action=sign_in").json["items"]) == 2


def test_an_admin_acts_as_one_only_after_signing_in_with_totp(api, account, monkeypatch) -> None:
    from chalicelib.users import service

    class Pool:
        """A user pool in which only the users in `enrolled` have TOTP MFA."""

        enrolled: set[str | None] = set()

        def uses_totp(self, username: str | None) -> bool:
            return username in self.enrolled

    anna = invite(api, "anna@example.com", role="admin")
    monkeypatch.setattr(service, "identities", Pool)
    without = as_user(api, account, anna)
    assert (without.get("/me").json["role"], without.get("/users").status) == ("member", 403)
    Pool.enrolled.add(None)  # the local stage's users have no pool user name
    time.sleep(1.1)  # a new token (its iat has whole seconds) is a new sign-in
    enrolled = as_user(api, account, anna, ttl_seconds=600)
    assert (enrolled.get("/me").json["role"], enrolled.get("/users").status) == ("admin", 200)
    assert [u["role"] for u in api.get("/users").json["items"]] == ["admin"]
