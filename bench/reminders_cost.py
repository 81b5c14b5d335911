"""Reminder run cost: DynamoDB calls and items read by one hourly `send_reminders` run, at 100 and 10,000 due
links, and at 100 due among 10,000 that are not due yet.

Each case is a table of its own (a fresh in-process moto), seeded with the items the repositories write
(`customer_to_item`, `link_to_item`, which carries the sparse `REMINDERS` index entry while a reminder is
planned): 100 links to customers with an e-mail address per account (mail limits are per account and hour),
their reminder due a minute ago, or (the not-due ones) in a month. Then one run, as the hourly function does,
counted on the app's DynamoDB client; it mails every reminder it sends (moto's SES).

A run handles at most `REMINDERS_PER_RUN` (1,000) due reminders (the next hourly run takes the rest), so at
10,000 due it handles 1,000. Goals: the run reads the index only where reminders are due, so the items read
per handled reminder stay the same whether 100 or 10,000 are due (ratio <= 1.1), and 10,000 links that are not
due cost nothing (items read with them / without them <= 1.0); each handled reminder costs at most
`PER_REMINDER` items read and calls.
"""

from __future__ import annotations

import datetime
from typing import Any

from bench.counting import Cost, dynamodb_cost
from bench.report import Figure, part

FULL = {"many": 10_000}
QUICK = {"many": 500}
FEW = 100
PER_ACCOUNT = 100
#: Ceiling per handled reminder: its index entry, the link, the customer, the suppression check, the account
#: partition (once per account, 100 reminders), rounded up.
PER_REMINDER = {"items": 5, "calls": 7}


def seed(due: int, not_due: int) -> None:
    """`due` links whose reminder is due, `not_due` whose reminder is a month away, 100 to an account."""
    from bench import seeding
    from chalicelib import clock, ids
    from chalicelib.customers.models import Customer
    from chalicelib.customers.repository import customer_to_item
    from chalicelib.links.models import Link, LinkReminders, StoredItem
    from chalicelib.links.repository import link_to_item

    now = clock.now()
    items: list[dict[str, Any]] = []
    for number in range(due + not_due):
        account_id = f"bench-remind-{number // PER_ACCOUNT}"
        if number % PER_ACCOUNT == 0:
            seeding.new_account(account_id, groups=1)
        next_at = now - datetime.timedelta(minutes=1) if number < due else now + datetime.timedelta(days=30)
        due_at = next_at + datetime.timedelta(days=2)
        customer = Customer(id=seeding.customer_id_for(number + 1), number=number + 1, name=f"Kunde {number}",
                            email=f"kunde{number}@example.com", status="open", created_at=clock.iso(now),
                            updated_at=clock.iso(now))
        items.append(customer_to_item(account_id, customer, []))
        link = Link(id=ids.new_id(), customer_id=customer.id, token_hash="0" * 64, areas=["general"], attributes=[],
                    expires_at=clock.iso(due_at + datetime.timedelta(days=7)), created_at=clock.iso(now),
                    created_by="bench", items={"general": StoredItem(kind="area", required=True)}, status="open",
                    due_at=clock.iso(due_at), reminders=LinkReminders(enabled=True, before_due_days=[2],
                                                                      every_days_after=3, next_at=clock.iso(next_at)))
        items.append(link_to_item(account_id, link))
    seeding.put_in_process(items)


def one_run(due: int, not_due: int) -> tuple[Cost, dict[str, int]]:
    from bench.stack import in_process_stack

    with in_process_stack():
        seed(due, not_due)
        from chalicelib.links.service import send_due_reminders

        with dynamodb_cost() as cost:
            run = send_due_reminders()
    outcome = vars(run)
    if outcome["sent"] != min(due, 1000) or outcome["failed"]:
        raise RuntimeError(f"the run did not send every due reminder it could: {outcome}")
    return cost, outcome


def measure(many: int) -> list[Figure]:
    cases = {"few": (FEW, 0), "many": (many, 0), "few among many": (FEW, many)}
    costs = {label: one_run(*sizes) for label, sizes in cases.items()}
    figures = []
    for label, (due, not_due) in cases.items():
        cost, outcome = costs[label]
        handled = outcome["sent"]
        name = (f"Reminder run, {due:,} due links" + (f" among {not_due:,} not due" if not_due else "")
                + (f" (a run handles {handled:,})" if handled < due else ""))
        figures.append(Figure(
            name=name, value=cost.read, unit="items read",
            goal=f"<= {PER_REMINDER['items']} items and {PER_REMINDER['calls']} calls per reminder",
            ok=cost.read <= PER_REMINDER["items"] * handled and cost.total_calls <= PER_REMINDER["calls"] * handled,
            details=f"{cost.read / handled:.2f} items and {cost.total_calls / handled:.2f} calls per reminder; "
                    f"{cost.describe()}; {cost.written} items written; {outcome}"))
    few, _ = costs["few"]
    lots, lots_outcome = costs["many"]
    per_few, per_many = few.read / FEW, lots.read / lots_outcome["sent"]
    figures.append(Figure(
        name=f"Reminder run: items read per reminder at {many:,} / at {FEW} due", value=round(per_many / per_few, 2),
        unit="x", goal="<= 1.1 (grows with the reminders handled, not the table)", ok=per_many <= 1.1 * per_few,
        details=f"{per_few:.2f} and {per_many:.2f} items per reminder"))
    among, _ = costs["few among many"]
    figures.append(Figure(
        name=f"Reminder run: items read with {many:,} links not due / without", value=round(among.read / few.read, 2),
        unit="x", goal="<= 1.0 (links not due are not read)", ok=among.read <= few.read,
        details=f"{few.read} and {among.read} items; {few.total_calls} and {among.total_calls} calls"))
    return figures


def run(quick: bool = False) -> dict[str, Any]:
    plan = QUICK if quick else FULL
    return part("Reminder run cost", {"quick": quick, "due links": f"{FEW} and {plan['many']:,}",
                                      "links per account": PER_ACCOUNT}, measure(plan["many"]))
