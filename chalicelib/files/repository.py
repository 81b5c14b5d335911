"""File records and upload reservations in DynamoDB.

Every change of what is stored happens in one transaction with the counters it affects: the file record,
the account's `used_bytes` and the customer's `files_count`/`bytes`/`area_counts`, the activity entry,
and the reservation it consumes. Conditions on the file record make each S3 event count exactly once.
"""

from __future__ import annotations

import calendar
import datetime
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from chalicelib import clock
from chalicelib.attributes.models import GENERAL_AREA
from chalicelib.files.models import Reservation, StoredFile
from chalicelib.storage import cursors, keys
from chalicelib.storage.dynamo import Action, Delete, Put, Table, TransactionCancelledError, Update
from chalicelib.storage.tables import main_table

#: Reservations stay a day past their expiry (TTL), so a late event still finds what was promised.
RESERVATION_GRACE_SECONDS = 24 * 3600


def reservation_from_item(item: dict[str, Any]) -> Reservation:
    return Reservation.model_validate({k: v for k, v in item.items() if k in Reservation.model_fields})


def file_from_item(item: dict[str, Any]) -> StoredFile:
    return StoredFile.model_validate({k: v for k, v in item.items() if k in StoredFile.model_fields})


def file_to_item(account_id: str, file: StoredFile) -> dict[str, Any]:
    return {
        **keys.file(account_id, file.id),
        "gsi1pk": keys.customer_index(account_id, file.customer_id),
        "gsi1sk": f"{keys.FILE_PREFIX}{file.id}",
        "entity": "file",
        **file.model_dump(),
    }


@dataclass
class EventState:
    """What one S3 event needs to know, read with one BatchGetItem."""

    reservation: Reservation | None
    file: StoredFile | None
    customer: dict[str, Any] | None
    account: dict[str, Any] | None


class FileRepository:
    def __init__(self, table: Table | None = None) -> None:
        self.table = table or main_table()

    # --- reservations ---

    def reserve(self, account_id: str, reservation: Reservation) -> None:
        expires = clock.parse(reservation.expires_at)
        item = {
            **keys.reservation(account_id, reservation.file_id),
            "entity": "reservation",
            **reservation.model_dump(),
            "expires_at_epoch": calendar.timegm(expires.utctimetuple()) + RESERVATION_GRACE_SECONDS,
        }
        self.table.put(item, condition="attribute_not_exists(pk)")

    def reserved_bytes(self, account_id: str, now: datetime.datetime, policy_seconds: int) -> int:
        """Bytes promised to uploads whose policy has not expired yet. Reservation keys are file ids, which
        begin with their creation time, so only reservations made within the policy's lifetime are read
        (abandoned ones wait for their TTL without costing anything here)."""
        since = now - datetime.timedelta(seconds=policy_seconds)
        oldest = f"{int(since.timestamp() * 1000):012x}"
        moment = clock.iso(now)
        return sum(
            int(item["size"])
            for item in self.table.query_all(keys.reservations_partition(account_id), sk_between=(oldest, "g"))
            if item["expires_at"] > moment
        )

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
        items = self.table.batch_get([
            keys.reservation(account_id, file_id),
            keys.file(account_id, file_id),
            keys.customer(account_id, customer_id),
            keys.account(account_id),
        ])
        by_entity = {item.get("entity"): item for item in items}
        reservation = by_entity.get("reservation")
        file = by_entity.get("file")
        return EventState(
            reservation=reservation_from_item(reservation) if reservation else None,
            file=file_from_item(file) if file else None,
            customer=by_entity.get("customer"),
            account=by_entity.get("account"),
        )

    # --- writes ---

    def store(self, account_id: str, file: StoredFile, *, quota_bytes: int, customer_status: str,
              new_status: str | None, entries: Sequence[Action]) -> None:
        """Record an accepted upload and count it: one transaction. Fails (TransactionCancelledError) at
        index 0 if the file was recorded meanwhile, 2 if the quota would be exceeded, 3 if the customer
        is gone or its status changed."""
        customer_update = "ADD files_count :one, #bytes :size"
        if file.direction == "received":  # area_counts track what the customer delivered (progress)
            customer_update += ", area_counts.#area :one"
        customer_update += " SET last_upload_at = :at"
        values: dict[str, Any] = {":one": 1, ":size": file.size, ":at": file.uploaded_at, ":seen": customer_status}
        if new_status is not None:
            customer_update += ", #status = :status, gsi1pk = :status_index"
            values[":status"] = new_status
            values[":status_index"] = keys.status_index(account_id, new_status)
        self.table.transact([
            Put(file_to_item(account_id, file), condition="attribute_not_exists(pk)"),
            Delete(keys.reservation(account_id, file.id)),
            Update(keys.account(account_id), "ADD used_bytes :size",
                   values={":size": file.size, ":max": quota_bytes - file.size},
                   condition="attribute_exists(pk) AND used_bytes <= :max"),
            Update(keys.customer(account_id, file.customer_id), customer_update,
                   names={"#bytes": "bytes", "#status": "status", "#closing": "closing",
                          **({"#area": file.area} if file.direction == "received" else {})},
                   values=values,
                   condition="attribute_exists(pk) AND #status = :seen AND attribute_not_exists(#closing)"),
            *entries,
        ])

    def reject(self, account_id: str, file: StoredFile, entries: Sequence[Action]) -> None:
        """Record an upload that broke its reservation (its object is deleted); nothing is counted."""
        item = file_to_item(account_id, file)
        self.table.transact([
            Put(item, condition="attribute_not_exists(pk)"),
            Delete(keys.reservation(account_id, file.id)),
            *entries,
        ])

    def replace_object(self, account_id: str, file: StoredFile, size: int, etag: str) -> None:
        """The object under a stored file's key was overwritten (a replayed POST): count the difference."""
        delta = size - file.size
        self.table.transact([
            Update(keys.file(account_id, file.id), "SET #size = :size, etag = :etag",
                   names={"#size": "size"}, values={":size": size, ":etag": etag, ":old": file.etag or ""},
                   condition="attribute_exists(pk) AND etag = :old"),
            Update(keys.account(account_id), "ADD used_bytes :delta", values={":delta": delta}),
            Update(keys.customer(account_id, file.customer_id), "ADD #bytes :delta",
                   names={"#bytes": "bytes"}, values={":delta": delta}, condition="attribute_exists(pk)"),
        ])

    def remove(self, account_id: str, file: StoredFile, customer_exists: bool, entries: Sequence[Action]) -> None:
        """The object of a stored file is gone: drop the record and uncount it, once."""
        actions: list[Action] = [
            Delete(keys.file(account_id, file.id), condition="#state = :stored",
                   names={"#state": "state"}, values={":stored": "stored"}),
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

    def forget_reservation(self, account_id: str, file_id: str) -> None:
        self.table.delete(keys.reservation(account_id, file_id))

    def set_review(self, account_id: str, file_id: str, review: str, comment: str | None,
                   entries: Sequence[Action]) -> None:
        self.table.transact([
            Update(keys.file(account_id, file_id), "SET review = :review, review_comment = :comment",
                   values={":review": review, ":comment": comment, ":stored": "stored"},
                   names={"#state": "state"}, condition="#state = :stored"),
            *entries,
        ])

    def mark_deleting(self, account_id: str, file_id: str) -> None:
        self.table.update(keys.file(account_id, file_id), "SET deleting = :yes", values={":yes": True},
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
