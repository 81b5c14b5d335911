"""Search cost at 100, 1,000 and 10,000 customers: DynamoDB calls and items read per search request.

Each register is an account of its own in one table, seeded with the items the customers repository
writes (`bench/seeding.py`): customers with German names, e-mail addresses and (three in ten) companies,
and every search index entry of theirs, about 40 per customer. Then `GET /customers?q=...&limit=50`:

- a surname only one customer has: one index entry, one customer;
- a common prefix (`sch`: Schmidt, Schneider, Schulz, ...): a full page of candidates, all matching;
- a first name and a common surname (`anna müller`): the index gives every Müller, the first name filters
  them; the service examines at most `limit` x its examine factor candidates before it answers with a
  cursor, so even this cost has a ceiling that does not depend on the register.

Goals: the unique name costs the same at every size (items read at the largest size / at the smallest
<= 1); every search stays within the ceiling the page sets: calls <= 1 + 2 x pages examined, items read
<= the account partition + 2 x candidates examined (an index entry and a customer each).
"""

from __future__ import annotations

import time
from typing import Any

from bench.counting import Cost, dynamodb_cost
from bench.report import Figure, part

FULL = {"sizes": (100, 1_000, 10_000)}
QUICK = {"sizes": (100, 1_000)}
LIMIT = 50
QUERIES = (
    ("unique surname", "Quastenberg"),
    ("common prefix", "sch"),
    ("first name and common surname", "anna müller"),
)


def ceiling(partition_items: int, limit: int = LIMIT) -> tuple[int, int]:
    """(calls, items read) a search request may cost at most: the account partition, then up to the examine
    budget of candidates in pages of `limit`, each page a Query and a BatchGetItem."""
    from chalicelib.customers.service import _EXAMINE_FACTOR

    budget = max(limit * _EXAMINE_FACTOR, 100)
    pages = -(-budget // limit)
    return 1 + 2 * pages, partition_items + 2 * pages * limit


def search(api: Any, query: str) -> tuple[list[dict[str, Any]], Cost]:
    from urllib.parse import quote

    with dynamodb_cost() as cost:
        reply = api.get(f"/customers?q={quote(query)}&limit={LIMIT}")
    if reply.status != 200:
        raise RuntimeError(f"search for {query!r} failed: {reply}")
    return reply.json["items"], cost


def measure(stack: Any, sizes: tuple[int, ...]) -> tuple[list[Figure], dict[str, Any]]:
    from bench import seeding
    from bench.dynamo_cost import account_partition_size
    from chalicelib.auth.tokens import issue_token

    # The seed writes what the API writes (checked before the registers go in: a transaction on a table
    # of half a million items would cost moto minutes).
    seeding.new_account("bench-fidelity")
    seeding.check_fidelity(stack.api(issue_token("bench-fidelity", "bench-admin", "admin")), "bench-fidelity")

    costs: dict[tuple[str, int], tuple[Cost, int]] = {}
    seeded = {}
    partition = 0
    for size in sizes:
        started = time.perf_counter()
        register = seeding.seed_register(f"bench-search-{size}", size)
        seeded[size] = round(time.perf_counter() - started, 1)
        api = stack.api(issue_token(register.account_id, "bench-admin", "admin"))
        partition = account_partition_size(register.account_id)
        for label, query in QUERIES:
            found, cost = search(api, query)
            if label == "unique surname" and [c["id"] for c in found] != [register.unique_customer_id]:
                raise RuntimeError(f"the unique customer was not found alone: {found}")
            costs[(label, size)] = (cost, len(found))

    max_calls, max_read = ceiling(partition)
    figures = []
    for label, query in QUERIES:
        for size in sizes:
            cost, found = costs[(label, size)]
            figures.append(Figure(
                name=f"Search, {label} ('{query}'), {size:,} customers", value=cost.read, unit="items read",
                goal=f"<= {max_read} items, <= {max_calls} calls",
                ok=cost.read <= max_read and cost.total_calls <= max_calls,
                details=f"{cost.describe()}; {found} found"))
    smallest, largest = sizes[0], sizes[-1]
    unique_small = costs[("unique surname", smallest)][0]
    unique_large = costs[("unique surname", largest)][0]
    ratio = unique_large.read / unique_small.read
    figures.append(Figure(
        name=f"Search, unique surname: items read at {largest:,} / at {smallest:,} customers", value=round(ratio, 2),
        unit="x", goal="<= 1 (independent of the register)",
        ok=ratio <= 1 and unique_large.total_calls <= unique_small.total_calls,
        details=f"{unique_small.read} and {unique_large.read} items, {unique_small.total_calls} and "
                f"{unique_large.total_calls} calls"))
    return figures, {"seeding seconds": seeded, "account partition items": partition}


def run(quick: bool = False) -> dict[str, Any]:
    from bench.stack import in_process_stack

    plan = QUICK if quick else FULL
    with in_process_stack() as stack:
        figures, facts = measure(stack, plan["sizes"])
    return part("Search cost", {"quick": quick, "sizes": ", ".join(f"{s:,}" for s in plan["sizes"]),
                                "limit": LIMIT, **facts}, figures)
