"""DynamoDB cost per API operation and per handled S3 event: calls, items read, items written.

The app runs in-process against moto (`bench/stack.py`) and is driven like its users drive it: staff
through the HTTP API (tests/support/api.py, the local gateway), the customer through the portal API and
a browser-style POST to S3, the events through the SQS handler. Each operation is counted on the app's
DynamoDB client (`bench/counting.py`).

The account is an ordinary one: three groups, eight attributes (two of them upload areas), 120 customers
already, and the customer the operations work on has an e-mail address, a company, a group and values.

Budgets:
- a single-item operation (one customer, link, file or upload: create, get, change, delete) makes at most
  3 DynamoDB calls, each one a round trip the user waits for;
- a page of the customer list makes at most 3 calls and reads at most the page plus the account's own
  partition (the account item with its groups and attributes), whatever the number of customers;
- a handled upload or delete event is one transaction and at most one read (a BatchGetItem).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bench.counting import Cost, dynamodb_cost
from bench.report import Figure, part

SINGLE_ITEM_CALLS = 3
LIST_CALLS = 3
PAGE = 50
EXISTING_CUSTOMERS = 120


def _figure(name: str, cost: Cost, goal: str, ok: bool, note: str = "") -> Figure:
    details = f"{cost.describe()}; {cost.read} items read, {cost.written} written"
    return Figure(name=name, value=cost.total_calls, unit="calls", goal=goal, ok=ok,
                  details=f"{details}; {note}" if note else details)


def _single(name: str, cost: Cost, note: str = "") -> Figure:
    return _figure(name, cost, f"<= {SINGLE_ITEM_CALLS} calls", cost.total_calls <= SINGLE_ITEM_CALLS, note)


def _event(name: str, cost: Cost, events: int = 1) -> Figure:
    transactions = cost.calls["TransactWriteItems"]
    reads = sum(cost.calls[op] for op in ("GetItem", "BatchGetItem", "Query", "Scan", "TransactGetItems"))
    others = cost.total_calls - transactions - reads
    ok = transactions == events and reads <= events and others == 0
    return _figure(name, cost, "1 transaction, <= 1 read", ok)


class Session:
    """One account and its admin's and a customer's clients, with a counter."""

    def __init__(self, stack: Any) -> None:
        from bench import seeding
        from chalicelib.auth.tokens import issue_token

        self.stack = stack
        self.account_id = "bench-cost"
        seeding.new_account(self.account_id, groups=0)
        self.staff = stack.api(issue_token(self.account_id, "bench-admin", "admin"))
        self.portal = stack.api()

    def expect(self, reply: Any, status: int) -> Any:
        if reply.status != status:
            raise RuntimeError(f"expected {status}, got {reply}")
        return reply.json

    def counted(self, action: Callable[[], Any], status: int) -> tuple[Any, Cost]:
        with dynamodb_cost() as cost:
            reply = action()
        return self.expect(reply, status), cost


def _setup(session: Session) -> dict[str, Any]:
    from bench import seeding

    staff = session.staff
    session.expect(staff.patch("/account", {"notification_email": "kanzlei@example.com",
                                            "branding": {"company_name": "Kanzlei Beispiel"}}), 200)
    groups = [session.expect(staff.post("/groups", {"name": name}), 201)["id"]
              for name in ("Mandanten", "Interessenten", "Archiv")]
    attributes = {}
    for name, kind in (("Steuernummer", "text"), ("Geburtsdatum", "date"), ("Kinder", "number"),
                       ("Familienstand", "select"), ("Kirchensteuer", "boolean"), ("Bemerkung", "multiline_text"),
                       ("Lohnsteuerbescheinigung", "file"), ("Belege", "file")):
        body: dict[str, Any] = {"name": name, "type": kind}
        if kind == "select":
            body["options"] = ["ledig", "verheiratet"]
        attributes[name] = session.expect(staff.post("/attributes", body), 201)["id"]
    # Customers who are already there (the list's page is full), stored as the repository stores them.
    seeding.seed_customers(session.account_id, EXISTING_CUSTOMERS, groups)
    return {"groups": groups, "attributes": attributes}


def account_partition_size(account_id: str) -> int:
    from chalicelib.storage import keys
    from chalicelib.storage.tables import main_table

    return sum(1 for _ in main_table().query_all(keys.account_partition(account_id)))


def measure(stack: Any) -> list[Figure]:
    from tests.support import events

    session = Session(stack)
    setup = _setup(session)
    staff, portal = session.staff, session.portal
    attributes = setup["attributes"]
    figures: list[Figure] = []

    customer, cost = session.counted(lambda: staff.post("/customers", {
        "name": "Anna Schmidt", "email": "anna.schmidt@example.com", "company": "Schmidt Immobilien GmbH",
        "phone": "+49 30 1234567", "groups": [setup["groups"][0]],
        "attributes": {attributes["Steuernummer"]: "21/815/08150", attributes["Kinder"]: 2}}), 201)
    figures.append(_single("Create customer", cost, "the index entries for search are most of the writes"))
    path = f"/customers/{customer['id']}"

    _, cost = session.counted(lambda: staff.get(path), 200)
    figures.append(_single("Get customer", cost))
    _, cost = session.counted(lambda: staff.patch(path, {"phone": "+49 30 7654321"}), 200)
    figures.append(_single("Update customer (phone)", cost))
    _, cost = session.counted(lambda: staff.patch(path, {"name": "Anna Schmidt-Weber"}), 200)
    figures.append(_single("Update customer (name: search index entries change)", cost))

    partition = account_partition_size(session.account_id)
    page, cost = session.counted(lambda: staff.get(f"/customers?limit={PAGE}"), 200)
    assert len(page["items"]) == PAGE, page
    bound = PAGE + partition
    figures.append(_figure(f"List customers (page of {PAGE})", cost,
                           f"<= {LIST_CALLS} calls, <= {bound} items read",
                           cost.total_calls <= LIST_CALLS and cost.read <= bound,
                           f"the account partition holds {partition} items"))

    link, cost = session.counted(lambda: staff.post(f"{path}/links", {
        "areas": ["general", attributes["Lohnsteuerbescheinigung"]],
        "attributes": [attributes["Steuernummer"], attributes["Familienstand"]]}), 201)
    figures.append(_single("Create link", cost))
    token = link["url"].rsplit("/p/", 1)[1]

    _, cost = session.counted(lambda: portal.get(f"/p/{token}/context"), 200)
    figures.append(_single("Portal context (GET /p/{token}/context)", cost))

    content = b"%PDF-1.7 Lohnsteuerbescheinigung 2025 " + b"x" * 2000
    presigned, cost = session.counted(lambda: portal.post(f"/p/{token}/uploads", {
        "filename": "lohnsteuer.pdf", "size": len(content), "content_type": "application/pdf",
        "area": attributes["Lohnsteuerbescheinigung"]}), 201)
    figures.append(_single("Presign an upload (portal)", cost))

    events.take_messages(stack)  # earlier notifications (the bucket's test event)
    events.post_upload(presigned, content)
    bodies = [m["Body"] for m in events.take_messages(stack)]
    with dynamodb_cost() as cost:
        reply = events.deliver(stack.application, bodies)
    if reply.get("batchItemFailures"):
        raise RuntimeError(f"the upload event failed: {reply}")
    figures.append(_event("Handled upload event", cost))

    files = session.expect(staff.get(f"{path}/files"), 200)["items"]
    assert [f["id"] for f in files] == [presigned["file_id"]], files
    _, cost = session.counted(lambda: staff.delete(f"{path}/files/{presigned['file_id']}"), 204)
    figures.append(_single("Delete a file (staff)", cost))
    bodies = [m["Body"] for m in events.take_messages(stack)]
    with dynamodb_cost() as cost:
        reply = events.deliver(stack.application, bodies)
    if reply.get("batchItemFailures") or not bodies:
        raise RuntimeError(f"the delete event failed or did not come: {reply}")
    figures.append(_event("Handled delete event", cost))

    # The customer has a link, activity, index entries and a group; one more stored file.
    second = session.expect(portal.post(f"/p/{token}/uploads", {
        "filename": "beleg.pdf", "size": len(content), "content_type": "application/pdf", "area": "general"}), 201)
    events.post_upload(second, content)
    events.deliver(stack.application, [m["Body"] for m in events.take_messages(stack)])
    _, cost = session.counted(lambda: staff.delete(path), 202)
    figures.append(_single("Delete customer (with a link, a file, activity)", cost,
                           "the request flags the customer and queues the deletion job"))
    from tests.support import jobs

    [body] = jobs.take_job_messages(stack)
    with dynamodb_cost() as cost:
        reply = jobs.deliver_job(stack.application, body)
    if reply.get("batchItemFailures"):
        raise RuntimeError(f"the deletion job failed: {reply}")
    figures.append(Figure(
        name="Deletion job (background): customer with a link, a file, activity", value=cost.total_calls,
        unit="calls", goal="in the background; grows with what the customer has", ok=None,
        details=f"{cost.describe()}; {cost.read} items read, {cost.written} written; revokes the links, deletes "
                "the files' objects and every item of the customer"))
    return figures


def run(quick: bool = False) -> dict[str, Any]:
    from bench.stack import in_process_stack

    with in_process_stack() as stack:
        figures = measure(stack)
    return part("DynamoDB cost per operation", {"quick": quick, "existing customers": EXISTING_CUSTOMERS,
                                                "list page": PAGE}, figures)
