"""The customer's side of the permanent portal, kept on the customer item: the permanent access link's hash,
the last sign-in, the unread count for staff, and the generation that ends every session when it moves.

The portal domain (chalicelib/customer_portal) decides when these change; this module owns how they are
written (the customer item's keys and conditions). Every write is conditioned on the customer existing and
not being deleted or merged away, so a write to a customer that is gone raises CustomerGoneError.
"""

from __future__ import annotations

from collections.abc import Sequence

from chalicelib import errors
from chalicelib.storage import keys
from chalicelib.storage.dynamo import Action, ConditionFailedError, Table, TransactionCancelledError, Update
from chalicelib.storage.tables import main_table

_PRESENT = "attribute_exists(pk) AND attribute_not_exists(#closing)"


class CustomerGoneError(errors.NotFoundError):
    """The customer does not exist (any more) or is being deleted or merged away."""


class PortalStateRepository:
    def __init__(self, table: Table | None = None) -> None:
        self.table = table or main_table()

    def _update(self, account_id: str, customer_id: str, expression: str, values: dict[str, object],
                extra: Sequence[Action]) -> None:
        update = Update(keys.customer(account_id, customer_id), expression, names={"#closing": "closing"},
                        values=values or None, condition=_PRESENT)
        try:
            if extra:
                self.table.transact([update, *extra])
            else:
                self.table.update(update.key, update.expression, names=update.names, values=update.values,
                                  condition=update.condition, return_values="NONE")
        except ConditionFailedError as exc:
            raise CustomerGoneError("There is no such customer.") from exc
        except TransactionCancelledError as exc:
            # Only the customer's update carries a condition; the history entries that join it carry none.
            if "ConditionalCheckFailed" in exc.reasons:
                raise CustomerGoneError("There is no such customer.") from exc
            raise

    def set_access(self, account_id: str, customer_id: str, token_hash: str, at: str, extra: Sequence[Action]
                   ) -> None:
        """A new permanent access link (replacing any other), ending the sessions the old one opened."""
        self._update(account_id, customer_id,
                     "SET portal_access_hash = :hash, portal_access_created_at = :at ADD portal_generation :one",
                     {":hash": token_hash, ":at": at, ":one": 1}, extra)

    def remove_access(self, account_id: str, customer_id: str, extra: Sequence[Action]) -> None:
        self._update(account_id, customer_id,
                     "REMOVE portal_access_hash, portal_access_created_at ADD portal_generation :one",
                     {":one": 1}, extra)

    def set_enabled(self, account_id: str, customer_id: str, enabled: bool, extra: Sequence[Action]) -> None:
        """Switch the customer's portal on or off; off ends the customer's sessions."""
        expression = "SET portal_enabled = :enabled" + ("" if enabled else " ADD portal_generation :one")
        values: dict[str, object] = {":enabled": enabled}
        if not enabled:
            values[":one"] = 1
        self._update(account_id, customer_id, expression, values, extra)

    def sign_in_action(self, account_id: str, customer_id: str, via: str, at: str) -> Action:
        """The write (for the sign-in's transaction) that records when and how the customer last signed in."""
        return Update(keys.customer(account_id, customer_id),
                      "SET portal_last_sign_in_at = :at, portal_signed_in_by = :via",
                      names={"#closing": "closing"}, values={":at": at, ":via": via}, condition=_PRESENT)

    def unread_action(self, account_id: str, customer_id: str) -> Action:
        """The write (for a customer message's transaction) that counts one more message unread by staff."""
        return Update(keys.customer(account_id, customer_id), "ADD unread_messages :one",
                      names={"#closing": "closing"}, values={":one": 1}, condition=_PRESENT)

    def mark_read(self, account_id: str, customer_id: str) -> None:
        self._update(account_id, customer_id, "SET unread_messages = :zero", {":zero": 0}, ())

    def move_unread(self, account_id: str, source_id: str, target_id: str) -> None:
        """A merge: the source's unread count joins the target's. Idempotent: the count leaves the source in the
        same transaction, conditioned on the value read, so a rerun moves nothing twice."""
        source = self.table.get(keys.customer(account_id, source_id))
        unread = int((source or {}).get("unread_messages") or 0)
        if unread == 0:
            return
        try:
            self.table.transact([
                Update(keys.customer(account_id, source_id), "SET unread_messages = :zero",
                       values={":zero": 0, ":seen": unread}, condition="unread_messages = :seen"),
                Update(keys.customer(account_id, target_id), "ADD unread_messages :seen",
                       values={":seen": unread}, condition="attribute_exists(pk)"),
            ])
        except TransactionCancelledError:
            # Moved meanwhile (a rerun) or the target is gone: nothing left to move.
            return


def find_by_phone(account_id: str, number: str) -> list[str]:
    """The ids of the customers whose phone number is `number` (compared in E.164).

    Reads the account's customers page by page: only the sign-in job calls it (never a request), and sign-in
    requests are rate-limited per address and per client."""
    from chalicelib import sms
    from chalicelib.customers.repository import CustomerRepository

    wanted = sms.e164(number)
    if wanted is None:
        return []
    return [item["id"] for item in CustomerRepository().all_items(account_id)
            if item.get("phone") and item.get("closing") is None and sms.e164(item["phone"]) == wanted]
