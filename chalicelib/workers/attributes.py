"""Attribute work that spans the domains keeping attribute values: customers (customer attributes), links
(request attributes, and upload areas a link asks for) and files (upload areas). Those domains sit above
attributes, so the reading and the clean-up are done here, at the top: app.py registers `attribute_values`
with attributes.service (which refuses a type change while values exist), and the jobs worker runs
`run_attribute_deletion` for the job `attributes.service.delete_attribute` queues."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from chalicelib.attributes import service as attributes
from chalicelib.attributes.models import Attribute
from chalicelib.customers import reads as customers
from chalicelib.files import service as files
from chalicelib.jobs.messages import DeleteAttributeMessage
from chalicelib.links import service as links


def attribute_values(account_id: str, attribute: Attribute) -> Iterator[Any]:
    """Every stored value of the attribute (files, and links asking for it, for an upload area)."""
    if attribute.type == "file":
        yield from (file.id for file in files.area_files(account_id, attribute.id))
        yield from (link.id for link in links.all_links(account_id) if attribute.id in link.areas)
    elif attribute.scope == "customer":
        for customer in customers.all_customers(account_id):
            if attribute.id in customer.attributes:
                yield customer.attributes[attribute.id]
    else:
        for link in links.all_links(account_id):
            if attribute.id in link.values:
                yield link.values[attribute.id]


def run_attribute_deletion(job: DeleteAttributeMessage) -> DeleteAttributeMessage | None:
    """One run of the deletion job: at most attributes.JOB_ITEMS_PER_RUN items from its checkpoint. The message
    that goes on from where it stopped, or None when done. Every step is idempotent, so a redelivered run is
    harmless."""
    attributes.check_deleted(job.account_id, job.attribute_id)
    phase, then, cursor, seen = job.phase, job.then, job.cursor, 0
    while seen < attributes.JOB_ITEMS_PER_RUN:
        count, cursor = _PHASES[phase](job, cursor, attributes.JOB_PAGE_SIZE)
        seen += count
        if cursor is None:
            if then is None:
                return None
            phase, then = then, None
    return job.model_copy(update={"phase": phase, "then": then, "cursor": cursor})


#: Where a page of the account's items starts (the previous page's last key); None: at the beginning.
Start = dict[str, Any] | None


def _forget_in_files(job: DeleteAttributeMessage, start: Start, limit: int) -> tuple[int, Start]:
    """The deleted area's files stay, as general documents."""
    page, start = files.files_page(job.account_id, start, limit)
    for file in page:
        if file.area == job.attribute_id:
            files.move_to_general(job.account_id, file)
    return len(page), start


def _forget_in_customers(job: DeleteAttributeMessage, start: Start, limit: int) -> tuple[int, Start]:
    page, start = customers.customers_page(job.account_id, start, limit)
    for customer in page:
        if job.attribute_id in customer.attributes:
            attributes.forget_customer_value(job.account_id, customer.id, job.attribute_id,
                                             customer.attributes[job.attribute_id], job.actor)
    return len(page), start


def _forget_in_links(job: DeleteAttributeMessage, start: Start, limit: int) -> tuple[int, Start]:
    page, start = links.links_page(job.account_id, start, limit)
    for link in page:
        if job.attribute_id in (*link.areas, *link.attributes) or job.attribute_id in link.values:
            links.forget_attribute(job.account_id, link, job.attribute_id)
    return len(page), start


_PHASES: dict[str, Callable[[DeleteAttributeMessage, Start, int], tuple[int, Start]]] = {
    "files": _forget_in_files, "customers": _forget_in_customers, "links": _forget_in_links}
