"""Customers in DynamoDB: the customer item, its group memberships and its search index entries.

Counters (`files_count`, `links_count`, `bytes`) are only ever changed with `ADD` by the transactions
that create or remove what they count (links, files); profile writes use `SET` on the fields they
change, so the two never overwrite each other.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Any, NamedTuple

from chalicelib import errors
from chalicelib.customers import search
from chalicelib.customers.models import PROFILE_FIELDS, ClosingState, Customer
from chalicelib.races import LostRaceError
from chalicelib.storage import cursors, keys
from chalicelib.storage.dynamo import (
    TRANSACTION_LIMIT,
    Action,
    ConditionFailedError,
    Delete,
    Page,
    Put,
    Table,
    TransactionCancelledError,
    Update,
    without_companion,
)
from chalicelib.storage.tables import main_table
from chalicelib.storage.updates import UpdateExpression

_NOT_STORED = {"pk", "sk", "gsi1pk", "gsi1sk", "entity", "search_keys"}
#: Actions of a merge's final transaction besides its extra ones, memberships and index entries: the target's
#: update, the source's delete and the account's count.
_MERGE_BASE_ACTIONS = 3


def customer_to_item(account_id: str, customer: Customer, search_keys: Sequence[str]) -> dict[str, Any]:
    item = {
        **keys.customer(account_id, customer.id),
        "gsi1pk": keys.status_index(account_id, customer.status),
        "gsi1sk": customer.id,
        "entity": "customer",
        **customer.model_dump(exclude={"groups", "link_expiries"}),
        "search_keys": list(search_keys),
    }
    if customer.groups:
        item["groups"] = set(customer.groups)
    if customer.link_expiries:
        item["link_expiries"] = set(customer.link_expiries)
    return item


def customer_from_item(item: dict[str, Any]) -> Customer:
    data = {k: v for k, v in item.items() if k not in _NOT_STORED}
    data["groups"] = sorted(item.get("groups") or [])
    data["link_expiries"] = sorted(item.get("link_expiries") or [])
    return Customer.model_validate(data)


def search_keys_of(item: dict[str, Any]) -> list[str]:
    return list(item.get("search_keys") or [])


def membership_put(account_id: str, group_id: str, customer_id: str) -> Put:
    return Put({**keys.membership(account_id, group_id, customer_id), "entity": "membership"})


def membership_delete(account_id: str, group_id: str, customer_id: str) -> Delete:
    return Delete(keys.membership(account_id, group_id, customer_id))


def search_put(account_id: str, term: str, customer_id: str) -> Put:
    return Put({**keys.search_term(account_id, term, customer_id), "entity": "search"})


def search_delete(account_id: str, term: str, customer_id: str) -> Delete:
    return Delete(keys.search_term(account_id, term, customer_id))


def key_of(item: dict[str, Any], index: bool = False) -> dict[str, str]:
    """The DynamoDB key of an item returned by a query (for cursors)."""
    names = ("pk", "sk", "gsi1pk", "gsi1sk") if index else ("pk", "sk")
    return {name: item[name] for name in names}


class ListedCustomer(NamedTuple):
    """One entry of a list driver's chunk."""

    #: None: an index entry whose customer is gone (deleted or merged away; the entry is deleted on the way).
    customer: Customer | None
    #: `<due_at>#<link id>` of the customer's due requests (the `due` filter reads them from the customer item).
    dues: tuple[str, ...]
    #: Where a listing that stops after this entry resumes (opaque; `cursors.encode` makes it a cursor).
    resume_key: dict[str, Any]


class ListChunk(NamedTuple):
    entries: list[ListedCustomer]
    #: Where the next chunk starts; None at the end of the driver.
    last_key: dict[str, Any] | None


class CustomerRepository:
    def __init__(self, table: Table | None = None) -> None:
        self.table = table or main_table()

    # --- reads ---

    def get_item(self, account_id: str, customer_id: str) -> dict[str, Any] | None:
        return self.table.get(keys.customer(account_id, customer_id))

    def get(self, account_id: str, customer_id: str) -> Customer | None:
        item = self.get_item(account_id, customer_id)
        return customer_from_item(item) if item else None

    def get_with_search_keys(self, account_id: str, customer_id: str) -> tuple[Customer, list[str]] | None:
        """The customer and the search index entries it has now (a change of its name replaces them)."""
        item = self.get_item(account_id, customer_id)
        return (customer_from_item(item), search_keys_of(item)) if item else None

    def closing_state(self, account_id: str, customer_id: str) -> ClosingState | None:
        """The customer whatever its state, with the merge it takes part in and its search index entries."""
        item = self.get_item(account_id, customer_id)
        if item is None:
            return None
        return ClosingState(customer=customer_from_item(item), receiving_merge=item.get("receiving_merge"),
                            merging_into=item.get("merging_into"), search_keys=search_keys_of(item))

    def get_items(self, account_id: str, customer_ids: Iterable[str]) -> dict[str, dict[str, Any]]:
        wanted = [keys.customer(account_id, cid) for cid in dict.fromkeys(customer_ids)]
        return {item["id"]: item for item in self.table.batch_get(wanted)} if wanted else {}

    def get_many(self, account_id: str, customer_ids: Iterable[str]) -> dict[str, Customer]:
        """The customers among `customer_ids` that exist (whatever their state), by id: one batch read."""
        return {cid: customer_from_item(item) for cid, item in self.get_items(account_id, customer_ids).items()}

    def with_search_prefix(self, account_id: str, prefix: str) -> Iterator[Customer]:
        """Every customer with a search index entry under `prefix` (whatever its state), a hundred entries a read."""
        start = None
        while True:
            page = self.table.query(keys.search_partition(account_id, prefix), forward=False, limit=100,
                                    start_key=start)
            yield from (customer_from_item(item)
                        for item in self.get_items(account_id, (entry["sk"] for entry in page.items)).values())
            if page.last_key is None:
                return
            start = page.last_key

    def all(self, account_id: str) -> Iterator[Customer]:
        """Every customer of the account (whatever its state), oldest first, page by page (jobs only)."""
        return (customer_from_item(item) for item in self.all_items(account_id))

    def all_items(self, account_id: str) -> Iterable[dict[str, Any]]:
        """Every customer of the account, oldest first (jobs only: exports, reconciliation)."""
        return self.table.query_all(keys.customers_partition(account_id))

    def page(self, account_id: str, start: dict[str, Any] | None, limit: int
             ) -> tuple[list[Customer], dict[str, Any] | None]:
        """One page of the account's customers (whatever their state), from `start` (a page's last key); the next
        start, None at the end."""
        page = self.table.query(keys.customers_partition(account_id), limit=limit, start_key=start)
        return [customer_from_item(item) for item in page.items], page.last_key

    def chunk(self, account_id: str, driver: str, value: str | None, start: dict[str, Any] | None,
              size: int) -> tuple[Page, bool]:
        """One chunk of a list driver, newest first: `all`, `status`, `group` or `search` (by index
        entry). Returns the page and whether its items are customer items (else pointers to them)."""
        if driver == "status":
            page = self.table.query(keys.status_index(account_id, value or ""), index=keys.GSI1, forward=False,
                                    limit=size, start_key=start)
            return page, True
        if driver == "group":
            page = self.table.query(keys.membership_partition(account_id, value or ""), forward=False, limit=size,
                                    start_key=start)
            return page, False
        if driver == "search":
            page = self.table.query(keys.search_partition(account_id, value or ""), forward=False, limit=size,
                                    start_key=start)
            return page, False
        page = self.table.query(keys.customers_partition(account_id), forward=False, limit=size, start_key=start)
        return page, True

    def list_chunk(self, account_id: str, driver: str, value: str | None, start: dict[str, Any] | None,
                   size: int) -> ListChunk:
        """One chunk of a list driver (see `chunk`), each entry with its customer (pointers resolved with one batch
        read; entries whose customer is gone are deleted on the way)."""
        page, are_customers = self.chunk(account_id, driver, value, start, size)
        if are_customers:
            items = {item["id"]: item for item in page.items}
        else:
            items = self.get_items(account_id, (item["sk"] for item in page.items))
            dangling = [key_of(item) for item in page.items if item["sk"] not in items]
            if dangling:  # entries of customers deleted or merged away: tidy up as we pass
                self.delete_entries(dangling)
        entries = []
        for item in page.items:
            found = items.get(item["id"] if are_customers else item["sk"])
            entries.append(ListedCustomer(
                customer=customer_from_item(found) if found is not None else None,
                dues=tuple((found or {}).get("link_dues") or ()),
                resume_key=key_of(item, index=driver == "status")))
        return ListChunk(entries=entries, last_key=page.last_key)

    def list_chunks(self, account_id: str, driver: str, value: str | None, start: dict[str, Any] | None,
                    size: int) -> Iterator[ListChunk]:
        """The driver's chunks from `start` to its end, each read only when the one before it is done with."""
        while True:
            chunk = self.list_chunk(account_id, driver, value, start, size)
            yield chunk
            if chunk.last_key is None:
                return
            start = chunk.last_key

    def list_start(self, account_id: str, driver: str, value: str | None, cursor: str | None
                   ) -> dict[str, Any] | None:
        """Where a listing given `cursor` starts (InvalidInputError if the cursor is not one of this driver's)."""
        partition, attribute = self.driver_partition(account_id, driver, value)
        return cursors.decode(cursor, partition=partition, partition_attribute=attribute)

    def driver_partition(self, account_id: str, driver: str, value: str | None) -> tuple[str, str]:
        """(partition value, partition attribute) a driver's cursors must carry."""
        if driver == "status":
            return keys.status_index(account_id, value or ""), "gsi1pk"
        if driver == "group":
            return keys.membership_partition(account_id, value or ""), "pk"
        if driver == "search":
            return keys.search_partition(account_id, value or ""), "pk"
        return keys.customers_partition(account_id), "pk"

    def children(self, account_id: str, customer_id: str, prefix: str) -> list[dict[str, Any]]:
        """The customer's links (`LINK#`), files (`FILE#`) or activity (`ACT#`), via gsi1."""
        return list(self.table.query_all(keys.customer_index(account_id, customer_id), index=keys.GSI1,
                                         sk_prefix=prefix))

    # --- writes ---

    def next_number(self, account_id: str) -> int:
        """The next customer number of the account: never reused, even if the create then fails."""
        with without_companion():  # the request's audit entry rides with the customer it creates, not the counter
            item = self.table.update(
                keys.account(account_id), "ADD customer_seq :one", values={":one": 1},
                condition="attribute_exists(pk)", return_values="UPDATED_NEW",
            )
        return int(item["customer_seq"])

    def create(self, account_id: str, customer: Customer, search_keys: Sequence[str], limit: int | None,
               extra: Sequence[Action], at_limit: BaseException | None = None) -> None:
        """Store a new customer with its memberships and index entries, counting it on the account; raises
        `at_limit` when the account is at its plan's limit (TransactionConflictError when concurrent creates
        collided on the account's count)."""
        if limit is None:
            count = Update(keys.account(account_id), "ADD customers_count :one", values={":one": 1},
                           condition="attribute_exists(pk)")
        else:
            count = Update(keys.account(account_id), "ADD customers_count :one",
                           values={":one": 1, ":limit": limit},
                           condition="attribute_exists(pk) AND customers_count < :limit", fails_with=at_limit)
        actions: list[Action] = [
            Put(customer_to_item(account_id, customer, search_keys), condition="attribute_not_exists(pk)"),
            count,
            *[membership_put(account_id, g, customer.id) for g in customer.groups],
            *[search_put(account_id, term, customer.id) for term in search_keys],
            *extra,
        ]
        self.table.transact(actions)

    def update_profile(self, account_id: str, customer_id: str, fields: dict[str, Any], seen_updated_at: str, *,
                       entries: Sequence[Action], groups: tuple[Sequence[str], Sequence[str]] = ((), ()),
                       search_keys: tuple[Sequence[str], Sequence[str] | None] = ((), None)) -> None:
        """SET (or REMOVE, for None) the given fields if nobody changed the customer since `seen_updated_at`
        (LostRaceError otherwise), with `entries`, the memberships of the groups (added, removed) and the search
        index entries (those it has, the new ones; None: unchanged). Index entries that do not fit the transaction
        follow in batches: a missing new entry is written right after, a stale old one only costs a filtered
        candidate."""
        fields = dict(fields)
        if "status" in fields:
            fields["gsi1pk"] = keys.status_index(account_id, fields["status"])
        added_groups, removed_groups = groups
        memberships: list[Action] = [membership_put(account_id, g, customer_id) for g in added_groups]
        memberships += [membership_delete(account_id, g, customer_id) for g in removed_groups]
        old_index, new_index = set(search_keys[0]), search_keys[1]
        index_changes: list[Put | Delete] = []
        if new_index is not None:
            fields["search_keys"] = sorted(set(new_index))
            index_changes += [search_put(account_id, term, customer_id) for term in sorted(set(new_index) - old_index)]
            index_changes += [search_delete(account_id, term, customer_id)
                              for term in sorted(old_index - set(new_index))]
        room = TRANSACTION_LIMIT - 1 - len(entries) - len(memberships)
        in_transaction, overflow = index_changes[:room], index_changes[room:]
        change = UpdateExpression().set_or_remove(fields)
        update = change.action(
            keys.customer(account_id, customer_id),
            condition=f"{change.name('updated_at')} = :seen AND attribute_not_exists({change.name('closing')})",
            values={":seen": seen_updated_at}, fails_with=LostRaceError)
        self.table.transact([update, *entries, *memberships, *in_transaction])
        if overflow:
            self.table.batch_write(puts=[a.item for a in overflow if isinstance(a, Put)],
                                   deletes=[a.key for a in overflow if isinstance(a, Delete)])

    def set_status(self, account_id: str, customer_id: str, seen: str, status: str, at: str,
                   entries: Sequence[Action]) -> None:
        """Move the customer's status from `seen` to `status` with its history entry. Raises LostRaceError if the
        status changed meanwhile or the customer is closing."""
        self.table.transact([
            Update(keys.customer(account_id, customer_id),
                   "SET #status = :status, gsi1pk = :index, #updated_at = :at",
                   names={"#status": "status", "#updated_at": "updated_at", "#closing": "closing"},
                   values={":status": status, ":seen": seen, ":at": at,
                           ":index": keys.status_index(account_id, status)},
                   condition="#status = :seen AND attribute_not_exists(#closing)", fails_with=LostRaceError),
            *entries,
        ])

    def attributes_update(self, account_id: str, customer_id: str, attributes: dict[str, Any]) -> Update:
        """The Update that replaces the customer's attribute values (joins a caller's transaction)."""
        return Update(keys.customer(account_id, customer_id), "SET #attributes = :attributes",
                      names={"#attributes": "attributes", "#closing": "closing"}, values={":attributes": attributes},
                      condition="attribute_exists(pk) AND attribute_not_exists(#closing)")

    def mark_closing(self, account_id: str, customer_id: str) -> dict[str, Any]:
        """Flag the customer as being deleted (idempotent); its item afterwards. Fails (ConditionFailedError)
        if it is gone, being merged away, or a merge into it is unfinished."""
        return self.table.update(
            keys.customer(account_id, customer_id), "SET #closing = :delete",
            names={"#closing": "closing", "#receiving": "receiving_merge"}, values={":delete": "delete"},
            condition="attribute_exists(pk) AND attribute_not_exists(#receiving) "
                      "AND (attribute_not_exists(#closing) OR #closing = :delete)",
        )

    def mark_merge(self, account_id: str, target_id: str, source_id: str) -> None:
        """Flag both sides of a merge in one transaction: the source as going (`closing`, and where to), the
        target as receiving it, so neither can be deleted or merged elsewhere until the merge is done. A
        rerun of the same merge passes; anything else fails (TransactionCancelledError)."""
        names = {"#closing": "closing", "#receiving": "receiving_merge"}
        self.table.transact([
            Update(keys.customer(account_id, target_id), "SET #receiving = :source", names=names,
                   values={":source": source_id},
                   condition="attribute_exists(pk) AND attribute_not_exists(#closing) "
                             "AND (attribute_not_exists(#receiving) OR #receiving = :source)"),
            Update(keys.customer(account_id, source_id), "SET #closing = :merge, #into = :target",
                   names={**names, "#into": "merging_into"},
                   values={":merge": "merge", ":target": target_id},
                   condition="attribute_exists(pk) AND attribute_not_exists(#receiving) "
                             "AND (attribute_not_exists(#closing) OR (#closing = :merge AND #into = :target))"),
        ])

    def delete_entries(self, item_keys: Sequence[dict[str, str]]) -> None:
        self.table.batch_write(deletes=item_keys)

    def entry_keys(self, account_id: str, state: ClosingState) -> list[dict[str, str]]:
        """The keys of what points at the customer besides its own item: its upload ledger, its group
        memberships and its search index entries."""
        customer_id = state.customer.id
        return ([keys.customer_ledger(account_id, customer_id)]
                + [keys.membership(account_id, g, customer_id) for g in state.customer.groups]
                + [keys.search_term(account_id, term, customer_id) for term in state.search_keys])

    def finish_merge(self, account_id: str, target: ClosingState, source: ClosingState, merged: Customer,
                     at: str, extra: Sequence[Action]) -> None:
        """The last steps of a merge: what points at the source goes (memberships, index entries, its upload
        ledger: the moved links keep their own), then the target takes the merged profile with its index
        entries and memberships as the source goes, in one transaction (LostRaceError if the target changed
        since it was read); `extra` joins it, index entries beyond the transaction's room follow in batches."""
        target_id, source_id = target.customer.id, source.customer.id
        fields: dict[str, Any] = {name: getattr(merged, name) for name in PROFILE_FIELDS}
        old_index = set(target.search_keys)
        new_index = set(search.index_keys(search.terms(merged.name, merged.company, merged.email)))
        fields.update({
            "gsi1pk": keys.status_index(account_id, merged.status),
            "attributes": merged.attributes,
            "groups": set(merged.groups) or None,
            "last_upload_at": merged.last_upload_at,
            "search_keys": sorted(new_index),
            "updated_at": at,
        })
        memberships = [membership_put(account_id, g, target_id)
                       for g in sorted(set(merged.groups) - set(target.customer.groups))]
        index_changes: list[Put | Delete] = [search_put(account_id, t, target_id)
                                             for t in sorted(new_index - old_index)]
        index_changes += [search_delete(account_id, t, target_id) for t in sorted(old_index - new_index)]
        room = TRANSACTION_LIMIT - _MERGE_BASE_ACTIONS - len(extra) - len(memberships)
        # What points at the source goes before the source itself, so a rerun still knows what to remove.
        self.delete_entries(
            [keys.membership(account_id, g, source_id) for g in source.customer.groups]
            + [keys.search_term(account_id, t, source_id) for t in source.search_keys]
            + [keys.customer_ledger(account_id, source_id)]
        )
        self.commit_merge(account_id, target_id, source_id, fields, target.customer.updated_at,
                          extra=[*extra, *memberships, *index_changes[:room]], overflow=index_changes[room:])

    def remove(self, account_id: str, customer_id: str) -> None:
        """The last step of a delete: the customer item goes and the account counts one customer less."""
        self.table.transact([
            Delete(keys.customer(account_id, customer_id), condition="attribute_exists(pk)"),
            Update(keys.account(account_id), "ADD customers_count :minus_one", values={":minus_one": -1}),
        ])

    def commit_merge(self, account_id: str, target_id: str, source_id: str, fields: dict[str, Any],
                     seen_updated_at: str, extra: Sequence[Action], overflow: Sequence[Action]) -> None:
        """The last step of a merge: the target takes its merged profile (if nobody changed it since
        `seen_updated_at`; LostRaceError otherwise), the source goes, the account counts one customer less;
        `extra` joins the transaction, `overflow` (index entries) follows in batches."""
        change = UpdateExpression().set_or_remove(fields).remove("receiving_merge")
        closing, receiving, updated_at = (change.name(n) for n in ("closing", "receiving_merge", "updated_at"))
        self.table.transact([
            change.action(keys.customer(account_id, target_id),
                          condition=f"attribute_exists(pk) AND attribute_not_exists({closing}) "
                                    f"AND {receiving} = :source AND {updated_at} = :seen",
                          values={":source": source_id, ":seen": seen_updated_at}, fails_with=LostRaceError),
            Delete(keys.customer(account_id, source_id), condition="#closing = :merge",
                   names={"#closing": "closing"}, values={":merge": "merge"}),
            Update(keys.account(account_id), "ADD customers_count :minus_one", values={":minus_one": -1}),
            *extra,
        ])
        if overflow:
            self.table.batch_write(puts=[a.item for a in overflow if isinstance(a, Put)],
                                   deletes=[a.key for a in overflow if isinstance(a, Delete)])


class CustomerGoneError(errors.NotFoundError):
    """The customer does not exist (any more) or is being deleted or merged away."""


def _portal_change(account_id: str, customer_id: str, change: UpdateExpression) -> Update:
    """The change of the customer's portal state, if the customer is there and not being deleted or merged away
    (CustomerGoneError otherwise)."""
    return change.action(keys.customer(account_id, customer_id),
                         condition=f"attribute_exists(pk) AND attribute_not_exists({change.name('closing')})",
                         fails_with=CustomerGoneError("There is no such customer."))


class PortalStateRepository:
    """The customer's side of the permanent portal, kept on the customer item: the permanent access link's hash,
    the last sign-in, the unread count for staff, and the generation that ends every session when it moves."""

    def __init__(self, table: Table | None = None) -> None:
        self.table = table or main_table()

    def _apply(self, update: Update, extra: Sequence[Action]) -> None:
        if extra:
            self.table.transact([update, *extra])
            return
        try:
            self.table.apply(update, return_values="NONE")
        except ConditionFailedError as exc:
            raise CustomerGoneError("There is no such customer.") from exc

    def set_access(self, account_id: str, customer_id: str, token_hash: str, at: str, extra: Sequence[Action]
                   ) -> None:
        change = UpdateExpression().set("portal_access_hash", token_hash).set("portal_access_created_at", at)
        self._apply(_portal_change(account_id, customer_id, change.add("portal_generation", 1)), extra)

    def remove_access(self, account_id: str, customer_id: str, extra: Sequence[Action]) -> None:
        change = UpdateExpression().remove("portal_access_hash").remove("portal_access_created_at")
        self._apply(_portal_change(account_id, customer_id, change.add("portal_generation", 1)), extra)

    def set_enabled(self, account_id: str, customer_id: str, enabled: bool, extra: Sequence[Action]) -> None:
        change = UpdateExpression().set("portal_enabled", enabled)
        if not enabled:
            change.add("portal_generation", 1)
        self._apply(_portal_change(account_id, customer_id, change), extra)

    def sign_in_action(self, account_id: str, customer_id: str, via: str, at: str) -> Action:
        change = UpdateExpression().set("portal_last_sign_in_at", at).set("portal_signed_in_by", via)
        return _portal_change(account_id, customer_id, change)

    def unread_action(self, account_id: str, customer_id: str) -> Action:
        return _portal_change(account_id, customer_id, UpdateExpression().add("unread_messages", 1))

    def mark_read(self, account_id: str, customer_id: str) -> None:
        self._apply(_portal_change(account_id, customer_id, UpdateExpression().set("unread_messages", 0)), ())

    def move_unread(self, account_id: str, source_id: str, target_id: str) -> None:
        """The source's unread count joins the target's, leaving the source in the same transaction conditioned
        on the value read, so a rerun moves nothing twice."""
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
