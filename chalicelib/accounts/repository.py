"""Accounts in DynamoDB: the account item and the account partition (account, groups, attributes)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from chalicelib.accounts.definitions import AccountPartition, Attribute, Group
from chalicelib.accounts.models import Account
from chalicelib.storage import keys
from chalicelib.storage.dynamo import Put, Table
from chalicelib.storage.tables import main_table
from chalicelib.storage.updates import UpdateExpression


def account_to_item(account: Account) -> dict[str, Any]:
    return {**keys.account(account.id), "entity": "account", **account.model_dump(mode="json")}


def account_from_item(item: dict[str, Any]) -> Account:
    return Account.model_validate({k: v for k, v in item.items() if k not in ("pk", "sk", "entity")})


class _AccountExistsError(Exception):
    """An account with the id exists already."""


class AccountRepository:
    def __init__(self, table: Table | None = None) -> None:
        self.table = table or main_table()

    def get(self, account_id: str) -> Account | None:
        item = self.table.get(keys.account(account_id))
        return account_from_item(item) if item else None

    def create(self, account: Account) -> bool:
        """Store a new account with its directory entry; False if it already exists (nothing is changed then)."""
        try:
            self.table.transact([
                Put(account_to_item(account), condition="attribute_not_exists(pk)", fails_with=_AccountExistsError),
                Put({**keys.directory_entry(account.id), "entity": "directory"}),
            ])
        except _AccountExistsError:
            return False
        return True

    def ids(self) -> Iterator[str]:
        """The id of every account, from the account directory (for scheduled jobs, never for a request)."""
        for item in self.table.query_all(keys.ACCOUNTS, index=keys.GSI1):
            yield str(item["gsi1sk"])

    def set_fields(self, account_id: str, fields: dict[str, Any], updated_at: str, scheduled: bool | None = None
                   ) -> Account:
        """Overwrite top-level settings fields of an existing account; `scheduled` (True/False) lists it in, or
        takes it off, the sparse index the export scheduler reads (None: leaves that as it is)."""
        update = UpdateExpression()
        for name, value in {**fields, "updated_at": updated_at}.items():
            update.set(name, value)
        if scheduled is not None:
            for name, value in keys.scheduled_exports_entry(account_id).items():
                if scheduled:
                    update.set(name, value)
                else:
                    update.remove(name)
        item = self.table.apply(update.action(keys.account(account_id), condition="attribute_exists(pk)"))
        return account_from_item(item)

    def set_logo_key(self, account_id: str, logo_key: str | None, updated_at: str) -> Account:
        """Point the branding at a logo object (None: no logo), leaving the other branding fields alone."""
        update = UpdateExpression().set("updated_at", updated_at)
        if logo_key is None:
            update.remove(("branding", "logo_key"))
        else:
            update.set(("branding", "logo_key"), logo_key)
        item = self.table.apply(update.action(keys.account(account_id), condition="attribute_exists(pk)"))
        return account_from_item(item)

    def load_partition(self, account_id: str) -> AccountPartition | None:
        account: Account | None = None
        groups: dict[str, Group] = {}
        attributes: dict[str, Attribute] = {}
        for item in self.table.query_all(keys.account_partition(account_id)):
            sk = item["sk"]
            data = {k: v for k, v in item.items() if k not in ("pk", "sk", "entity")}
            if sk == keys.ACCOUNT_SK:
                account = account_from_item(item)
            elif sk.startswith(keys.GROUP_PREFIX):
                groups[item["id"]] = Group.model_validate(data)
            elif sk.startswith(keys.ATTRIBUTE_PREFIX):
                attributes[item["id"]] = Attribute.model_validate(data)
        if account is None:
            return None
        ordered = dict(sorted(attributes.items(), key=lambda pair: (pair[1].position, pair[1].created_at, pair[0])))
        return AccountPartition(account=account, groups=groups, attributes=ordered)
