"""The suppression list: addresses an account's mail must not go to again (SES reported a permanent bounce or a
complaint). The shared kernel's own store: chalicelib.mail_feedback writes it, chalicelib.mail reads it."""

from __future__ import annotations

from chalicelib.mail import address_hash
from chalicelib.storage import keys
from chalicelib.storage.dynamo import Table
from chalicelib.storage.tables import main_table


class SuppressionRepository:
    def __init__(self, table: Table | None = None) -> None:
        self.table = table or main_table()

    def add(self, account_id: str, address: str, reason: str, at: str) -> None:
        self.table.put({**keys.suppressed_address(account_id, address_hash(address)), "entity": "suppressed_address",
                        "address": address.strip().casefold(), "reason": reason, "at": at})

    def contains(self, account_id: str, address: str) -> bool:
        return self.table.get(keys.suppressed_address(account_id, address_hash(address))) is not None
