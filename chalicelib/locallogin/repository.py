"""Login codes in DynamoDB: only a SHA-256 of the code's secret is stored, under the account's own key
(`{account}#LOCALLOGIN`, sort key the hash), with the TTL attribute so the table drops stale ones.

Redeeming is one conditional delete: it succeeds for exactly one caller, and only before the code expires."""

from __future__ import annotations

from chalicelib.locallogin.models import LoginGrant
from chalicelib.storage.dynamo import ConditionFailedError, Table
from chalicelib.storage.tables import main_table


def login_key(account_id: str, code_hash: str) -> dict[str, str]:
    return {"pk": f"{account_id}#LOCALLOGIN", "sk": code_hash}


class LocalLoginRepository:
    def __init__(self, table: Table | None = None) -> None:
        self.table = table or main_table()

    def store(self, code_hash: str, grant: LoginGrant, expires_at_epoch: int) -> None:
        self.table.put({**login_key(grant.account_id, code_hash), "entity": "local_login", "user_id": grant.user_id,
                        "role": grant.role, "expires_at_epoch": expires_at_epoch},
                       condition="attribute_not_exists(pk)")

    def take(self, account_id: str, code_hash: str, now_epoch: int) -> LoginGrant | None:
        """Delete the code and return what it grants; None if it is unknown, already taken or expired."""
        try:
            item = self.table.delete(login_key(account_id, code_hash),
                                     condition="attribute_exists(pk) AND expires_at_epoch > :now",
                                     values={":now": now_epoch})
        except ConditionFailedError:
            return None
        if item is None:
            return None
        return LoginGrant(account_id=account_id, user_id=str(item["user_id"]), role=item["role"])
