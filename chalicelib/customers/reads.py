"""What other domains read of customers, as models: never their items or keys (those stay in the repository).

`customer_of_item` is for a higher domain's repository that reads a customer's item in its own batch read (a
portal token's link, customer and account in one BatchGetItem; an upload event's state) and must not pay a
second read for it.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from chalicelib.customers.models import Customer
from chalicelib.customers.repository import CustomerRepository, customer_from_item


def stored_customer(account_id: str, customer_id: str) -> Customer | None:
    """The customer whatever its state (being deleted or merged away included); None if there is none. Staff
    reads go through `customers.service.get_customer`, which answers only for visible customers."""
    return CustomerRepository().get(account_id, customer_id)


def all_customers(account_id: str) -> Iterator[Customer]:
    """Every customer of the account whatever its state, oldest first, page by page (jobs only: exports,
    reconciliation, attribute clean-ups)."""
    return CustomerRepository().all(account_id)


def customers_page(account_id: str, start: dict[str, Any] | None, limit: int
                   ) -> tuple[list[Customer], dict[str, Any] | None]:
    """One page of the account's customers from `start` (opaque: the previous page's next start), and the next
    start (None at the end)."""
    return CustomerRepository().page(account_id, start, limit)


def customer_of_item(item: dict[str, Any]) -> Customer:
    """The customer a stored customer item holds (read by another domain's repository in its own batch)."""
    return customer_from_item(item)
