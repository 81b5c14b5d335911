"""Upload links in DynamoDB: an account-wide partition, listed per customer through gsi1. A link and the
customer's `links_count` always change in the same transaction."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from chalicelib.accounts.models import Account
from chalicelib.accounts.service import account_from_item
from chalicelib.customers.models import Customer
from chalicelib.customers.reads import customer_of_item
from chalicelib.links.models import Link
from chalicelib.races import LostRaceError
from chalicelib.storage import keys
from chalicelib.storage.dynamo import Action, ConditionFailedError, Put, Table, Update
from chalicelib.storage.tables import main_table
from chalicelib.storage.updates import UpdateExpression


def link_to_item(account_id: str, link: Link) -> dict[str, Any]:
    return {
        **keys.link(account_id, link.id),
        "gsi1pk": keys.customer_index(account_id, link.customer_id),
        "gsi1sk": f"{keys.LINK_PREFIX}{link.id}",
        "entity": "link",
        **link.model_dump(),
        # Checklist marks are tested with attribute_not_exists: an unset one is left out, not stored as NULL.
        **({"items": {i: item.model_dump(exclude_none=True) for i, item in link.items.items()}}
           if link.items is not None else {}),
        **(keys.reminder_entry(account_id, link.id, link.reminders.next_at)
           if link.reminders and link.reminders.enabled and link.reminders.next_at else {}),
    }


def expiry_entry(link: Link) -> set[str]:
    """The link's entry in its customer's `link_expiries` set (active links are counted from it)."""
    return {f"{link.expires_at}#{link.id}"}


def due_entry(link: Link) -> set[str]:
    """The link's entry in its customer's `link_dues` set, held while the request is due (not complete, not
    cancelled): the customer list's `due` filter reads it from the customer item alone."""
    return {f"{link.due_at}#{link.id}"}


def link_from_item(item: dict[str, Any]) -> Link:
    return Link.model_validate({k: v for k, v in item.items() if k in Link.model_fields})


class LinkRepository:
    def __init__(self, table: Table | None = None) -> None:
        self.table = table or main_table()

    def get(self, account_id: str, link_id: str) -> Link | None:
        item = self.table.get(keys.link(account_id, link_id))
        return link_from_item(item) if item else None

    def with_customer_and_account(self, account_id: str, link_id: str, customer_id: str
                                  ) -> tuple[Link | None, Customer | None, Account | None]:
        """The link, the customer (whatever its state) and the account, read together (one BatchGetItem)."""
        items = {item["entity"]: item for item in self.table.batch_get(
            [keys.link(account_id, link_id), keys.customer(account_id, customer_id), keys.account(account_id)])}
        link, customer, account = items.get("link"), items.get("customer"), items.get("account")
        return (link_from_item(link) if link else None, customer_of_item(customer) if customer else None,
                account_from_item(account) if account else None)

    def for_customer(self, account_id: str, customer_id: str) -> list[Link]:
        items = self.table.query_all(keys.customer_index(account_id, customer_id), index=keys.GSI1,
                                     sk_prefix=keys.LINK_PREFIX, forward=False)
        return [link_from_item(item) for item in items]

    def all_items(self, account_id: str) -> Iterable[dict[str, Any]]:
        return self.table.query_all(keys.links_partition(account_id))

    def links_page(self, account_id: str, start: dict[str, Any] | None, limit: int
                   ) -> tuple[list[Link], dict[str, Any] | None]:
        """One page of the account's links, from `start` (a page's last key); the next start, None at the end."""
        page = self.table.query(keys.links_partition(account_id), limit=limit, start_key=start)
        return [link_from_item(item) for item in page.items], page.last_key

    def create(self, account_id: str, link: Link, entries: Sequence[Action]) -> None:
        """Fails (TransactionCancelledError) if the customer is gone or closing, or a condition of `entries` fails."""
        self.table.transact([
            Put(link_to_item(account_id, link), condition="attribute_not_exists(pk)"),
            Update(keys.customer(account_id, link.customer_id),
                   "ADD links_count :one, link_expiries :expiry" + (", link_dues :due" if link.due_at else ""),
                   values={":one": 1, ":expiry": expiry_entry(link),
                           **({":due": due_entry(link)} if link.due_at else {})},
                   names={"#closing": "closing"}, condition="attribute_exists(pk) AND attribute_not_exists(#closing)"),
            *entries,
        ])

    def due_change(self, account_id: str, link: Link, due: bool) -> Update:
        """The write (for a status transaction) that adds the link to, or takes it off, its customer's dues."""
        return Update(keys.customer(account_id, link.customer_id), f"{'ADD' if due else 'DELETE'} link_dues :due",
                      values={":due": due_entry(link)}, condition="attribute_exists(pk)")

    def revoke(self, account_id: str, link: Link, at: str, entries: Sequence[Action]) -> None:
        """LostRaceError if the link was revoked meanwhile."""
        self.table.transact([
            Update(keys.link(account_id, link.id), "SET revoked_at = :at", values={":at": at},
                   condition="attribute_exists(pk) AND attribute_not_exists(revoked_at)", fails_with=LostRaceError),
            Update(keys.customer(account_id, link.customer_id),
                   "ADD links_count :minus_one DELETE link_expiries :expiry",
                   values={":minus_one": -1, ":expiry": expiry_entry(link)}, condition="attribute_exists(pk)"),
            *entries,
        ])

    def rotate_secret(self, account_id: str, link_id: str, token_hash: str, at: str, entries: Sequence[Action]
                      ) -> None:
        """A new secret (the old URL stops working), recorded as sent; LostRaceError if the link is gone or was
        revoked meanwhile."""
        self.table.transact([
            Update(keys.link(account_id, link_id),
                   "SET token_hash = :hash, last_sent_at = :at ADD sent_count :one",
                   values={":hash": token_hash, ":at": at, ":one": 1},
                   condition="attribute_exists(pk) AND attribute_not_exists(revoked_at)", fails_with=LostRaceError),
            *entries,
        ])

    def due_reminders(self, now: str, limit: int) -> list[tuple[str, str, str]]:
        """(account id, link id, next_at) of up to `limit` links whose next reminder is due at `now`, earliest
        first: reads only the due entries of the sparse reminder index (page after page: the index projects whole
        links, so a page of 1 MB may hold fewer than `limit`)."""
        found: list[tuple[str, str, str]] = []
        start = None
        while len(found) < limit:
            page = self.table.query(keys.REMINDERS, index=keys.GSI2, sk_between=("0", f"{now}#\uffff"),
                                    limit=limit - len(found), start_key=start, consistent=False)
            for item in page.items:
                next_at, account_id, link_id = item["gsi2sk"].rsplit("#", 2)
                found.append((account_id, link_id, next_at))
            start = page.last_key
            if start is None:
                break
        return found

    def advance_reminder(self, account_id: str, link_id: str, seen_next_at: str, next_at: str | None,
                         token_hash: str | None, entries: Sequence[Action], sent: bool) -> None:
        """Move the link's reminder on from `seen_next_at` (None: no more; its index entry goes), counting a sent
        one and renewing the secret it mailed. LostRaceError if another run moved it meanwhile."""
        change = UpdateExpression().set(("reminders", "next_at"), next_at)
        if next_at is not None:
            entry = keys.reminder_entry(account_id, link_id, next_at)
            change.set("gsi2pk", entry["gsi2pk"]).set("gsi2sk", entry["gsi2sk"])
        if token_hash is not None:
            change.set("token_hash", token_hash)
        if sent:
            change.add(("reminders", "sent_count"), 1)
        if next_at is None:
            change.remove("gsi2pk").remove("gsi2sk")
        condition = f"attribute_exists(pk) AND {change.name(('reminders', 'next_at'))} = {change.value(seen_next_at)}"
        self.table.transact([
            change.action(keys.link(account_id, link_id), condition=condition, fails_with=LostRaceError),
            *entries,
        ])

    def undo_reminder_send(self, account_id: str, link_id: str, sent_token_hash: str, previous_token_hash: str,
                           entries: Sequence[Action]) -> None:
        """A claimed reminder that reached nobody: not counted as sent, and the link's previous secret back (so
        the URL the customer has works again), unless another URL was issued meanwhile (then that one stays)."""
        key = keys.link(account_id, link_id)
        try:
            self.table.transact([
                Update(key, "SET token_hash = :previous ADD reminders.sent_count :minus_one",
                       values={":previous": previous_token_hash, ":sent": sent_token_hash, ":minus_one": -1},
                       condition="token_hash = :sent", fails_with=LostRaceError),
                *entries,
            ])
        except LostRaceError:
            self.table.transact([
                Update(key, "ADD reminders.sent_count :minus_one", values={":minus_one": -1},
                       condition="attribute_exists(pk)"),
                *entries,
            ])

    def record(self, entries: Sequence[Action]) -> None:
        """History entries of something that changed no link (a mail that was not sent)."""
        self.table.transact(entries)

    def mark_sent(self, account_id: str, link_id: str, at: str, entries: Sequence[Action]) -> None:
        self.table.transact([
            Update(keys.link(account_id, link_id), "SET last_sent_at = :at ADD sent_count :one",
                   values={":at": at, ":one": 1}, condition="attribute_exists(pk)"),
            *entries,
        ])

    def submit(self, account_id: str, link_id: str, values: dict[str, Any], at: str,
               also: Sequence[Action]) -> None:
        """Store what the customer filled in through the link (request-attribute values on the link, `also`
        for the customer's own values and the activity entry), in one transaction."""
        self.table.transact([
            Update(keys.link(account_id, link_id), "SET #values = :values, submitted_at = :at",
                   names={"#values": "values"}, values={":values": values, ":at": at},
                   condition="attribute_exists(pk) AND attribute_not_exists(revoked_at)"),
            *also,
        ])

    def move(self, account_id: str, link: Link, target_id: str) -> None:
        """Re-point a link to another customer (merge), moving its count along."""
        actions: list[Action] = [Update(
            keys.link(account_id, link.id), "SET customer_id = :target, gsi1pk = :index",
            values={":source": link.customer_id, ":target": target_id,
                    ":index": keys.customer_index(account_id, target_id)},
            condition="customer_id = :source")]
        if not link.revoked_at:
            # A due request moves its entry in the customers' dues along (see due_entry).
            due = link.due_at is not None and (link.status or "open") not in ("complete", "cancelled")
            actions += [
                Update(keys.customer(account_id, target_id),
                       "ADD links_count :one, link_expiries :expiry" + (", link_dues :due" if due else ""),
                       values={":one": 1, ":expiry": expiry_entry(link), **({":due": due_entry(link)} if due else {})}),
                Update(keys.customer(account_id, link.customer_id),
                       "ADD links_count :minus_one DELETE link_expiries :expiry" + (", link_dues :due" if due else ""),
                       values={":minus_one": -1, ":expiry": expiry_entry(link),
                               **({":due": due_entry(link)} if due else {})}),
            ]
        self.table.transact(actions)

    def file_review_action(self, account_id: str, link_id: str, item_id: str, file_id: str, review: str | None
                           ) -> Update:
        names = {"#items": "items", "#item": item_id, "#files": "files", "#file": file_id}
        if review is None:
            return Update(keys.link(account_id, link_id), "REMOVE #items.#item.#files.#file", names=names,
                          condition="attribute_exists(#items.#item)")
        return Update(keys.link(account_id, link_id), "SET #items.#item.#files.#file = :review", names=names,
                      values={":review": review}, condition="attribute_exists(#items.#item)")

    def set_file_review(self, account_id: str, link_id: str, item_id: str, file_id: str, review: str | None) -> bool:
        """Record a file's review on its checklist item (None: the file is gone). False if the link has no such
        item (made before checklists, or the attribute was deleted)."""
        names = {"#items": "items", "#item": item_id, "#files": "files", "#file": file_id}
        try:
            if review is None:
                self.table.update(keys.link(account_id, link_id), "REMOVE #items.#item.#files.#file", names=names,
                                  condition="attribute_exists(#items.#item)", return_values="NONE")
            else:
                self.table.update(keys.link(account_id, link_id), "SET #items.#item.#files.#file = :review",
                                  names=names, values={":review": review},
                                  condition="attribute_exists(#items.#item)", return_values="NONE")
        except ConditionFailedError:
            return False
        return True

    def set_mark(self, account_id: str, link_id: str, item_id: str, mark: str | None, comment: str | None,
                 seen_mark: str | None, entries: Sequence[Action]) -> None:
        """Set (or clear, None) an item's not-applicable mark if it is still `seen_mark`, with its history entry.
        LostRaceError if the item, the link or that mark is gone meanwhile."""
        change = UpdateExpression()
        for part, value in (("mark", mark), ("comment", comment)):
            if value is None:
                change.remove(("items", item_id, part))
            else:
                change.set(("items", item_id, part), value)
        item, marked = change.name(("items", item_id)), change.name(("items", item_id, "mark"))
        if seen_mark is None:
            condition = f"attribute_exists({item}) AND attribute_not_exists({marked})"
        else:
            condition = f"{marked} = {change.value(seen_mark)}"
        self.table.transact([
            change.action(keys.link(account_id, link_id), condition=condition + " AND attribute_not_exists(revoked_at)",
                          fails_with=LostRaceError),
            *entries,
        ])

    def record_status(self, account_id: str, link_id: str, seen: str | None, status: str,
                      entries: Sequence[Action]) -> None:
        """Record the link's new status if it still is `seen` (None: never recorded) (and `entries`).
        LostRaceError if another writer recorded one meanwhile."""
        condition = "attribute_not_exists(#status)" if seen is None else "#status = :seen"
        values = {":status": status, **({":seen": seen} if seen is not None else {})}
        self.table.transact([
            Update(keys.link(account_id, link_id), "SET #status = :status", names={"#status": "status"},
                   values=values, condition=f"attribute_exists(pk) AND {condition}", fails_with=LostRaceError),
            *entries,
        ])

    def forget_attribute(self, account_id: str, link: Link, attribute_id: str) -> None:
        """Take a deleted attribute off a link: from its areas, its fields and its values."""
        # Links made before checklists have no items to take it from.
        items = ", #items.#id" if link.items is not None else ""
        try:
            self.table.update(
                keys.link(account_id, link.id),
                "SET areas = :areas, #attributes = :attributes REMOVE #values.#id" + items,
                names={"#attributes": "attributes", "#values": "values", "#id": attribute_id,
                       **({"#items": "items"} if items else {})},
                values={
                    ":areas": [a for a in link.areas if a != attribute_id],
                    ":attributes": [a for a in link.attributes if a != attribute_id],
                },
                condition="attribute_exists(pk)",
                return_values="NONE",
            )
        except ConditionFailedError:
            pass  # deleted meanwhile

    def all_links(self, account_id: str) -> Iterable[Link]:
        """Every link of the account (for the reconciliation)."""
        return (link_from_item(item) for item in self.all_items(account_id))

    def keys_with_ledgers(self, account_id: str, links: Sequence[Link]) -> list[dict[str, str]]:
        """The keys of these links, then of their upload ledgers."""
        return ([keys.link(account_id, link.id) for link in links]
                + [keys.link_ledger(account_id, link.id) for link in links])
