"""Accounts in DynamoDB: the account item and the account partition (account, groups, attributes)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from chalicelib.accounts.models import Account
from chalicelib.storage import keys
from chalicelib.storage.dynamo import ConditionFailedError, Table
from chalicelib.storage.tables import main_table


@dataclass
class AccountPartition:
    """Everything stored under `pk = {account}`: read with one query."""

    account: Account
    groups: list[dict[str, Any]]
    attributes: list[dict[str, Any]]


def account_to_item(account: Account) -> dict[str, Any]:
    return {**keys.account(account.id), "type": "account", **account.model_dump(mode="json")}


def account_from_item(item: dict[str, Any]) -> Account:
    return Account.model_validate({k: v for k, v in item.items() if k not in ("pk", "sk", "type")})


class AccountRepository:
    def __init__(self, table: Table | None = None) -> None:
        self.table = table or main_table()

    def get(self, account_id: str) -> Account | None:
        item = self.table.get(keys.account(account_id))
        return account_from_item(item) if item else None

    def create(self, account: Account) -> bool:
        """Store a new account; False if it already exists (nothing is changed then)."""
        try:
            self.table.put(account_to_item(account), condition="attribute_not_exists(pk)")
        except ConditionFailedError:
            return False
        return True

    def set_fields(self, account_id: str, fields: dict[str, Any], updated_at: str) -> Account:
        """Overwrite top-level settings fields of an existing account."""
        values = {**fields, "updated_at": updated_at}
        names = {f"#f{i}": name for i, name in enumerate(values)}
        assignments = ", ".join(f"#f{i} = :v{i}" for i in range(len(values)))
        item = self.table.update(
            keys.account(account_id),
            f"SET {assignments}",
            names=names,
            values={f":v{i}": value for i, value in enumerate(values.values())},
            condition="attribute_exists(pk)",
        )
        return account_from_item(item)

    def load_partition(self, account_id: str) -> AccountPartition | None:
        account: Account | None = None
        groups: list[dict[str, Any]] = []
        attributes: list[dict[str, Any]] = []
        for item in self.table.query_all(keys.account_partition(account_id)):
            sk = item["sk"]
            if sk == keys.ACCOUNT_SK:
                account = account_from_item(item)
            elif sk.startswith(keys.GROUP_PREFIX):
                groups.append(item)
            elif sk.startswith(keys.ATTRIBUTE_PREFIX):
                attributes.append(item)
        if account is None:
            return None
        return AccountPartition(account=account, groups=groups, attributes=attributes)
