"""The team in DynamoDB: one partition `{acc}#USER` with the team item (permissions, admin count), the users and
an entry per e-mail address (one address is one member). The admin count changes in the same transaction as the
user whose role or status moves it, conditioned on staying above zero: the last-admin rule holds under
concurrent requests."""

from __future__ import annotations

from typing import Any

from chalicelib import mail
from chalicelib.storage import keys
from chalicelib.storage.dynamo import Delete, Put, Table, Update, named
from chalicelib.storage.tables import main_table
from chalicelib.users.errors import EmailTakenError, LastAdminError, UserChangedError
from chalicelib.users.models import Team, User

_USER_PREFIX = "USER#"


class _AlreadyNotedError(Exception):
    """Another request noted this sign-in first."""
_KEYS = ("pk", "sk", "entity")


def user_from_item(item: dict[str, Any]) -> User:
    return User.model_validate({k: v for k, v in item.items() if k not in _KEYS})


def team_from_item(item: dict[str, Any] | None) -> Team:
    if not item:
        return Team()
    return Team.model_validate({k: v for k, v in item.items() if k not in _KEYS})


class UserRepository:
    def __init__(self, table: Table | None = None) -> None:
        self.table = table or main_table()

    def team_and_user(self, account_id: str, user_id: str) -> tuple[Team, User | None]:
        """The team settings and the user (None: not a member of the team), in one read."""
        team_key, user_key = keys.team(account_id), keys.user(account_id, user_id)
        found = {item["sk"]: item for item in self.table.batch_get([team_key, user_key])}
        user_item = found.get(user_key["sk"])
        return team_from_item(found.get(team_key["sk"])), user_from_item(user_item) if user_item else None

    def team(self, account_id: str) -> Team:
        return team_from_item(self.table.get(keys.team(account_id)))

    def get(self, account_id: str, user_id: str) -> User | None:
        item = self.table.get(keys.user(account_id, user_id))
        return user_from_item(item) if item else None

    def users(self, account_id: str) -> list[User]:
        """Every user but the removed ones, in invitation order."""
        items = self.table.query_all(keys.users_partition(account_id), sk_prefix=_USER_PREFIX)
        users = [user_from_item(item) for item in items]
        return sorted((u for u in users if u.status != "removed"), key=lambda u: (u.created_at, u.id))

    def set_permissions(self, account_id: str, permissions: dict[str, bool]) -> Team:
        item = self.table.update(keys.team(account_id), "SET #permissions = :permissions, #admins = "
                                 "if_not_exists(#admins, :zero), entity = :entity",
                                 names={"#permissions": "permissions", "#admins": "admins"},
                                 values={":permissions": permissions, ":zero": 0, ":entity": "team"})
        return team_from_item(item)

    def create(self, account_id: str, user: User) -> None:
        """Store a new user with its e-mail entry, counting an admin (EmailTakenError: the address is taken)."""
        self.table.transact([
            named(Put({**keys.user_email(account_id, mail.address_hash(user.email)), "entity": "user_email",
                       "user_id": user.id}, condition="attribute_not_exists(pk)"),
                  EmailTakenError(f"{user.email} is already a member of the team.")),
            Put({**keys.user(account_id, user.id), "entity": "user", **user.model_dump(mode="json")},
                condition="attribute_not_exists(pk)"),
            *self._admin_change(account_id, +1 if user.counts_as_admin else 0),
        ])

    def replace(self, account_id: str, before: User, after: User) -> None:
        """Store `after` over `before` (UserChangedError if the user moved meanwhile; LastAdminError if it would
        leave no admin); a removed user's e-mail entry goes, so the address may be invited again."""
        delta = int(after.counts_as_admin) - int(before.counts_as_admin)
        actions: list[Any] = [
            *self._admin_change(account_id, delta),
            named(Put({**keys.user(account_id, after.id), "entity": "user", **after.model_dump(mode="json")},
                      condition="#updated = :updated AND #status = :status",
                      names={"#updated": "updated_at", "#status": "status"},
                      values={":updated": before.updated_at, ":status": before.status}),
                  UserChangedError("The user was changed meanwhile; reload and try again.")),
        ]
        if after.status == "removed":
            actions.append(Delete(keys.user_email(account_id, mail.address_hash(before.email))))
        self.table.transact(actions)

    def record_sign_in(self, account_id: str, user: User, issued_at: int, at: str, totp: bool, entry: Put) -> bool:
        """Note a token newer than the last one (an invited user becomes active) with its audit entry; False if
        another request noted it first (or the user may no longer sign in)."""
        try:
            self.table.transact([
                named(Update(keys.user(account_id, user.id),
                             "SET signed_in_iat = :iat, last_sign_in_at = :at, #status = :active, totp = :totp",
                             names={"#status": "status"},
                             values={":iat": issued_at, ":at": at, ":active": "active", ":invited": "invited",
                                     ":totp": totp},
                             condition="signed_in_iat < :iat AND (#status = :active OR #status = :invited)"),
                      _AlreadyNotedError),
                entry,
            ])
        except _AlreadyNotedError:
            return False
        return True

    def _admin_change(self, account_id: str, delta: int) -> list[Update]:
        if delta == 0:
            return []
        if delta > 0:
            return [Update(keys.team(account_id), "ADD #admins :delta SET entity = :entity",
                           names={"#admins": "admins"}, values={":delta": delta, ":entity": "team"})]
        return [named(Update(keys.team(account_id), "ADD #admins :delta", names={"#admins": "admins"},
                             values={":delta": delta, ":one": 1}, condition="#admins > :one"),
                      LastAdminError("The account needs at least one admin: make another member admin first."))]
