"""Registers of many customers, written fast: the items the repositories write, put straight into moto.

Creating 10,000 customers through the API would cost minutes of moto transactions, and seeding is not what
is measured. So the items are built with the repositories' own functions (`customer_to_item`, the search
index's `terms`/`index_keys`, `keys.membership`/`keys.search_term`) and stored directly in moto's
in-process table, without a request. `check_fidelity` compares them with what the API writes for the same
customer, so the seed cannot drift from the product.

Left out: each customer's `customer_created` activity entry (it lives in the activity partition, which
neither a search nor an export reads).
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

FIRST_NAMES = (
    "Anna Maria Ursula Monika Petra Elisabeth Sabine Renate Helga Karin Brigitte Ingrid Erika Andrea Gisela "
    "Claudia Susanne Gabriele Christa Christine Hildegard Birgit Julia Barbara Stefanie Katharina Sandra Nicole "
    "Peter Michael Thomas Andreas Wolfgang Klaus Jürgen Günter Stefan Christian Uwe Werner Horst Frank Dieter "
    "Manfred Gerhard Hans Bernd Torsten Markus Matthias Alexander Martin Jörg Jan Tobias Lukas Felix Jonas Paul"
).split()
LAST_NAMES = (
    "Müller Schmidt Schneider Fischer Weber Meyer Wagner Becker Schulz Hoffmann Schäfer Koch Bauer Richter Klein "
    "Wolf Schröder Neumann Schwarz Zimmermann Braun Krüger Hofmann Hartmann Lange Schmitt Werner Schmitz Krause "
    "Meier Lehmann Schmid Schulze Maier Köhler Herrmann König Walter Mayer Huber Kaiser Fuchs Peters Lang Scholz "
    "Möller Weiß Jung Hahn Schubert Vogel Friedrich Keller Günther Frank Berger Winkler Roth Beck Lorenz Baumann "
    "Franke Albrecht Schuster Simon Ludwig Böhm Winter Kraus Martin Schumacher Krämer Vogt Stein Jäger Otto Sommer"
).split()
MAIL_DOMAINS = ("gmail.com", "web.de", "gmx.de", "t-online.de", "outlook.de", "posteo.de", "icloud.com")
COMPANY_KINDS = ("GmbH", "KG", "GmbH & Co. KG", "Steuerberatung", "Immobilien GmbH", "und Partner")

#: One customer per register is named so that nobody else's terms start with its surname's.
UNIQUE_NAME = ("Wilhelmine", "Quastenberg")


@dataclass
class Register:
    account_id: str
    customers: int
    group_ids: list[str]
    unique_customer_id: str


def customer_id_for(number: int) -> str:
    """28 hex digits, time-ordered like `ids.new_id()` (creation order is number order)."""
    return f"{number:012x}{number:016x}"


def person(number: int, rng: random.Random) -> dict[str, Any]:
    """Name, e-mail and company of customer `number`, like a German client list."""
    first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
    plain = f"{first}.{last}".lower().translate(str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss"}))
    company = f"{rng.choice(LAST_NAMES)} {rng.choice(COMPANY_KINDS)}" if rng.random() < 0.3 else None
    return {"name": f"{first} {last}", "email": f"{plain}{number}@{rng.choice(MAIL_DOMAINS)}", "company": company}


def index_keys_for(name: str, company: str | None, email: str | None) -> list[str]:
    """The search index entries the customers service writes for these fields."""
    from chalicelib.customers import search

    return search.index_keys(search.terms(name, company, email))


def customer_items(account_id: str, customer: Any) -> list[dict[str, Any]]:
    """Every item the customer repository's `create` stores for `customer` (activity aside)."""
    from chalicelib.customers.repository import customer_to_item, membership_put, search_put

    index = index_keys_for(customer.name, customer.company, customer.email)
    items = [customer_to_item(account_id, customer, index)]
    items += [dict(membership_put(account_id, group, customer.id).item) for group in customer.groups]
    items += [dict(search_put(account_id, term, customer.id).item) for term in index]
    return items


def put_in_process(items: Iterable[dict[str, Any]]) -> int:
    """Store items straight in moto's in-process table (no request); how many."""
    from bench.moto_speed import store_items
    from chalicelib.settings import get_settings

    settings = get_settings()
    return store_items(settings.table_name, settings.region, items)


def new_account(account_id: str, groups: int = 3) -> list[str]:
    """A `team` account with `groups` groups, through the accounts service; the group ids."""
    from chalicelib import clock
    from chalicelib.accounts.service import create_account
    from chalicelib.groups.models import Group
    from chalicelib.groups.repository import group_to_item

    create_account(account_id, name=f"Bench {account_id}", plan="team")
    now = clock.now_iso()
    made = [Group(id=f"{index + 1:012x}{0:016x}", name=f"Gruppe {index + 1}", created_at=now, updated_at=now)
            for index in range(groups)]
    put_in_process(group_to_item(account_id, group) for group in made)
    return [group.id for group in made]


def customers(account_id: str, count: int, group_ids: list[str], seed: int = 7) -> Iterator[Any]:
    """`count` customers (the unique one in the middle), each in one group."""
    from chalicelib import clock
    from chalicelib.customers.models import Customer

    rng = random.Random(seed)
    now = clock.now_iso()
    middle = max(1, count // 2)
    for number in range(1, count + 1):
        fields = person(number, rng)
        if number == middle:
            fields = {"name": " ".join(UNIQUE_NAME), "email": f"w.quastenberg{number}@web.de", "company": None}
        yield Customer(id=customer_id_for(number), number=number, status=("open", "partial", "complete")[number % 3],
                       groups=[group_ids[number % len(group_ids)]] if group_ids else [], created_at=now,
                       updated_at=now, **fields)


def seed_customers(account_id: str, count: int, group_ids: list[str]) -> str:
    """`count` customers with their index entries and memberships, counted on the account; the id of the
    one with the unique name."""
    from chalicelib.storage import keys
    from chalicelib.storage.tables import main_table

    unique = ""
    batch: list[dict[str, Any]] = []
    for customer in customers(account_id, count, group_ids):
        if customer.name == " ".join(UNIQUE_NAME):
            unique = customer.id
        batch += customer_items(account_id, customer)
    put_in_process(batch)
    main_table().update(keys.account(account_id), "SET customers_count = :n, customer_seq = :n",
                        values={":n": count})
    return unique


def seed_register(account_id: str, count: int) -> Register:
    """An account with three groups and `count` customers, in moto's in-process table."""
    group_ids = new_account(account_id)
    unique = seed_customers(account_id, count, group_ids)
    return Register(account_id, count, group_ids, unique)


def check_fidelity(api: Any, account_id: str) -> None:
    """The seed's items for a customer are the ones the API stores for it: the same keys and the same index
    entries (raises if not). `api` holds an admin token of `account_id`."""
    from chalicelib.customers.repository import CustomerRepository, customer_from_item
    from chalicelib.storage.dynamo import deserialize, serialize
    from chalicelib.storage.tables import main_table

    created = api.post("/customers", {"name": "Jürgen Groß-Übel", "email": "J.Gross@Example.com",
                                      "company": "Übel & Söhne KG", "groups": []})
    if created.status != 201:
        raise RuntimeError(f"creating a customer through the API failed: {created}")
    stored = CustomerRepository().get_item(account_id, created.json["id"])
    if stored is None:
        raise RuntimeError("the customer the API created is not where the seed puts customers")
    # As DynamoDB stores them: no None values, numbers as Decimal and back.
    seeded = [deserialize(serialize(item)) for item in customer_items(account_id, customer_from_item(stored))]
    if seeded[0] != stored:
        differing = sorted(k for k in set(seeded[0]) | set(stored) if seeded[0].get(k) != stored.get(k))
        raise RuntimeError(f"the seed's customer item differs from the API's in {differing}")
    for entry in seeded[1:]:
        if main_table().get({"pk": entry["pk"], "sk": entry["sk"]}) != entry:
            raise RuntimeError(f"the API stored no such item as the seed's {entry}")
