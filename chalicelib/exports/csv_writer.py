"""CSV for German Excel: what a double click in Excel (German locale) opens correctly.

The dialect: UTF-8 with a byte order mark (Excel otherwise guesses Windows-1252), `;` between fields (the
list separator of German Windows), `"` quoting only where needed with `""` for a quote inside, CRLF between
records (line breaks inside a quoted field stay LF). Cells: whole numbers as digits, decimals with a comma
(`12,5`), booleans as `WAHR`/`FALSCH`, dates as `YYYY-MM-DD`, times as `YYYY-MM-DD HH:MM:SS` (UTC): German
Excel reads all of these as typed values. Text that Excel could take for a formula (starting with
`= + - @`, tab, CR or LF) gets a leading `'` (OWASP's advice against CSV injection).
"""

from __future__ import annotations

import csv
import datetime
import math
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

from chalicelib.exports.table import Column, starts_like_formula


class GermanExcel(csv.Dialect):
    delimiter = ";"
    quotechar = '"'
    doublequote = True
    skipinitialspace = False
    lineterminator = "\r\n"
    quoting = csv.QUOTE_MINIMAL
    strict = True


ENCODING = "utf-8-sig"  # UTF-8 with BOM


def neutralise(text: str) -> str:
    """Text as a spreadsheet will show it and never evaluate it."""
    return "'" + text if starts_like_formula(text) else text


def decimal_comma(value: float | int) -> str:
    """A number as German Excel reads it: plain digits, a decimal comma, no exponent."""
    if isinstance(value, float) and not math.isfinite(value):
        return ""
    return format(Decimal(repr(value)), "f").replace(".", ",")


def csv_cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "WAHR" if value else "FALSCH"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return decimal_comma(value)
    if isinstance(value, datetime.datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, datetime.date):
        return value.isoformat()
    return neutralise(str(value))


def write_csv(path: str, columns: Sequence[Column], rows: Iterable[Sequence[Any]]) -> int:
    """Write the table to `path`, row by row (flat memory); the number of rows written."""
    count = 0
    with open(path, "w", encoding=ENCODING, newline="") as target:
        writer = csv.writer(target, dialect=GermanExcel)
        writer.writerow([neutralise(column.header) for column in columns])
        for row in rows:
            writer.writerow([csv_cell(value) for value in row])
            count += 1
    return count
