"""Approval items: one per document asked about, listed per customer through gsi1 (like the customer's other
children). A decision is written once: the condition that no decision exists yet makes a second one fail."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from chalicelib.approvals.models import Approval
from chalicelib.storage import keys
from chalicelib.storage.dynamo import Action, ConditionFailedError, Put, Table
from chalicelib.storage.tables import main_table
from chalicelib.storage.updates import UpdateExpression


class AlreadyDecidedError(Exception):
    """The approval has a decision already."""


def _approval(item: dict[str, Any]) -> Approval:
    return Approval.model_validate({name: item[name] for name in Approval.model_fields if name in item})


class ApprovalRepository:
    def __init__(self, table: Table | None = None) -> None:
        self.table = table or main_table()

    def add(self, account_id: str, approval: Approval, extra: Sequence[Action]) -> None:
        self.table.transact([
            Put({**keys.approval(account_id, approval.id), "entity": "approval",
                 "gsi1pk": keys.customer_index(account_id, approval.customer_id),
                 "gsi1sk": f"{keys.APPROVAL_PREFIX}{approval.requested_at}#{approval.id}",
                 **approval.model_dump(exclude_none=True)}, condition="attribute_not_exists(pk)"),
            *extra,
        ])

    def get(self, account_id: str, approval_id: str) -> Approval | None:
        item = self.table.get(keys.approval(account_id, approval_id))
        return _approval(item) if item else None

    def of_customer(self, account_id: str, customer_id: str) -> list[Approval]:
        """Newest first."""
        items = self.table.query_all(keys.customer_index(account_id, customer_id), index=keys.GSI1,
                                     sk_prefix=keys.APPROVAL_PREFIX)
        return sorted((_approval(i) for i in items), key=lambda a: (a.requested_at, a.id), reverse=True)

    def decide(self, account_id: str, decided: Approval, extra: Sequence[Action]) -> None:
        """Store the decision if there is none yet (AlreadyDecidedError otherwise)."""
        fields = {name: getattr(decided, name) for name in
                  ("decision", "signer_name", "signed_at", "ip", "user_agent", "comment", "document_sha256",
                   "signature_key", "signature_size")}
        change = UpdateExpression()
        for name, value in fields.items():
            if value is not None:
                change.set(name, value)
        self.table.transact([
            change.action(keys.approval(account_id, decided.id),
                          condition="attribute_exists(pk) AND attribute_not_exists(decision)",
                          fails_with=AlreadyDecidedError),
            *extra,
        ])

    def move(self, account_id: str, approval_id: str, source_id: str, target_id: str) -> None:
        """Re-point an approval to another customer (merge); idempotent."""
        try:
            self.table.update(keys.approval(account_id, approval_id), "SET customer_id = :target, gsi1pk = :index",
                              values={":source": source_id, ":target": target_id,
                                      ":index": keys.customer_index(account_id, target_id)},
                              condition="customer_id = :source", return_values="NONE")
        except ConditionFailedError:
            pass  # moved already (the index is read eventually consistent, a rerun may list it again)

    def delete(self, account_id: str, approval_ids: Sequence[str]) -> None:
        self.table.batch_write(deletes=[keys.approval(account_id, approval_id) for approval_id in approval_ids])
