"""What a search costs: the items it reads from DynamoDB must not grow with the account.

moto's consumed-capacity figures are constants, so the items are counted on the app's own DynamoDB client
with a botocore hook: every item a call returns or scans (Query: ScannedCount, GetItem: 1, BatchGetItem:
every response item).
"""

from __future__ import annotations

import contextlib
import secrets
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import pytest

from chalicelib import aws
from tests.support.api import ApiClient


@contextlib.contextmanager
def counting_reads() -> Iterator[dict[str, int]]:
    """Count the DynamoDB calls and items read while the block runs."""
    counts = {"calls": 0, "items": 0}

    def count(parsed: dict[str, Any], model: Any, **_: Any) -> None:
        from chalicelib.api.auth import authorizing

        if authorizing.get():
            return  # the authorizer's team read: on AWS once per token and minute (API Gateway caches it)
        counts["calls"] += 1
        if model.name in ("Query", "Scan"):
            counts["items"] += int(parsed.get("ScannedCount", parsed.get("Count", 0)))
        elif model.name == "GetItem":
            counts["items"] += 1 if parsed.get("Item") else 0
        elif model.name == "BatchGetItem":
            counts["items"] += sum(len(items) for items in parsed.get("Responses", {}).values())

    events = aws.client("dynamodb").meta.events
    events.register("after-call.dynamodb", count, unique_id="count-search-reads")
    try:
        yield counts
    finally:
        events.unregister("after-call.dynamodb", unique_id="count-search-reads")


def account_with(application: Any, customers: int) -> tuple[ApiClient, str]:
    """A team account with `customers` German-looking customers, one of them Wilhelmine Quastenberg: a client
    and her e-mail address. The register is seeded with the items the customers repository writes
    (bench/seeding.py: moto's transactions would take minutes), checked against what the API stores."""
    from bench import seeding
    from chalicelib.auth.tokens import issue_token

    account_id = f"cost-{secrets.token_hex(6)}"
    register = seeding.seed_register(account_id, customers)
    client = ApiClient(application.app, token=issue_token(account_id, "admin-user", "admin"))
    seeding.check_fidelity(client, account_id)
    unique = client.get(f"/customers/{register.unique_customer_id}").json
    assert unique["name"] == "Wilhelmine Quastenberg"
    return client, unique["email"]


@pytest.fixture(scope="module")
def small(application) -> tuple[ApiClient, str]:
    return account_with(application, 30)


@pytest.fixture(scope="module")
def large(application) -> tuple[ApiClient, str]:
    return account_with(application, 300)


def reads_of(client: ApiClient, path: str) -> dict[str, int]:
    with counting_reads() as counts:
        reply = client.get(path)
    assert reply.status == 200, reply
    assert [c["name"] for c in reply.json["items"]] == ["Wilhelmine Quastenberg"], path
    return counts


@pytest.mark.parametrize("query", ["quastenberg", "Quastenberg", "quast", "wilhelmine quastenberg",
                                   "QUASTENBERG wil", "{email}"])
def test_a_search_that_matches_one_customer_reads_the_same_at_30_and_300_customers(small, large, query) -> None:
    (small_client, small_email), (large_client, large_email) = small, large
    at_30 = reads_of(small_client, "/customers?q=" + quote(query.format(email=small_email)))
    at_300 = reads_of(large_client, "/customers?q=" + quote(query.format(email=large_email)))
    assert at_30 == at_300
    # The account partition (the account and its three groups), one index entry and the customer it points at.
    assert at_300 == {"calls": 3, "items": 6}


def test_a_page_of_the_list_reads_one_page_not_the_account(small, large) -> None:
    with counting_reads() as at_300:
        reply = large[0].get("/customers?limit=10")
    assert reply.status == 200 and len(reply.json["items"]) == 10
    with counting_reads() as at_30:
        small[0].get("/customers?limit=10")
    assert at_30 == at_300
    assert at_300["items"] == 4 + 10
