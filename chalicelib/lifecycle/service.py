"""Deleting a customer and merging two: long operations that survive a crash half way.

Both first flag the customer that goes away (`closing`), so the portal and new uploads refuse it, then
move or remove what belongs to it step by step, each step idempotent, and remove the customer itself
last. A merge that fails half way is finished by running the same request again; a deletion runs as a job
on the jobs queue, which SQS delivers again until it is done.
"""

from __future__ import annotations

from typing import Any, Literal

from chalicelib import clock, errors
from chalicelib.accounts.service import load_partition
from chalicelib.activity import service as activity
from chalicelib.approvals import service as approvals
from chalicelib.attributes import signatures as drawn_signatures
from chalicelib.attributes.values import check_values_size
from chalicelib.audit import service as audit
from chalicelib.customer_portal import service as customer_portal
from chalicelib.customers import service as customers
from chalicelib.customers.models import PROFILE_FIELDS, ClosingState, Customer, CustomerView, view_of
from chalicelib.exports.service import forget_customer as forget_exports
from chalicelib.files import service as files
from chalicelib.jobs import queue as jobs_queue
from chalicelib.jobs.messages import DeleteCustomerMessage
from chalicelib.links import service as links
from chalicelib.observability import logger
from chalicelib.races import LostRaceError
from chalicelib.storage.dynamo import (
    ConditionFailedError,
    Put,
    TransactionCancelledError,
    TransactionConflictError,
)

Side = Literal["source", "target"]


def _customer_state(account_id: str, customer_id: str) -> ClosingState:
    state = customers.closing_state(account_id, customer_id)
    if state is None:
        raise errors.NotFoundError("There is no such customer.")
    return state


def request_delete(account_id: str, customer_id: str) -> None:
    """Flag the customer as being deleted (from now on it answers 404 and its links stop working) and queue
    the deletion itself, which runs as a job: a customer with many files would not fit a request."""
    state = _customer_state(account_id, customer_id)
    if not state.customer.visible:
        raise errors.NotFoundError("There is no such customer.")
    _check_not_merging(state)
    try:
        customers.mark_closing(account_id, customer_id)
    except ConditionFailedError as exc:
        _check_not_merging(_customer_state(account_id, customer_id))
        raise errors.ConflictError("The customer was changed meanwhile; try again.") from exc
    jobs_queue.send(DeleteCustomerMessage(kind="delete_customer", account_id=account_id, customer_id=customer_id))


def delete_customer(account_id: str, customer_id: str) -> None:
    """The deletion job: remove the customer with its links (revoked first), files, values, history and approvals
    (with their signature images).
    Stored files' objects are deleted here; their S3 events then drop the records and free the quota, exactly
    once. Idempotent: a redelivered job finishes what a crashed one left, or finds nothing to do."""
    state = customers.closing_state(account_id, customer_id)
    if state is None:
        return
    if state.customer.closing != "delete":
        logger.error("refusing to delete a customer that was not flagged for deletion",
                     extra={"customer_id": customer_id})
        return
    customer_links = links.customer_links(account_id, customer_id)
    links.revoke_customer_links(account_id, customer_links)
    files.delete_customer_files(account_id, customer_id)
    customers.delete_entries(
        files.reservation_keys(account_id, customer_id)
        + activity.entry_keys(account_id, customer_id)
        + links.link_keys(account_id, customer_links)
        # The upload ledger, memberships and search index entries.
        + customers.entry_keys(account_id, state)
        # The portal's messages and the conversation's notice plan.
        + customer_portal.conversation_keys(account_id, customer_id)
    )
    # Right of erasure: the customer's own export archives go too (they hold copies of the files); the audit
    # log keeps its entries without the customer's id.
    forget_exports(account_id, customer_id)
    # Signature fields' images: those drawn for this customer go with its prefix (approvals'); values a merge
    # brought keep theirs under the merged customer's, found through the references.
    drawn_signatures.delete_images(account_id, [*state.customer.attributes.values(),
                                                *(value for link in customer_links for value in link.values.values())])
    approvals.forget_customer(account_id, customer_id)
    audit.forget_customer(account_id, customer_id)
    customers.remove(account_id, customer_id)
    # The S3 events of the objects deleted above may have recorded history in the meantime; from now on
    # they find no customer and record none.
    customers.delete_entries(activity.entry_keys(account_id, customer_id))
    audit.forget_customer(account_id, customer_id)


def _check_not_merging(state: ClosingState) -> None:
    if state.customer.closing == "merge":
        raise errors.ConflictError("This customer is being merged into another one; run that merge again.")
    if state.receiving_merge:
        raise errors.ConflictError("A merge into this customer is unfinished; run that merge again first.")


def _move_belongings(account_id: str, source_id: str, target_id: str) -> None:
    """The source's links, files (a transaction per batch), history, audit entries, portal messages and approvals
    move to the target."""
    links.move_customer_links(account_id, source_id, target_id)
    files.move_customer_files(account_id, source_id, target_id)
    activity.move(account_id, source_id, target_id)
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
    target_before, source_before = _customer_state(account_id, target_id), _customer_state(account_id, source_id)
    _check_mergeable(target_before, source_before)
    # The merged values must fit one item like any other change: refused before either side is flagged.
    check_values_size(_merged_profile(target_before.customer, source_before.customer, take).attributes)
    try:
        customers.mark_merge(account_id, target_id, source_id)
    except TransactionCancelledError as exc:
        _check_mergeable(_customer_state(account_id, target_id), _customer_state(account_id, source_id))
        raise errors.ConflictError("The customers were changed meanwhile; try again.") from exc
    # Read after flagging: neither side changes any more, except the target's counters (uploads).
    target, source = _customer_state(account_id, target_id), _customer_state(account_id, source_id)

    _move_belongings(account_id, source_id, target_id)
    merged = _merged_profile(target.customer, source.customer, take)
    merged.last_upload_at = max(filter(None, [target.customer.last_upload_at, source.customer.last_upload_at]),
                                default=None)
    moment = clock.now_iso()
    merged_entry = _merged_entry(account_id, actor, target_id, source.customer, take, moment)
    try:
        result = customers.finish_merge(account_id, target, source, merged, moment, [merged_entry])
    except (LostRaceError, TransactionConflictError) as exc:
        raise errors.ConflictError("The target customer was changed meanwhile; run the merge again.") from exc
    # Signatures the merged values did not keep (the target's were taken, or earlier ones) would otherwise
    # outlive the source: its prefix goes with no customer's deletion.
    drawn_signatures.delete_unreferenced_images(account_id, source_id, [
        *result.attributes.values(),
        *(value for link in links.customer_links(account_id, target_id) for value in link.values.values())])
    return view_of(result, partition.attributes)


def _check_mergeable(target: ClosingState, source: ClosingState) -> None:
    """ConflictError unless the source can go into the target now (or this merge is being run again)."""
    if target.customer.closing:
        raise errors.ConflictError("The target customer is being deleted or merged into another one.")
    if target.receiving_merge not in (None, source.customer.id):
        raise errors.ConflictError("Another merge into the target customer is unfinished; run it again first.")
    if source.customer.closing == "delete":
        raise errors.ConflictError("The source customer is being deleted.")
    if source.customer.closing == "merge" and source.merging_into != target.customer.id:
        raise errors.ConflictError("The source customer is being merged into another customer; run that merge "
                                   "again.")
    if source.receiving_merge:
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
