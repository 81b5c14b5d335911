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
from chalicelib.customers.repository import CustomerRepository
from chalicelib.files.repository import FileRepository, file_from_item
from chalicelib.jobs.messages import DeleteAttributeMessage
from chalicelib.links.repository import LinkRepository

_PHASE_PAGES: dict[str, Callable[[str, dict[str, Any] | None, int],
                                 tuple[list[dict[str, Any]], dict[str, Any] | None]]] = {
    "files": lambda account_id, start, limit: FileRepository().items_page(account_id, start, limit),
    "customers": lambda account_id, start, limit: CustomerRepository().items_page(account_id, start, limit),
    "links": lambda account_id, start, limit: LinkRepository().items_page(account_id, start, limit),
}


def attribute_values(account_id: str, attribute: Attribute) -> Iterator[Any]:
    """Every stored value of the attribute (files, for an upload area)."""
    if attribute.type == "file":
        yield from (f["id"] for f in FileRepository().all_items(account_id) if f.get("area") == attribute.id)
        yield from (link["id"] for link in LinkRepository().all_items(account_id)
                    if attribute.id in link.get("areas", []))
    elif attribute.scope == "customer":
        for customer in CustomerRepository().all_items(account_id):
            if attribute.id in (customer.get("attributes") or {}):
                yield customer["attributes"][attribute.id]
    else:
        for link in LinkRepository().all_items(account_id):
            if attribute.id in (link.get("values") or {}):
                yield link["values"][attribute.id]


def run_attribute_deletion(job: DeleteAttributeMessage) -> DeleteAttributeMessage | None:
    """One run of the deletion job: at most attributes.JOB_ITEMS_PER_RUN items from its checkpoint. The message
    that goes on from where it stopped, or None when done. Every step is idempotent, so a redelivered run is
    harmless."""
    attributes.check_deleted(job.account_id, job.attribute_id)
    phase, then, cursor, seen = job.phase, job.then, job.cursor, 0
    while seen < attributes.JOB_ITEMS_PER_RUN:
        items, cursor = _PHASE_PAGES[phase](job.account_id, cursor, attributes.JOB_PAGE_SIZE)
        for item in items:
            _forget_in(phase, job, item)
        seen += len(items)
        if cursor is None:
            if then is None:
                return None
            phase, then = then, None
    return job.model_copy(update={"phase": phase, "then": then, "cursor": cursor})


def _forget_in(phase: str, job: DeleteAttributeMessage, item: dict[str, Any]) -> None:
    account_id, attribute_id = job.account_id, job.attribute_id
    if phase == "files":
        if item.get("area") == attribute_id:
            FileRepository().move_to_general(account_id, file_from_item(item))
    elif phase == "customers":
        values = item.get("attributes") or {}
        if attribute_id in values:
            attributes.forget_customer_value(account_id, item["id"], attribute_id, values[attribute_id], job.actor)
    else:
        mentioned = attribute_id in item.get("areas", []) or attribute_id in item.get("attributes", [])
        if mentioned or attribute_id in (item.get("values") or {}):
            LinkRepository().forget_attribute(account_id, item, attribute_id)
