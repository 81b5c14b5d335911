"""Event throughput: S3 upload events handled per second in-process against moto, against a floor.

Customers upload through their links like a browser does (presign, then a POST to moto's S3); S3's
messages are taken off the events queue and handed to `app.handle_upload_events` in batches of ten, as the
Lambda event source does (tests/support/events.py). Only the handler's time counts.

The floor is what no handler can beat: the same number of bare `transact_write_items` calls of the same
shape (eight actions: the file record, the account's and the customer's counters, the activity entry, the
reservation, and the account's, customer's and link's reservation ledgers), made on the same client against
the same moto in the same run, interleaved with the handler's batches so both see the table at the same
size. The handler does more than its transaction: a BatchGetItem of what the event needs to know, a
HeadObject of the object, the rules, the staff mail (one per customer and batch). On AWS each of those calls
is a round trip like the transaction's, so handling an event in at most 3 times the floor's time leaves its
own work well below its waiting.

The handler's DynamoDB calls are counted too: one transaction and at most one read per event.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from typing import Any

from bench.counting import Cost, dynamodb_cost
from bench.report import Figure, part

FULL = {"events": 200, "customers": 10}
QUICK = {"events": 40, "customers": 5}
BATCH = 10
RATIO_GOAL = 3.0


ACCOUNT = "bench-events"
FLOOR_ACCOUNT = "bench-floor"
CONTENT = b"%PDF-1.7 Beleg " + b"x" * 2033  # 2 KB


def upload_messages(stack: Any, count: int, customers: int) -> list[str]:
    """`count` uploads through the portal, spread over `customers` customers with a link each; the bodies of
    S3's messages about them, in the order they were queued."""
    import json

    from bench import seeding
    from chalicelib.auth.tokens import issue_token
    from tests.support import events

    seeding.new_account(ACCOUNT, groups=0)
    staff = stack.api(issue_token(ACCOUNT, "bench-admin", "admin"))
    portal = stack.api()
    _expect(staff.patch("/account", {"notification_email": "kanzlei@example.com"}), 200)
    tokens = []
    for index in range(customers):
        customer = _expect(staff.post("/customers", {"name": f"Kundin {index + 1}",
                                                     "email": f"kundin{index + 1}@example.com"}), 201)
        link = _expect(staff.post(f"/customers/{customer['id']}/links", {"areas": ["general"]}), 201)
        tokens.append(link["url"].rsplit("/p/", 1)[1])
    events.take_messages(stack)  # S3's test event
    for index in range(count):
        presigned = _expect(portal.post(f"/p/{tokens[index % customers]}/uploads", {
            "filename": f"beleg-{index + 1}.pdf", "size": len(CONTENT), "content_type": "application/pdf",
            "area": "general"}), 201)
        events.post_upload(presigned, CONTENT)
    bodies = [m["Body"] for m in events.take_messages(stack)]
    records = [body for body in bodies if json.loads(body).get("Records")]
    if len(records) != count:
        raise RuntimeError(f"expected {count} S3 messages, got {len(records)}")
    return records


def _expect(reply: Any, status: int) -> Any:
    if reply.status != status:
        raise RuntimeError(f"expected {status}, got {reply}")
    return reply.json


def floor_transactions(count: int) -> list[list[dict[str, Any]]]:
    """`count` TransactItems exactly as the handler's `FileRepository.store` builds them for an upload of a
    customer already `partial` (five actions), on an account and customer of their own."""
    from bench import seeding
    from chalicelib import clock, ids
    from chalicelib.activity import repository as activity
    from chalicelib.customers.models import Customer
    from chalicelib.files.ledger import window_of
    from chalicelib.files.models import Reservation, StoredFile
    from chalicelib.files.repository import FileRepository, ReservationRepository
    from chalicelib.settings import get_settings
    from chalicelib.storage import keys
    from chalicelib.storage.dynamo import Action, Table

    class RecordingTable(Table):
        """Keeps the transactions' requests instead of sending them."""

        def __init__(self, name: str) -> None:
            super().__init__(name)
            self.recorded: list[list[dict[str, Any]]] = []

        def transact(self, actions: Any) -> None:
            self.recorded.append([action.to_request(self.name) for action in actions])

    seeding.new_account(FLOOR_ACCOUNT, groups=0)
    now = clock.now_iso()
    customer = Customer(id=ids.new_id(), number=1, name="Floor", status="partial", created_at=now, updated_at=now)
    seeding.put_in_process(seeding.customer_items(FLOOR_ACCOUNT, customer))
    table = RecordingTable(get_settings().table_name)
    repository, reservations = FileRepository(table), ReservationRepository(table)
    moment = clock.now().timestamp()
    for index in range(count):
        file_id = ids.new_id()
        record = StoredFile(
            id=file_id, customer_id=customer.id, key=f"{FLOOR_ACCOUNT}/{customer.id}/{file_id}", area="general",
            filename=f"beleg-{index + 1}.pdf", size=len(CONTENT), content_type="application/pdf",
            direction="received", state="stored", etag="0" * 32, link_id=ids.new_id(), actor="customer",
            uploaded_at=now, declared_size=len(CONTENT))
        entries: list[Action] = [activity.entry(FLOOR_ACCOUNT, customer.id, "file_received", "customer", {
            "file_id": file_id, "filename": record.filename, "area": "general", "size": record.size}, at=now)]
        reservation = Reservation(
            file_id=file_id, customer_id=customer.id, key=record.key, area="general", filename=record.filename,
            size=len(CONTENT), content_type="application/pdf", direction="received", link_id=record.link_id,
            actor="customer", created_at=now, expires_at=now, window=window_of(moment))
        # The reservation the transaction consumes (its delete is conditioned on it being there).
        seeding.put_in_process([{**keys.reservation(FLOOR_ACCOUNT, file_id), "entity": "reservation",
                                 **reservation.model_dump()}])
        repository.store(FLOOR_ACCOUNT, record, quota_bytes=10**12, customer_status="partial", new_status=None,
                         entries=entries, release=reservations.release_actions(FLOOR_ACCOUNT, reservation, now=moment))
    return table.recorded


class MotoClock:
    """Adds up the time moto spends answering requests in this process (its in-process backends)."""

    def __init__(self) -> None:
        self.seconds = 0.0

    @contextlib.contextmanager
    def running(self) -> Iterator[MotoClock]:
        from moto.core.botocore_stubber import BotocoreStubber

        original = BotocoreStubber.process_request

        def process_request(stub: Any, request: Any) -> Any:
            started = time.perf_counter()
            try:
                return original(stub, request)
            finally:
                self.seconds += time.perf_counter() - started

        BotocoreStubber.process_request = process_request  # type: ignore[method-assign]
        try:
            yield self
        finally:
            BotocoreStubber.process_request = original  # type: ignore[method-assign]


def measure(stack: Any, count: int, customers: int) -> tuple[list[Figure], dict[str, Any]]:
    from chalicelib import aws
    from tests.support import events

    bodies = upload_messages(stack, count, customers)
    floor = floor_transactions(count)
    client = aws.client("dynamodb")
    handler_seconds = floor_seconds = 0.0
    handler_moto, floor_moto = MotoClock(), MotoClock()
    cost = Cost()

    def handle(batch: list[str]) -> float:
        nonlocal cost
        with dynamodb_cost() as batch_cost, handler_moto.running():
            started = time.perf_counter()
            reply = events.deliver(stack.application, batch)
            seconds = time.perf_counter() - started
        if reply.get("batchItemFailures"):
            raise RuntimeError(f"the handler failed events: {reply}")
        cost = cost + batch_cost
        return seconds

    def transact(transactions: list[list[dict[str, Any]]]) -> float:
        with floor_moto.running():
            started = time.perf_counter()
            for items in transactions:
                client.transact_write_items(TransactItems=items)
            return time.perf_counter() - started

    for round_number, start in enumerate(range(0, count, BATCH)):
        batch, floor_batch = bodies[start:start + BATCH], floor[start:start + BATCH]
        # Taking turns to go first, so that neither always pays for what the other left behind (garbage).
        if round_number % 2 == 0:
            handler_seconds += handle(batch)
            floor_seconds += transact(floor_batch)
        else:
            floor_seconds += transact(floor_batch)
            handler_seconds += handle(batch)
    stored = _stored_files(count)

    per_event = handler_seconds / count
    per_floor = floor_seconds / count
    ratio = per_event / per_floor
    transactions = cost.calls["TransactWriteItems"] / count
    reads = sum(cost.calls[op] for op in ("GetItem", "BatchGetItem", "Query", "Scan", "TransactGetItems")) / count
    figures = [
        Figure(name=f"Upload events handled, {count} in batches of {BATCH}: time per event / floor",
               value=round(ratio, 2), unit="x", goal=f"<= {RATIO_GOAL:g}", ok=ratio <= RATIO_GOAL, timed=True,
               details=(f"{1 / per_event:,.0f} events/s against {1 / per_floor:,.0f} bare 8-action transactions/s "
                        f"on this machine; per event {per_event * 1000:.1f} ms, of which moto "
                        f"{handler_moto.seconds / count * 1000:.1f} ms (floor {per_floor * 1000:.1f} ms, moto "
                        f"{floor_moto.seconds / count * 1000:.1f} ms); {stored} files recorded")),
        Figure(name="Upload events: DynamoDB calls per handled event", value=round(cost.total_calls / count, 2),
               unit="calls", goal="1 transaction + <= 1 read",
               ok=transactions == 1 and reads <= 1 and cost.total_calls == count * (transactions + reads),
               details=f"{cost.describe()} for {count} events; {cost.read / count:.1f} items read and "
                       f"{cost.written / count:.1f} written per event"),
    ]
    return figures, {"events": count, "customers": customers, "batch": BATCH}


def _stored_files(count: int) -> int:
    from chalicelib.files.repository import FileRepository

    stored = sum(1 for item in FileRepository().all_items(ACCOUNT) if item.get("state") == "stored")
    if stored != count:
        raise RuntimeError(f"{count} uploads handled, but {stored} files recorded")
    return stored


def run(quick: bool = False) -> dict[str, Any]:
    from bench.stack import in_process_stack

    plan = QUICK if quick else FULL
    with in_process_stack() as stack:
        figures, settings = measure(stack, plan["events"], plan["customers"])
    return part("Event throughput", {"quick": quick, **settings}, figures)
