"""Deleting a customer and merging two: long operations that survive a crash half way.

Both first flag the customer that goes away (`closing`), so the portal and new uploads refuse it, then
move or remove what belongs to it step by step, each step idempotent, and remove the customer itself
last. A merge that fails half way is finished by running the same request again; a deletion runs as a job
on the jobs queue, which SQS delivers again until it is done.
"""

from __future__ import annotations

from typing import Any, Literal

from chalicelib import clock, errors, ids
from chalicelib.accounts.service import load_partition
from chalicelib.activity import repository as activity
from chalicelib.approvals import service as approvals
from chalicelib.attributes import signatures as drawn_signatures
from chalicelib.attributes.values import check_values_size
from chalicelib.audit import service as audit
from chalicelib.customer_portal import service as customer_portal
from chalicelib.customers import search
from chalicelib.customers.models import PROFILE_FIELDS, Customer, CustomerView, is_visible, view_of
from chalicelib.customers.repository import (
    CustomerRepository,
    customer_from_item,
    membership_put,
    search_delete,
    search_keys_of,
    search_put,
)
from chalicelib.exports.service import forget_customer as forget_exports
from chalicelib.files.repository import FileRepository
from chalicelib.jobs import queue as jobs_queue
from chalicelib.jobs.messages import DeleteCustomerMessage
from chalicelib.links.repository import LinkRepository
from chalicelib.observability import logger
from chalicelib.races import LostRaceError
from chalicelib.settings import get_settings
from chalicelib.storage import keys, objects
from chalicelib.storage.dynamo import (
    TRANSACTION_LIMIT,
    ConditionFailedError,
    Delete,
    Put,
    TransactionCancelledError,
    TransactionConflictError,
)

Side = Literal["source", "target"]
_FILES_PER_TRANSACTION = 25
#: Actions of the merge's final transaction besides memberships and index entries.
_MERGE_BASE_ACTIONS = 4


def _customer_item(account_id: str, customer_id: str) -> dict[str, Any]:
    item = CustomerRepository().get_item(account_id, customer_id) if ids.is_id(customer_id) else None
    if item is None:
        raise errors.NotFoundError("There is no such customer.")
    return item


def request_delete(account_id: str, customer_id: str) -> None:
    """Flag the customer as being deleted (from now on it answers 404 and its links stop working) and queue
    the deletion itself, which runs as a job: a customer with many files would not fit a request."""
    customers = CustomerRepository()
    item = _customer_item(account_id, customer_id)
    if not is_visible(item.get("closing")):
        raise errors.NotFoundError("There is no such customer.")
    _check_not_merging(item)
    try:
        customers.mark_closing(account_id, customer_id)
    except ConditionFailedError as exc:
        _check_not_merging(_customer_item(account_id, customer_id))
        raise errors.ConflictError("The customer was changed meanwhile; try again.") from exc
    jobs_queue.send(DeleteCustomerMessage(kind="delete_customer", account_id=account_id, customer_id=customer_id))


def delete_customer(account_id: str, customer_id: str) -> None:
    """The deletion job: remove the customer with its links (revoked first), files, values, history and approvals
    (with their signature images).
    Stored files' objects are deleted here; their S3 events then drop the records and free the quota, exactly
    once. Idempotent: a redelivered job finishes what a crashed one left, or finds nothing to do."""
    customers = CustomerRepository()
    item = customers.get_item(account_id, customer_id)
    if item is None:
        return
    if item.get("closing") != "delete":
        logger.error("refusing to delete a customer that was not flagged for deletion",
                     extra={"customer_id": customer_id})
        return
    links = LinkRepository()
    customer_links = links.for_customer(account_id, customer_id)
    for link in customer_links:
        if not link.revoked_at:
            links.revoke(account_id, link, clock.now_iso(), [])
    files = FileRepository()
    bucket = get_settings().uploads_bucket
    for file in files.for_customer(account_id, customer_id):
        if file.state == "stored":
            files.mark_deleting(account_id, file.id)
            objects.delete(bucket, file.key)
        else:
            files.delete_record(account_id, file.id)
    customers.delete_entries(
        files.reservations_of(account_id, customer_id)
        + activity.ActivityRepository().keys_of(account_id, customer_id)
        + [keys.link(account_id, link.id) for link in customer_links]
        # The upload ledgers: once the customer is gone every late upload event is refused anyway.
        + [keys.link_ledger(account_id, link.id) for link in customer_links]
        + [keys.customer_ledger(account_id, customer_id)]
        + [keys.membership(account_id, g, customer_id) for g in item.get("groups") or ()]
        + [keys.search_term(account_id, term, customer_id) for term in search_keys_of(item)]
        # The portal's messages (listed through the customer's index) and the conversation's notice plan.
        + [{"pk": m["pk"], "sk": m["sk"]} for m in customers.children(account_id, customer_id, keys.MESSAGE_PREFIX)]
        + [keys.conversation(account_id, customer_id)]
    )
    # Right of erasure: the customer's own export archives go too (they hold copies of the files); the audit
    # log keeps its entries without the customer's id.
    forget_exports(account_id, customer_id)
    # Signature fields' images: those drawn for this customer go with its prefix (approvals'); values a merge
    # brought keep theirs under the merged customer's, found through the references.
    drawn_signatures.delete_images(account_id, [*customer_from_item(item).attributes.values(),
                                                *(value for link in customer_links for value in link.values.values())])
    approvals.forget_customer(account_id, customer_id)
    audit.forget_customer(account_id, customer_id)
    customers.remove(account_id, customer_id)
    # The S3 events of the objects deleted above may have recorded history in the meantime; from now on
    # they find no customer and record none.
    customers.delete_entries(activity.ActivityRepository().keys_of(account_id, customer_id))
    audit.forget_customer(account_id, customer_id)


def _check_not_merging(item: dict[str, Any]) -> None:
    if item.get("closing") == "merge":
        raise errors.ConflictError("This customer is being merged into another one; run that merge again.")
    if item.get("receiving_merge"):
        raise errors.ConflictError("A merge into this customer is unfinished; run that merge again first.")


def _move_belongings(account_id: str, source_id: str, target_id: str) -> None:
    """The source's links, files (a transaction per batch), history, audit entries, portal messages and approvals
    move to the target."""
    links = LinkRepository()
    for link in links.for_customer(account_id, source_id):
        links.move(account_id, link, target_id)
    files = FileRepository()
    source_files = files.for_customer(account_id, source_id)
    for start in range(0, len(source_files), _FILES_PER_TRANSACTION):
        files.move(account_id, source_files[start:start + _FILES_PER_TRANSACTION], source_id, target_id)
    activity.ActivityRepository().move(account_id, source_id, target_id)
    audit.move_customer(account_id, source_id, target_id)
    customer_portal.move_customer(account_id, source_id, target_id)
    approvals.move_customer(account_id, source_id, target_id)


def _merged_entry(account_id: str, actor: str, target_id: str, source: Customer, take: dict[str, Side],
                  moment: str) -> Put:
    return activity.entry(account_id, target_id, "customer_merged", actor, {
        "source_id": source.id, "source_number": source.number, "source_name": source.name,
        "taken_from_source": sorted(name for name, side in take.items() if side == "source"),
    }, at=moment)


def merge_customers(account_id: str, actor: str, target_id: str, source_id: str, take: dict[str, Side]
                    ) -> CustomerView:
    """Merge the source (a duplicate) into the target, field by field as `take` says (default: the target's
    value; attribute values the target lacks come from the source). The source's files, links, activity and
    groups move to the target; the source is gone afterwards."""
    if source_id == target_id:
        raise errors.BadRequestError.for_field("source_id", "a customer cannot be merged into itself")
    partition = load_partition(account_id)
    _check_take(take, partition.attributes)
    target_before, source_before = _customer_item(account_id, target_id), _customer_item(account_id, source_id)
    _check_mergeable(target_before, source_before)
    # The merged values must fit one item like any other change: refused before either side is flagged.
    check_values_size(_merged_profile(customer_from_item(target_before), customer_from_item(source_before),
                                      take).attributes)
    customers = CustomerRepository()
    try:
        customers.mark_merge(account_id, target_id, source_id)
    except TransactionCancelledError as exc:
        _check_mergeable(_customer_item(account_id, target_id), _customer_item(account_id, source_id))
        raise errors.ConflictError("The customers were changed meanwhile; try again.") from exc
    # Read after flagging: neither side changes any more, except the target's counters (uploads).
    target_item, source_item = _customer_item(account_id, target_id), _customer_item(account_id, source_id)
    target, source = customer_from_item(target_item), customer_from_item(source_item)

    _move_belongings(account_id, source_id, target_id)
    merged = _merged_profile(target, source, take)
    moment = clock.now_iso()
    fields: dict[str, Any] = {name: getattr(merged, name) for name in PROFILE_FIELDS}
    old_index = set(search_keys_of(target_item))
    new_index = set(search.index_keys(search.terms(merged.name, merged.company, merged.email)))
    fields.update({
        "gsi1pk": keys.status_index(account_id, merged.status),
        "attributes": merged.attributes,
        "groups": set(merged.groups) or None,
        "last_upload_at": max(filter(None, [target.last_upload_at, source.last_upload_at]), default=None),
        "search_keys": sorted(new_index),
        "updated_at": moment,
    })
    merged_entry = _merged_entry(account_id, actor, target_id, source, take, moment)
    memberships = [membership_put(account_id, g, target_id) for g in sorted(set(merged.groups) - set(target.groups))]
    index_changes: list[Put | Delete] = [search_put(account_id, t, target_id) for t in sorted(new_index - old_index)]
    index_changes += [search_delete(account_id, t, target_id) for t in sorted(old_index - new_index)]
    room = TRANSACTION_LIMIT - _MERGE_BASE_ACTIONS - len(memberships)
    # What points at the source goes before the source itself, so a rerun still knows what to remove.
    customers.delete_entries(
        [keys.membership(account_id, g, source_id) for g in source.groups]
        + [keys.search_term(account_id, t, source_id) for t in search_keys_of(source_item)]
        # The moved links keep their own ledgers; uploads still addressed to the source are refused from now on.
        + [keys.customer_ledger(account_id, source_id)]
    )
    try:
        customers.commit_merge(account_id, target_id, source_id, fields, target.updated_at,
                               extra=[merged_entry, *memberships, *index_changes[:room]],
                               overflow=index_changes[room:])
    except (LostRaceError, TransactionConflictError) as exc:
        raise errors.ConflictError("The target customer was changed meanwhile; run the merge again.") from exc
    result = customers.get(account_id, target_id)
    assert result is not None  # the commit above just wrote it
    return view_of(result, partition.attributes)


def _check_mergeable(target: dict[str, Any], source: dict[str, Any]) -> None:
    """ConflictError unless the source can go into the target now (or this merge is being run again)."""
    if target.get("closing"):
        raise errors.ConflictError("The target customer is being deleted or merged into another one.")
    if target.get("receiving_merge") not in (None, source["id"]):
        raise errors.ConflictError("Another merge into the target customer is unfinished; run it again first.")
    if source.get("closing") == "delete":
        raise errors.ConflictError("The source customer is being deleted.")
    if source.get("closing") == "merge" and source.get("merging_into") != target["id"]:
        raise errors.ConflictError("The source customer is being merged into another customer; run that merge "
                                   "again.")
    if source.get("receiving_merge"):
        raise errors.ConflictError("A merge into the source customer is unfinished; run it again first.")


def _check_take(take: dict[str, Side], definitions: dict[str, Any]) -> None:
    for name in take:
        if name in PROFILE_FIELDS:
            continue
        if name.startswith("attributes.") and name.split(".", 1)[1] in definitions:
            continue
        raise errors.InvalidInputError.for_field(f"take.{name}", "not a field that can be taken from either side")


def _merged_profile(target: Customer, source: Customer, take: dict[str, Side]) -> Customer:
    merged = target.model_copy(deep=True)
    for name in PROFILE_FIELDS:
        if take.get(name) == "source":
            setattr(merged, name, getattr(source, name))
    attributes = {**source.attributes, **target.attributes}
    for name, side in take.items():
        if name.startswith("attributes.") and side == "source":
            attribute_id = name.split(".", 1)[1]
            if attribute_id in source.attributes:
                attributes[attribute_id] = source.attributes[attribute_id]
            else:
                attributes.pop(attribute_id, None)
    merged.attributes = attributes
    merged.groups = sorted(set(target.groups) | set(source.groups))
    return merged
