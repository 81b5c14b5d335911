"""Customer rules: create (plan limit, number, portal default), read, change, list and search."""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable
from typing import Any, NamedTuple

from chalicelib import clock, errors, ids
from chalicelib.accounts.service import AccountPartition, load_partition
from chalicelib.activity import service as activity
from chalicelib.activity.models import SYSTEM, Activity
from chalicelib.attributes import signatures as drawn_signatures
from chalicelib.attributes.signatures import SignatureOwner
from chalicelib.attributes.values import check_values
from chalicelib.audit import service as audit
from chalicelib.customers import search
from chalicelib.customers.models import (
    ClosingState,
    Customer,
    CustomerChanges,
    CustomerView,
    NewCustomer,
    Status,
    portal_overrides,
    view_of,
)
from chalicelib.customers.repository import CustomerRepository, ListedCustomer
from chalicelib.races import LostRaceError, retry_lost_races
from chalicelib.storage import cursors
from chalicelib.storage.dynamo import Action, TransactionConflictError

#: How often a create is retried when concurrent creates conflict on the account item.
_CONFLICT_RETRIES = 12
#: Driver items a list request examines at most before it answers with what it has and a cursor.
_EXAMINE_FACTOR = 4

Origin = str  # "staff", "portal" or "import"


def _not_found() -> errors.NotFoundError:
    return errors.NotFoundError("There is no such customer.")


def checked_groups(partition: AccountPartition, group_ids: list[str], field: str = "groups") -> list[str]:
    unique = list(dict.fromkeys(group_ids))
    for index, group_id in enumerate(unique):
        if group_id not in partition.groups:
            raise errors.InvalidInputError.for_field(f"{field}.{index}", f"no such group: {group_id}")
    return sorted(unique)


def _search_keys(name: str, company: str | None, email: str | None) -> list[str]:
    return search.index_keys(search.terms(name, company, email))


def create_customer(account_id: str, actor: str, new: NewCustomer, origin: Origin = "staff",
                    require_fields: bool = True) -> CustomerView:
    """A new customer. `require_fields=False` (self-registration) lets required fields stay empty: the
    customer fills them on the upload link that follows, and `missing_fields` shows staff what is missing."""
    partition = load_partition(account_id)
    account = partition.account
    groups = checked_groups(partition, new.groups)
    if origin != "staff" and not groups and account.default_group_id in partition.groups:
        groups = [account.default_group_id]
    customer_id = ids.new_id()
    values = check_values(partition.attributes, new.attributes, scope="customer", require_all=require_fields,
                          signatures=SignatureOwner(account_id, customer_id), signatures_optional=True)
    repository = CustomerRepository()
    number = repository.next_number(account_id)
    moment = clock.now_iso()
    customer = Customer(
        id=customer_id,
        number=number,
        name=new.name,
        email=new.email,
        company=new.company or None,
        phone=new.phone or None,
        notes=new.notes,
        status=new.status,
        groups=groups,
        attributes=values,
        portal_enabled=account.portal.default_for_new_customers if new.portal_enabled is None else new.portal_enabled,
        created_at=moment,
        updated_at=moment,
    )
    audit.name_target(target=f"/customers/{customer.id}", customer_id=customer.id)
    created = activity.entry(account_id, customer.id, "customer_created", actor,
                             {"number": number, "name": customer.name, "origin": origin}, at=moment)
    index = _search_keys(customer.name, customer.company, customer.email)
    at_limit = errors.PlanLimitError(
        f"The {account.plan} plan allows {account.customer_limit} customers; delete one or upgrade.")
    retry_lost_races(
        lambda: repository.create(account_id, customer, index, limit=account.customer_limit, extra=[created],
                                  at_limit=at_limit),
        TransactionConflictError, "Too many customers are being created at once; try again.",
        attempts=_CONFLICT_RETRIES, pause_seconds=0.01)
    return view_of(customer, partition.attributes)


def find_by_email(account_id: str, email: str) -> Customer | None:
    """The oldest customer with exactly this e-mail address (case aside), through the search index entry of the
    whole address; None if there is none."""
    address = search.canonical(email.strip())
    wanted = email.strip().casefold()
    found = [customer for customer in CustomerRepository().with_search_prefix(account_id,
                                                                              address[:search.PREFIX_LENGTH])
             if customer.closing is None and (customer.email or "").strip().casefold() == wanted]
    return min(found, key=lambda c: c.number) if found else None


def customer_detail(account_id: str, customer_id: str) -> CustomerView:
    customer = get_customer(account_id, customer_id)
    return view_of(customer, load_partition(account_id).attributes)


def get_customer(account_id: str, customer_id: str) -> Customer:
    if not ids.is_id(customer_id):
        raise _not_found()
    customer = CustomerRepository().get(account_id, customer_id)
    if customer is None or not customer.visible:
        raise _not_found()
    return customer


def signature_of(account_id: str, customer_id: str, attribute_id: str) -> tuple[dict[str, Any], str]:
    """A signature field's stored reference and a short-lived GET of its image; NotFoundError when the
    customer has no signature there."""
    customer = get_customer(account_id, customer_id)
    reference = customer.attributes.get(attribute_id) if ids.is_id(attribute_id) else None
    url = drawn_signatures.download_url(account_id, reference)
    if reference is None or url is None:
        raise errors.NotFoundError("This customer has no signature in that field.")
    return reference, url


def visible_customers(account_id: str, customer_ids: Iterable[str]) -> dict[str, Customer]:
    """The customers among `customer_ids` that staff can see (one batch read), by id."""
    found = CustomerRepository().get_many(account_id, customer_ids)
    return {cid: customer for cid, customer in found.items() if customer.visible}


def attributes_action(account_id: str, customer_id: str, attributes: dict[str, Any]) -> Action:
    """The write (for a caller's transaction) that replaces the customer's attribute values; its condition fails
    if the customer is gone or closing."""
    return CustomerRepository().attributes_update(account_id, customer_id, attributes)


def _describe(value: Any) -> Any:
    return sorted(value) if isinstance(value, set) else value


def update_customer(account_id: str, actor: str, customer_id: str, changes: CustomerChanges) -> CustomerView:
    if not ids.is_id(customer_id):
        raise _not_found()
    # A PATCH names only the fields it sets, so a write that lost a race is applied again to the fresh customer.
    return retry_lost_races(lambda: _update_once(account_id, actor, customer_id, changes),
                            (LostRaceError, TransactionConflictError),
                            "The customer was changed meanwhile; reload and try again.")


def _update_once(account_id: str, actor: str, customer_id: str, changes: CustomerChanges) -> CustomerView:
    partition = load_partition(account_id)
    stored = CustomerRepository().get_with_search_keys(account_id, customer_id)
    if stored is None:
        raise _not_found()
    current, search_keys = stored
    if not current.visible:
        raise _not_found()
    if current.closing:
        raise errors.ConflictError(f"This customer is being {current.closing}d.")
    requested = changes.model_dump(exclude_unset=True)
    updated = current.model_copy()
    for name in ("name", "email", "company", "phone", "notes", "status", "portal_enabled"):
        if name in requested:
            setattr(updated, name, requested[name] if requested[name] != "" or name == "notes" else None)
    if "portal_permissions" in requested:
        updated.portal_permissions = portal_overrides(current.portal_permissions, requested["portal_permissions"])
    if "groups" in requested:
        updated.groups = checked_groups(partition, requested["groups"])
    updated.attributes = check_values(
        partition.attributes, requested.get("attributes", {}), scope="customer", current=current.attributes,
        # Required fields are enforced where they are created or changed: a PATCH of the status or the notes
        # must not fail because a field defined later is still empty (`missing_fields` shows it).
        # Only the customer signs: staff may leave a required signature empty or clear it.
        require_all=False, signatures=SignatureOwner(account_id, current.id), signatures_optional=True,
    )
    return view_of(_store_changes(account_id, actor, search_keys, current, updated), partition.attributes)


def _profile_changes(current: Customer, updated: Customer) -> tuple[dict[str, Any], dict[str, Any]]:
    """The profile fields to write, and their history entry's changes (a note's text is not repeated there)."""
    fields: dict[str, Any] = {}
    changes: dict[str, Any] = {}
    for name in ("name", "email", "company", "phone", "notes", "portal_enabled", "portal_permissions"):
        before, after = getattr(current, name), getattr(updated, name)
        if before != after:
            fields[name] = after
            changes[name] = {"changed": True} if name == "notes" else {"from": before, "to": after}
    if "portal_enabled" in fields and not updated.portal_enabled:
        fields["portal_generation"] = current.portal_generation + 1  # ends the customer's portal sessions
    return fields, changes


def _attribute_changes(current: Customer, updated: Customer) -> dict[str, Any]:
    """Each changed attribute value, before and after, for the history."""
    return {
        attribute_id: history_change(current.attributes.get(attribute_id), updated.attributes.get(attribute_id))
        for attribute_id in sorted(set(current.attributes) | set(updated.attributes))
        if current.attributes.get(attribute_id) != updated.attributes.get(attribute_id)
    }


def _store_changes(account_id: str, actor: str, search_keys: list[str], current: Customer, updated: Customer
                   ) -> Customer:
    moment = clock.now_iso()
    entries: list[Action] = []
    fields, profile_changes = _profile_changes(current, updated)
    if profile_changes:
        entries.append(activity.entry(account_id, current.id, "customer_updated", actor, {"changes": profile_changes},
                                      at=moment))
    if current.status != updated.status:
        fields["status"] = updated.status
        entries.append(activity.entry(account_id, current.id, "status_changed", actor,
                                      {"from": current.status, "to": updated.status}, at=moment))
    added_groups = sorted(set(updated.groups) - set(current.groups))
    removed_groups = sorted(set(current.groups) - set(updated.groups))
    if added_groups or removed_groups:
        fields["groups"] = set(updated.groups) or None
        entries.append(activity.entry(account_id, current.id, "groups_changed", actor,
                                      {"added": added_groups, "removed": removed_groups}, at=moment))
    if current.attributes != updated.attributes:
        fields["attributes"] = updated.attributes
        entries.append(activity.entry(account_id, current.id, "attributes_changed", actor,
                                      {"changed": _attribute_changes(current, updated)}, at=moment))
    if not fields:
        return current

    # The search index follows the fields it is made of; otherwise the entries stay as they are.
    new_index = _search_keys(updated.name, updated.company, updated.email) \
        if {"name", "email", "company"} & set(fields) else None
    fields["updated_at"] = moment
    updated.updated_at = moment
    CustomerRepository().update_profile(account_id, current.id, fields, current.updated_at, entries=entries,
                                        groups=(added_groups, removed_groups), search_keys=(search_keys, new_index))
    return updated


def follow_requests(account_id: str, customer_id: str, seen: Status, status: Status, reason: str) -> bool:
    """Move the customer's status as their requests say (`complete` when every request is, back to `partial`
    when one opens again), recorded in the history like a manual change; False if the status was no longer
    `seen` (someone changed it meanwhile: theirs stands)."""
    moment = clock.now_iso()
    entry = activity.entry(account_id, customer_id, "status_changed", SYSTEM,
                           {"from": seen, "to": status, "reason": reason}, at=moment)
    try:
        CustomerRepository().set_status(account_id, customer_id, seen, status, moment, [entry])
    except LostRaceError:
        return False
    return True


#: Characters of a changed text a history entry keeps of each side: 200 values of 10,000 characters changed
#: at once must still fit one DynamoDB item (400 KB), and the history shows what changed, not the whole text.
HISTORY_TEXT_CHARS = 200


def history_change(before: Any, after: Any) -> dict[str, Any]:
    """How a history entry records one changed value: both sides, long texts cut to their start."""
    change: dict[str, Any] = {"from": before, "to": after}
    for side in ("from", "to"):
        value = change[side]
        if isinstance(value, str) and len(value) > HISTORY_TEXT_CHARS:
            change[side] = value[:HISTORY_TEXT_CHARS] + "…"
            change["truncated"] = True
    return change


class CustomerFilter(NamedTuple):
    q: str | None = None
    status: Status | None = None
    group: str | None = None
    due: str | None = None  # overdue, this_week


#: The window of `due=this_week`.
DUE_SOON = 7 * 24 * 3600


def _due_matches(dues: Iterable[str], due: str, now: str, soon: str) -> bool:
    """Whether one of the customer's due requests (`<due_at>#<link id>`) is overdue or due within a week."""
    moments = [entry.split("#", 1)[0] for entry in dues]
    if due == "overdue":
        return any(moment <= now for moment in moments)
    return any(now < moment <= soon for moment in moments)


def _driver(where: CustomerFilter, query_terms: list[str]) -> tuple[str, str | None]:
    """Which index a listing reads (the search entries, a group's members, a status, or all), and its value."""
    if query_terms:
        return "search", search.lookup_key(query_terms)
    if where.group:
        return "group", where.group
    if where.status:
        return "status", where.status
    return "all", None


def list_customers(account_id: str, where: CustomerFilter, limit: int, cursor: str | None
                   ) -> tuple[list[CustomerView], str | None]:
    """A page of customers, newest first, matching every given filter."""
    repository = CustomerRepository()
    partition = load_partition(account_id)
    if where.group and where.group not in partition.groups:
        raise errors.InvalidInputError.for_field("group", "no such group")
    query_terms = search.query_terms(where.q) if where.q else []
    if where.q and not query_terms:
        return [], None
    driver, value = _driver(where, query_terms)
    start = repository.list_start(account_id, driver, value, cursor)
    return _collect(repository, partition, driver, value, start, limit, _customer_filter(where, query_terms))


def _customer_filter(where: CustomerFilter, query_terms: list[str]) -> Callable[[ListedCustomer], bool]:
    """Whether a listed customer passes every filter of the listing (the index it reads applies at most one)."""
    now = clock.now_iso()
    soon = clock.iso(clock.now() + datetime.timedelta(seconds=DUE_SOON))

    def wanted(listed: ListedCustomer) -> bool:
        customer = listed.customer
        if customer is None or not customer.visible:
            return False
        if where.status and customer.status != where.status:
            return False
        if where.group and where.group not in customer.groups:
            return False
        if where.due and not _due_matches(listed.dues, where.due, now, soon):
            return False
        if query_terms:
            terms = search.terms(customer.name, customer.company, customer.email)
            return search.matches(query_terms, terms)
        return True

    return wanted


def _collect(repository: CustomerRepository, partition: AccountPartition, driver: str, value: str | None,
             start: dict[str, Any] | None, limit: int, wanted: Callable[[ListedCustomer], bool]
             ) -> tuple[list[CustomerView], str | None]:
    """Read the driving index page by page from `start` until `limit` customers pass `wanted`, the index ends, or
    the examination budget is spent (a page may then hold fewer, with a cursor)."""
    account_id = partition.account.id
    found: list[CustomerView] = []
    examined, budget = 0, max(limit * _EXAMINE_FACTOR, 100)
    for chunk in repository.list_chunks(account_id, driver, value, start, size=limit):
        for position, listed in enumerate(chunk.entries):
            examined += 1
            if listed.customer is not None and wanted(listed):
                found.append(view_of(listed.customer, partition.attributes))
                if len(found) == limit:
                    exhausted = position == len(chunk.entries) - 1 and chunk.last_key is None
                    return found, cursors.encode(None if exhausted else listed.resume_key)
        if chunk.last_key is not None and examined >= budget:
            return found, cursors.encode(chunk.last_key)
    return found, None


def customer_activity(account_id: str, customer_id: str, limit: int, cursor: str | None
                      ) -> tuple[list[Activity], str | None]:
    get_customer(account_id, customer_id)
    return activity.page(account_id, customer_id, limit, cursor)


# --- for the customer's deletion and merge (chalicelib/lifecycle) ---


def closing_state(account_id: str, customer_id: str) -> ClosingState | None:
    """The customer whatever its state, with the merge it takes part in and its search index entries."""
    return CustomerRepository().closing_state(account_id, customer_id) if ids.is_id(customer_id) else None


def mark_closing(account_id: str, customer_id: str) -> None:
    """Flag the customer as being deleted (idempotent); ConditionFailedError if it is gone, being merged away, or
    a merge into it is unfinished."""
    CustomerRepository().mark_closing(account_id, customer_id)


def mark_merge(account_id: str, target_id: str, source_id: str) -> None:
    """Flag both sides of a merge (a rerun of the same merge passes); TransactionCancelledError otherwise."""
    CustomerRepository().mark_merge(account_id, target_id, source_id)


def entry_keys(account_id: str, state: ClosingState) -> list[dict[str, str]]:
    """The keys of the customer's upload ledger, group memberships and search index entries, for the batch that
    deletes what belongs to a deleted customer."""
    return CustomerRepository().entry_keys(account_id, state)


def delete_entries(item_keys: list[dict[str, str]]) -> None:
    """Delete these items (keys other domains gave for a deleted customer) in batches; idempotent."""
    CustomerRepository().delete_entries(item_keys)


def remove(account_id: str, customer_id: str) -> None:
    """The last step of a deletion: the customer goes and the account counts one customer less."""
    CustomerRepository().remove(account_id, customer_id)


def finish_merge(account_id: str, target: ClosingState, source: ClosingState, merged: Customer, at: str,
                 extra: list[Action]) -> Customer:
    """The target takes the merged profile (changed `at`) as the source goes (LostRaceError if the target changed
    since it was read); the target afterwards."""
    repository = CustomerRepository()
    repository.finish_merge(account_id, target, source, merged, at, extra)
    result = repository.get(account_id, target.customer.id)
    assert result is not None  # the merge just wrote it
    return result
