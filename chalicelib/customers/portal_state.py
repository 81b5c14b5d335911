"""The customer's side of the permanent portal, kept on the customer item: the permanent access link's hash,
the last sign-in, the unread count for staff, and the generation that ends every session when it moves.

The portal domain (chalicelib/customer_portal) decides when these change and calls these functions; the customer
repository writes them. Every write is conditioned on the customer existing and not being deleted or merged
away, so a write to a customer that is gone raises CustomerGoneError.
"""

from __future__ import annotations

from collections.abc import Sequence

from chalicelib import sms
from chalicelib.customers.repository import CustomerGoneError, CustomerRepository, PortalStateRepository
from chalicelib.storage.dynamo import Action

__all__ = ["CustomerGoneError", "find_by_phone", "mark_read", "move_unread", "remove_access", "set_access",
           "set_enabled", "sign_in_action", "unread_action"]


def set_access(account_id: str, customer_id: str, token_hash: str, at: str, extra: Sequence[Action]) -> None:
    """A new permanent access link (replacing any other), ending the sessions the old one opened."""
    PortalStateRepository().set_access(account_id, customer_id, token_hash, at, extra)


def remove_access(account_id: str, customer_id: str, extra: Sequence[Action]) -> None:
    PortalStateRepository().remove_access(account_id, customer_id, extra)


def set_enabled(account_id: str, customer_id: str, enabled: bool, extra: Sequence[Action]) -> None:
    """Switch the customer's portal on or off; off ends the customer's sessions."""
    PortalStateRepository().set_enabled(account_id, customer_id, enabled, extra)


def sign_in_action(account_id: str, customer_id: str, via: str, at: str) -> Action:
    """The write (for the sign-in's transaction) that records when and how the customer last signed in."""
    return PortalStateRepository().sign_in_action(account_id, customer_id, via, at)


def unread_action(account_id: str, customer_id: str) -> Action:
    """The write (for a customer message's transaction) that counts one more message unread by staff."""
    return PortalStateRepository().unread_action(account_id, customer_id)


def mark_read(account_id: str, customer_id: str) -> None:
    PortalStateRepository().mark_read(account_id, customer_id)


def move_unread(account_id: str, source_id: str, target_id: str) -> None:
    """A merge: the source's unread count joins the target's (idempotent)."""
    PortalStateRepository().move_unread(account_id, source_id, target_id)


def find_by_phone(account_id: str, number: str) -> list[str]:
    """The ids of the customers whose phone number is `number` (compared in E.164), none of them closing.

    Reads the account's customers page by page: only the sign-in job calls it (never a request), and sign-in
    requests are rate-limited per address and per client."""
    wanted = sms.e164(number)
    if wanted is None:
        return []
    return [customer.id for customer in CustomerRepository().all(account_id)
            if customer.phone and customer.closing is None and sms.e164(customer.phone) == wanted]
