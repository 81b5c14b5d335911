"""Upload reservations and the ledgers that count them (see chalicelib.files.ledger) in DynamoDB.

A presign writes the reservation and adds it to the ledgers of its account, customer and link in one
transaction; the link's ledger also counts the presign against the link's rate, conditionally, so the rate
holds under concurrent requests. Whatever consumes a reservation (the upload's event, a removal that
overtook it) subtracts it with `release_actions` in the transaction that deletes it.
"""

from __future__ import annotations

import calendar
from collections.abc import Sequence

from chalicelib import clock, errors
from chalicelib.files.ledger import EVENT_HORIZON_SECONDS, LINK_PRESIGNS_PER_WINDOW, Ledger, retry_after
from chalicelib.files.models import Reservation
from chalicelib.races import LostRaceError
from chalicelib.storage import keys
from chalicelib.storage.dynamo import Action, Delete, Put, Table, Update, named
from chalicelib.storage.tables import main_table
from chalicelib.storage.updates import UpdateExpression


def epoch(text: str) -> int:
    return calendar.timegm(clock.parse(text).utctimetuple())


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
        expiry = epoch(reservation.expires_at)
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
