"""File records and upload reservations in DynamoDB.

Every change of what is stored happens in one transaction with the counters it affects: the file record,
the account's `used_bytes` and the customer's `files_count`/`bytes`/`area_counts`, the activity entry,
and the reservation it consumes. Conditions on the file record make each S3 event count exactly once.

Reservations and the ledgers that count them (see chalicelib.files.ledger): a presign writes the reservation
and adds it to the ledgers of its account, customer and link in one transaction; the link's ledger also counts
the presign against the link's rate, conditionally, so the rate holds under concurrent requests. Whatever
consumes a reservation (the upload's event, a removal that overtook it) subtracts it with `release_actions` in
the transaction that deletes it.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from chalicelib import clock, errors
from chalicelib.accounts.models import Account
from chalicelib.accounts.service import account_from_item
from chalicelib.attributes.models import GENERAL_AREA
from chalicelib.customers.models import Customer
from chalicelib.customers.reads import customer_of_item
from chalicelib.files.ledger import EVENT_HORIZON_SECONDS, LINK_PRESIGNS_PER_WINDOW, Ledger, retry_after
from chalicelib.files.models import INBOX_REVIEWS, Reservation, StoredFile
from chalicelib.races import LostRaceError
from chalicelib.storage import cursors, keys
from chalicelib.storage.dynamo import Action, Delete, Put, Table, TransactionCancelledError, Update, named
from chalicelib.storage.tables import main_table
from chalicelib.storage.updates import UpdateExpression


class DuplicateEventError(Exception):
    """The file's record already shows what an S3 event reports (recorded, or removed, by an earlier delivery
    of the same event)."""


class QuotaTakenError(Exception):
    """Another upload took the account's last bytes since the state was read."""


def reservation_from_item(item: dict[str, Any]) -> Reservation:
    return Reservation.model_validate({k: v for k, v in item.items() if k in Reservation.model_fields})


def file_from_item(item: dict[str, Any]) -> StoredFile:
    return StoredFile.model_validate({k: v for k, v in item.items() if k in StoredFile.model_fields})


def _waits_for_review(file: StoredFile, review: str) -> bool:
    return file.direction == "received" and file.state == "stored" and not file.deleting and review in INBOX_REVIEWS


def file_to_item(account_id: str, file: StoredFile) -> dict[str, Any]:
    inbox = keys.review_entry(account_id, file.review, file.uploaded_at, file.id) \
        if _waits_for_review(file, file.review) else {}
    return {
        **keys.file(account_id, file.id),
        "gsi1pk": keys.customer_index(account_id, file.customer_id),
        "gsi1sk": f"{keys.FILE_PREFIX}{file.id}",
        **inbox,
        "entity": "file",
        **file.model_dump(),
    }


@dataclass
class EventState:
    """What one S3 event needs to know, read with one BatchGetItem."""

    reservation: Reservation | None
    file: StoredFile | None
    customer: Customer | None
    account: Account | None
    #: The customer's reservation ledger: when their links were revoked.
    customer_ledger: Ledger


class FileRepository:
    def __init__(self, table: Table | None = None) -> None:
        self.table = table or main_table()

    # --- reservations ---

    def reservations_of(self, account_id: str, customer_id: str) -> list[dict[str, str]]:
        """Keys of the customer's reservations (uploads promised but not recorded)."""
        return [keys.reservation(account_id, item["sk"])
                for item in self.table.query_all(keys.reservations_partition(account_id))
                if item.get("customer_id") == customer_id]

    # --- reads ---

    def get(self, account_id: str, file_id: str) -> StoredFile | None:
        item = self.table.get(keys.file(account_id, file_id))
        return file_from_item(item) if item else None

    def all_items(self, account_id: str) -> Iterable[dict[str, Any]]:
        return self.table.query_all(keys.files_partition(account_id))

    def files_page(self, account_id: str, start: dict[str, Any] | None, limit: int
                   ) -> tuple[list[StoredFile], dict[str, Any] | None]:
        """One page of the account's file records, from `start` (a page's last key); the next start, None at the end."""
        page = self.table.query(keys.files_partition(account_id), limit=limit, start_key=start)
        return [file_from_item(item) for item in page.items], page.last_key

    def in_area(self, account_id: str, area: str) -> Iterator[StoredFile]:
        """Every file record in an upload area, whatever its state, page by page (jobs only)."""
        return (file_from_item(item) for item in self.all_items(account_id) if item.get("area") == area)

    def for_customer(self, account_id: str, customer_id: str) -> list[StoredFile]:
        items = self.table.query_all(keys.customer_index(account_id, customer_id), index=keys.GSI1,
                                     sk_prefix=keys.FILE_PREFIX, forward=False)
        return [file_from_item(item) for item in items]

    def page_for_customer(self, account_id: str, customer_id: str, direction: str | None, limit: int,
                          cursor: str | None) -> tuple[list[StoredFile], str | None]:
        """Newest first; `direction` filters received or sent files."""
        partition = keys.customer_index(account_id, customer_id)
        start = cursors.decode(cursor, partition=partition, partition_attribute="gsi1pk")
        found: list[StoredFile] = []
        while True:
            page = self.table.query(
                partition, index=keys.GSI1, sk_prefix=keys.FILE_PREFIX, forward=False, limit=limit, start_key=start,
                filter_expression="direction = :direction" if direction else None,
                values={":direction": direction} if direction else None,
            )
            found += [file_from_item(item) for item in page.items]
            if len(found) >= limit or page.last_key is None:
                break
            start = page.last_key
        if len(found) > limit:
            found = found[:limit]
            last = found[-1]
            return found, cursors.encode({**keys.file(account_id, last.id), "gsi1pk": partition,
                                          "gsi1sk": f"{keys.FILE_PREFIX}{last.id}"})
        return found, cursors.encode(page.last_key)

    def event_state(self, account_id: str, customer_id: str, file_id: str) -> EventState:
        ledger_key = keys.customer_ledger(account_id, customer_id)
        items = self.table.batch_get([
            keys.reservation(account_id, file_id),
            keys.file(account_id, file_id),
            keys.customer(account_id, customer_id),
            keys.account(account_id),
            ledger_key,
        ])
        ledger = next((item for item in items if item["pk"] == ledger_key["pk"]), {})
        by_entity = {item.get("entity"): item for item in items if item["pk"] != ledger_key["pk"]}
        reservation, file = by_entity.get("reservation"), by_entity.get("file")
        customer, account = by_entity.get("customer"), by_entity.get("account")
        return EventState(
            reservation=reservation_from_item(reservation) if reservation else None,
            file=file_from_item(file) if file else None,
            customer=customer_of_item(customer) if customer else None,
            account=account_from_item(account) if account else None,
            customer_ledger=Ledger(ledger),
        )

    # --- writes ---

    def store(self, account_id: str, file: StoredFile, *, quota_bytes: int, customer_status: str,
              new_status: str | None, entries: Sequence[Action], release: tuple[Action, Sequence[Action]]) -> None:
        """Record an accepted upload and count it: one transaction. Raises DuplicateEventError if the file was
        recorded meanwhile, QuotaTakenError if the quota would be exceeded, LostRaceError if the reservation
        is gone or the customer is gone or its status changed (read again)."""
        customer_update = "ADD files_count :one, #bytes :size"
        if file.direction == "received":  # area_counts track what the customer delivered (progress)
            customer_update += ", area_counts.#area :one"
        customer_update += " SET last_upload_at = :at"
        values: dict[str, Any] = {":one": 1, ":size": file.size, ":at": file.uploaded_at, ":seen": customer_status}
        if new_status is not None:
            customer_update += ", #status = :status, gsi1pk = :status_index"
            values[":status"] = new_status
            values[":status_index"] = keys.status_index(account_id, new_status)
        delete_reservation, ledger_updates = release
        # When several conditions fail at once the first listed wins: a duplicate, then a reservation consumed
        # meanwhile (read again), then the quota.
        self.table.transact([
            Put(file_to_item(account_id, file), condition="attribute_not_exists(pk)", fails_with=DuplicateEventError),
            delete_reservation,
            Update(keys.account(account_id), "ADD used_bytes :size",
                   values={":size": file.size, ":max": quota_bytes - file.size},
                   condition="attribute_exists(pk) AND used_bytes <= :max", fails_with=QuotaTakenError),
            Update(keys.customer(account_id, file.customer_id), customer_update,
                   names={"#bytes": "bytes", "#status": "status", "#closing": "closing",
                          **({"#area": file.area} if file.direction == "received" else {})},
                   values=values,
                   condition="attribute_exists(pk) AND #status = :seen AND attribute_not_exists(#closing)",
                   fails_with=LostRaceError),
            *entries,
            *ledger_updates,
        ])

    def reject(self, account_id: str, file: StoredFile, entries: Sequence[Action],
               release: tuple[Action, Sequence[Action]] | None) -> None:
        """Record an upload that broke its reservation (its object is quarantined); nothing is counted.
        `release` consumes the reservation, if there is one."""
        item = file_to_item(account_id, file)
        delete_reservation, ledger_updates = release or (None, [])
        self.table.transact([
            Put(item, condition="attribute_not_exists(pk)", fails_with=DuplicateEventError),
            *([delete_reservation] if delete_reservation is not None else []),
            *entries,
            *ledger_updates,
        ])

    def replace_object(self, account_id: str, file: StoredFile, replaced: StoredFile, entries: Sequence[Action]
                       ) -> None:
        """The object under a stored file's key was overwritten (the upload form used again): the record
        describes the new version, waits for review again, and the difference is counted, once (conditioned
        on the version the record described: DuplicateEventError if it describes another one now)."""
        delta = replaced.size - file.size
        change = UpdateExpression().set_all({
            "size": replaced.size, "etag": replaced.etag, "version_id": replaced.version_id,
            "uploaded_at": replaced.uploaded_at, "review": replaced.review, "review_comment": None})
        if _waits_for_review(replaced, replaced.review):
            change.set_all(keys.review_entry(account_id, replaced.review, replaced.uploaded_at, replaced.id))
        self.table.transact([
            change.action(keys.file(account_id, file.id),
                          condition=f"attribute_exists(pk) AND {change.name('etag')} = :old",
                          values={":old": file.etag or ""}, fails_with=DuplicateEventError),
            Update(keys.account(account_id), "ADD used_bytes :delta", values={":delta": delta}),
            Update(keys.customer(account_id, file.customer_id), "ADD #bytes :delta",
                   names={"#bytes": "bytes"}, values={":delta": delta}, condition="attribute_exists(pk)"),
            *entries,
        ])

    def record(self, entries: Sequence[Action]) -> None:
        """History entries of something that changed no record (an overwrite that was quarantined)."""
        self.table.transact(entries)

    def remove(self, account_id: str, file: StoredFile, customer_exists: bool, entries: Sequence[Action]) -> None:
        """The object of a stored file is gone: drop the record and uncount it, once (DuplicateEventError if the
        record is no longer stored)."""
        actions: list[Action] = [
            Delete(keys.file(account_id, file.id), condition="#state = :stored",
                   names={"#state": "state"}, values={":stored": "stored"}, fails_with=DuplicateEventError),
            Update(keys.account(account_id), "ADD used_bytes :minus", values={":minus": -file.size}),
        ]
        if customer_exists:
            received = file.direction == "received"
            actions.append(Update(
                keys.customer(account_id, file.customer_id),
                "ADD files_count :minus_one, #bytes :minus" + (", area_counts.#area :minus_one" if received else ""),
                names={"#bytes": "bytes", **({"#area": file.area} if received else {})},
                values={":minus_one": -1, ":minus": -file.size},
                condition="attribute_exists(pk)",
            ))
            actions.extend(entries)
        self.table.transact(actions)

    def move(self, account_id: str, files: Sequence[StoredFile], source_id: str, target_id: str) -> None:
        """Re-point files (at most ~25) from one customer to another in one transaction, with the counter
        changes that causes on both, so the counters are right after every chunk."""
        actions: list[Action] = [
            Update(keys.file(account_id, f.id), "SET customer_id = :target, gsi1pk = :index",
                   values={":source": source_id, ":target": target_id,
                           ":index": keys.customer_index(account_id, target_id)},
                   condition="customer_id = :source")
            for f in files
        ]
        stored = [f for f in files if f.state == "stored"]
        for customer_id, sign in ((target_id, 1), (source_id, -1)) if stored else ():
            per_area: dict[str, int] = {}
            for f in stored:
                if f.direction == "received":
                    per_area[f.area] = per_area.get(f.area, 0) + sign
            areas = "".join(f", area_counts.#a{i} :a{i}" for i in range(len(per_area)))
            actions.append(Update(
                keys.customer(account_id, customer_id), f"ADD files_count :count, #bytes :bytes{areas}",
                names={"#bytes": "bytes", **{f"#a{i}": area for i, area in enumerate(per_area)}},
                values={":count": sign * len(stored), ":bytes": sign * sum(f.size for f in stored),
                        **{f":a{i}": n for i, n in enumerate(per_area.values())}},
            ))
        self.table.transact(actions)

    def set_review(self, account_id: str, file: StoredFile, review: str, comment: str | None,
                   entries: Sequence[Action]) -> None:
        """Set the review, and the file's place in the review inbox with it."""
        # The review is of the version read: if the object was replaced meanwhile, the condition fails.
        change = UpdateExpression().set_all({"review": review, "review_comment": comment,
                                             "reviewed_version_id": file.version_id})
        if _waits_for_review(file, review):
            change.set_all(keys.review_entry(account_id, review, file.uploaded_at, file.id))
        else:
            change.remove("gsi2pk").remove("gsi2sk")
        version_unchanged = "(version_id = :version OR attribute_not_exists(version_id))" if file.version_id \
            else "attribute_not_exists(version_id)"
        self.table.transact([
            change.action(keys.file(account_id, file.id), condition=f"#state = :stored AND {version_unchanged}",
                          names={"#state": "state"},
                          values={":stored": "stored", **({":version": file.version_id} if file.version_id else {})}),
            *entries,
        ])

    def page_for_review(self, account_id: str, review: str, limit: int, cursor: str | None
                        ) -> tuple[list[StoredFile], str | None]:
        """Received files in one review state, newest first (the sparse gsi2 holds only those)."""
        partition = keys.review_index(account_id, review)
        start = cursors.decode(cursor, partition=partition, partition_attribute="gsi2pk")
        page = self.table.query(partition, index=keys.GSI2, forward=False, limit=limit, start_key=start)
        return [file_from_item(item) for item in page.items], cursors.encode(page.last_key)

    def mark_deleting(self, account_id: str, file_id: str) -> None:
        self.table.update(keys.file(account_id, file_id), "SET deleting = :yes REMOVE gsi2pk, gsi2sk",
                          values={":yes": True},
                          condition="attribute_exists(pk)", return_values="NONE")

    def delete_record(self, account_id: str, file_id: str) -> None:
        self.table.delete(keys.file(account_id, file_id))

    def move_to_general(self, account_id: str, file: StoredFile) -> None:
        """The file's area was deleted: keep the file, under the general documents (and its count with it)."""
        actions: list[Action] = [Update(keys.file(account_id, file.id), "SET area = :general",
                                        values={":general": GENERAL_AREA, ":old": file.area},
                                        condition="attribute_exists(pk) AND area = :old")]
        if file.state == "stored" and file.direction == "received":
            actions.append(Update(keys.customer(account_id, file.customer_id),
                                  "ADD area_counts.#general :one, area_counts.#old :minus_one",
                                  names={"#general": GENERAL_AREA, "#old": file.area},
                                  values={":one": 1, ":minus_one": -1}, condition="attribute_exists(pk)"))
        try:
            self.table.transact(actions)
        except TransactionCancelledError:
            pass  # moved or deleted meanwhile

    def all_files(self, account_id: str) -> Iterable[StoredFile]:
        """Every file record of the account, whatever its state (for the reconciliation)."""
        return (file_from_item(item) for item in self.all_items(account_id))


# --- upload reservations and their ledgers ---

def _ledger_ttl(now: float) -> int:
    # A ledger outlives every event that may still subtract from it or ask for a link's revocation.
    return int(now) + EVENT_HORIZON_SECONDS + 24 * 3600


def _add(key: dict[str, str], window: int, *, size: int, count: int, portal_bytes: int | None = None,
         expiry: int | None = None, presign: bool = False, remove: Sequence[str] = (), ttl: int,
         rate_limited: bool = False) -> Update:
    change = UpdateExpression().add(f"b{window}", size).add(f"n{window}", count)
    if portal_bytes is not None:
        change.add(f"p{window}", portal_bytes)
    if presign:
        change.add(f"r{window}", 1)
    if expiry is not None:
        change.set(f"x{window}", expiry).set("expires_at_epoch", ttl)
    else:
        # A release never revives a window; a dead window it touches is removed by the next presign.
        change.set("expires_at_epoch", ttl, if_not_exists=True)
    for name in remove:
        change.remove(name)
    condition = None
    if rate_limited:
        presigns = change.name(f"r{window}")
        condition = f"attribute_not_exists({presigns}) OR {presigns} < {change.value(LINK_PRESIGNS_PER_WINDOW)}"
    return change.action(key, condition=condition)


class ReservationRepository:
    def __init__(self, table: Table | None = None) -> None:
        self.table = table or main_table()

    def ledgers(self, account_id: str, customer_id: str, link_id: str | None
                ) -> tuple[Ledger, Ledger, Ledger | None]:
        """The account's, the customer's and the link's ledger, read together (one BatchGetItem)."""
        wanted = [keys.account_ledger(account_id), keys.customer_ledger(account_id, customer_id)]
        if link_id:
            wanted.append(keys.link_ledger(account_id, link_id))
        found = {item["sk"]: item for item in self.table.batch_get(wanted)}
        account, customer = (Ledger(found.get(k["sk"], {})) for k in wanted[:2])
        link = Ledger(found.get(wanted[2]["sk"], {})) if link_id else None
        return account, customer, link

    def reserve(self, account_id: str, reservation: Reservation, ledgers: tuple[Ledger, Ledger, Ledger | None],
                now: float) -> None:
        """Record the reservation and count it. RateLimitedError if the link made its window's presigns
        meanwhile."""
        assert reservation.window is not None
        window, size = reservation.window, reservation.size
        expiry = clock.epoch(reservation.expires_at)
        ttl = _ledger_ttl(now)
        portal = reservation.link_id is not None
        account, customer, link = ledgers
        actions: list[Action] = [
            Put({**keys.reservation(account_id, reservation.file_id), "entity": "reservation",
                 **reservation.model_dump(), "expires_at_epoch": expiry + EVENT_HORIZON_SECONDS},
                condition="attribute_not_exists(pk)"),
            _add(keys.account_ledger(account_id), window, size=size, count=1, portal_bytes=size if portal else 0,
                 expiry=expiry, remove=account.dead_attributes(now, window), ttl=ttl),
        ]
        if portal:
            assert link is not None and reservation.link_id is not None
            actions += [
                _add(keys.customer_ledger(account_id, reservation.customer_id), window, size=size, count=1,
                     expiry=expiry, remove=customer.dead_attributes(now, window), ttl=ttl),
                named(_add(keys.link_ledger(account_id, reservation.link_id), window, size=size, count=1,
                           expiry=expiry, presign=True, remove=link.dead_attributes(now, window), ttl=ttl,
                           rate_limited=True),
                      errors.RateLimitedError("Too many uploads were started through this link in a short time. "
                                              "Please try again shortly.", retry_after(now))),
            ]
        self.table.transact(actions)

    def release_actions(self, account_id: str, reservation: Reservation, *, now: float
                        ) -> tuple[Action, list[Action]]:
        """Actions for the transaction that consumes the reservation: deleting it (only if it is still there,
        so it is subtracted once: LostRaceError otherwise) and subtracting it from its ledgers. Reservations
        made before the ledgers existed were never counted."""
        delete = Delete(keys.reservation(account_id, reservation.file_id), condition="attribute_exists(pk)",
                        fails_with=LostRaceError)
        if reservation.window is None:
            return delete, []
        window, size, ttl = reservation.window, reservation.size, _ledger_ttl(now)
        portal = reservation.link_id is not None
        updates: list[Action] = [_add(keys.account_ledger(account_id), window, size=-size, count=-1,
                                      portal_bytes=-size if portal else 0, ttl=ttl)]
        if reservation.link_id is not None:
            updates += [_add(keys.customer_ledger(account_id, reservation.customer_id), window, size=-size,
                             count=-1, ttl=ttl),
                        _add(keys.link_ledger(account_id, reservation.link_id), window, size=-size, count=-1,
                             ttl=ttl)]
        return delete, updates

    def forget(self, account_id: str, reservation: Reservation, now: float) -> None:
        """A reservation whose object is gone before its upload was recorded."""
        delete, updates = self.release_actions(account_id, reservation, now=now)
        try:
            self.table.transact([delete, *updates])
        except LostRaceError:
            pass  # consumed meanwhile

    def revocation_action(self, account_id: str, customer_id: str, link_id: str, at: str, now: float) -> Action:
        """Note in the customer's ledger when a link was revoked, for as long as its uploads' events can come."""
        return Update(keys.customer_ledger(account_id, customer_id),
                      "SET #revoked = :at, expires_at_epoch = :ttl",
                      names={"#revoked": f"revoked_{link_id}"}, values={":at": at, ":ttl": _ledger_ttl(now)})
