"""The all-customers table: its columns and one row of typed cells per customer.

Cells are plain Python values (str, int, float, bool, date, datetime, None); each writer turns them into
its format's typed cells. Column headers are German, like the rest of what end users read; the customer
attributes follow the fixed columns, one column each, headed by the attribute's name.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any, Literal

from chalicelib import clock
from chalicelib.accounts.service import AccountPartition
from chalicelib.attributes.models import Attribute
from chalicelib.customers.models import Customer

CellKind = Literal["text", "integer", "decimal", "boolean", "date", "datetime"]

#: What a spreadsheet may read as the start of a formula (OWASP CSV injection: = + - @ tab CR; LF as well).
FORMULA_TRIGGERS = frozenset("=+-@\t\r\n")

STATUS_LABELS = {"open": "Offen", "partial": "Teilweise", "complete": "Vollständig"}
#: A signature field's cell: this and when it was signed (the image is in the customer's ZIP export).
SIGNED_LABEL = "Unterschrieben"

_FIXED_COLUMNS: tuple[tuple[str, CellKind], ...] = (
    ("Kundennummer", "integer"),
    ("Name", "text"),
    ("E-Mail", "text"),
    ("Firma", "text"),
    ("Telefon", "text"),
    ("Status", "text"),
    ("Gruppen", "text"),
    ("Notizen", "text"),
    ("Angelegt (UTC)", "datetime"),
    ("Geändert (UTC)", "datetime"),
    ("Dateien", "integer"),
    ("Bytes", "integer"),
    ("Letzter Upload (UTC)", "datetime"),
)

_KIND_OF_TYPE: dict[str, CellKind] = {
    "text": "text", "multiline_text": "text", "select": "text", "boolean": "boolean", "number": "integer",
    "decimal": "decimal", "date": "date", "time": "text", "signature": "text", "file": "integer",
}


def starts_like_formula(text: str) -> bool:
    return bool(text) and text[0] in FORMULA_TRIGGERS


@dataclass(frozen=True)
class Column:
    header: str
    kind: CellKind


def unique_names(names: Iterable[str], taken: Iterable[str] = ()) -> list[str]:
    """The names in order, each made unique (case-insensitively) by a ` (2)`, ` (3)`, ... suffix."""
    used = {name.casefold() for name in taken}
    result = []
    for name in names:
        candidate, number = name, 2
        while candidate.casefold() in used:
            candidate, number = f"{name} ({number})", number + 1
        used.add(candidate.casefold())
        result.append(candidate)
    return result


def customer_attributes(partition: AccountPartition) -> list[Attribute]:
    """The account's customer attributes in the order they were defined (info attributes hold no value)."""
    found = [a for a in partition.attributes.values() if a.scope == "customer" and a.type != "info"]
    return sorted(found, key=lambda a: (a.created_at, a.id))


def timestamp(text: str | None) -> datetime.datetime | None:
    """A stored ISO time as a naive UTC datetime (spreadsheets have no time zones; the headers say UTC)."""
    return clock.parse(text).replace(tzinfo=None) if text else None


def attribute_cell(attribute: Attribute, customer: Customer) -> Any:
    """The typed value of one attribute of a stored customer. Upload areas (file attributes) count the
    customer's files in the area. A stored value that does not fit the type (older data) stays text."""
    if attribute.type == "file":
        return int(customer.area_counts.get(attribute.id, 0) or 0)
    value = customer.attributes.get(attribute.id)
    if value is None:
        return None
    kind = attribute.type
    if kind == "signature" and isinstance(value, dict):
        return f"{SIGNED_LABEL} {value.get('signed_at', '')}".strip()
    if kind == "boolean" and isinstance(value, bool):
        return value
    if kind == "number" and isinstance(value, int) and not isinstance(value, bool):
        return value
    if kind == "decimal" and isinstance(value, int | float) and not isinstance(value, bool):
        return value
    if kind == "date" and isinstance(value, str):
        try:
            return datetime.date.fromisoformat(value)
        except ValueError:
            return value
    return value if isinstance(value, str) else str(value)


class CustomerTable:
    """Columns and rows of the all-customers export for one account."""

    def __init__(self, partition: AccountPartition) -> None:
        self.attributes = customer_attributes(partition)
        self.group_names = {group_id: group.name for group_id, group in partition.groups.items()}
        fixed = [header for header, _ in _FIXED_COLUMNS]
        headers = unique_names([a.name for a in self.attributes], taken=fixed)
        self.columns = [Column(header, kind) for header, kind in _FIXED_COLUMNS] + [
            Column(header, _KIND_OF_TYPE[a.type]) for header, a in zip(headers, self.attributes, strict=True)]

    def row(self, customer: Customer) -> list[Any]:
        groups = sorted((self.group_names[g] for g in customer.groups if g in self.group_names), key=str.casefold)
        fixed = [
            customer.number,
            customer.name,
            customer.email or None,
            customer.company or None,
            customer.phone or None,
            STATUS_LABELS.get(customer.status, customer.status),
            ", ".join(groups) or None,
            customer.notes or None,
            timestamp(customer.created_at),
            timestamp(customer.updated_at),
            customer.files_count,
            customer.bytes,
            timestamp(customer.last_upload_at),
        ]
        return fixed + [attribute_cell(a, customer) for a in self.attributes]

    def rows(self, customers: Iterable[Customer]) -> Iterator[list[Any]]:
        """One row per customer staff see (those being deleted are left out)."""
        for customer in customers:
            if customer.visible:
                yield self.row(customer)
