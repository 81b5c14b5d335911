"""Excel workbooks with XlsxWriter in constant-memory mode (each row goes to disk once complete).

Numbers, dates, times and booleans become typed cells; text is always written as a string, never as a
formula, and text that starts like a formula also gets Excel's quote prefix, so editing the cell keeps it
text. One sheet, `Kunden`: a bold header row, frozen, with an autofilter; column widths follow the content.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Sequence
from typing import Any

from chalicelib.exports.table import Column, starts_like_formula

SHEET = "Kunden"
MAX_WIDTH = 60
#: Excel's built-in number formats 14 and 22: date and date-time in the reader's own locale.
DATE_FORMAT = 14
DATETIME_FORMAT = 22
_WIDTH_OF_KIND = {"date": 11, "datetime": 17, "boolean": 7}


def write_xlsx(path: str, columns: Sequence[Column], rows: Iterable[Sequence[Any]]) -> int:
    """Write the table to `path`; the number of rows written."""
    import xlsxwriter

    workbook = xlsxwriter.Workbook(path, {
        "constant_memory": True,
        "strings_to_numbers": False,
        "strings_to_formulas": False,
        "strings_to_urls": False,
    })
    try:
        sheet = workbook.add_worksheet(SHEET)
        header = workbook.add_format({"bold": True})
        quoted_header = workbook.add_format({"bold": True, "quote_prefix": True})
        quoted = workbook.add_format({"quote_prefix": True})
        date = workbook.add_format({"num_format": DATE_FORMAT})
        moment = workbook.add_format({"num_format": DATETIME_FORMAT})

        widths = [max(len(c.header) + 4, _WIDTH_OF_KIND.get(c.kind, 8)) for c in columns]
        for index, column in enumerate(columns):
            sheet.write_string(0, index, column.header,
                               quoted_header if starts_like_formula(column.header) else header)
        sheet.freeze_panes(1, 0)

        count = 0
        for count, row in enumerate(rows, start=1):  # noqa: B007 - the last value is the row count
            for index, value in enumerate(row):
                if value is None or value == "":
                    continue
                if isinstance(value, bool):
                    sheet.write_boolean(count, index, value)
                elif isinstance(value, int | float):
                    sheet.write_number(count, index, value)
                    widths[index] = max(widths[index], min(len(str(value)) + 2, MAX_WIDTH))
                elif isinstance(value, datetime.datetime):
                    sheet.write_datetime(count, index, value, moment)
                elif isinstance(value, datetime.date):
                    sheet.write_datetime(count, index, value, date)
                else:
                    text = str(value)
                    sheet.write_string(count, index, text, quoted if starts_like_formula(text) else None)
                    longest_line = max((len(line) for line in text.splitlines()), default=0)
                    widths[index] = max(widths[index], min(longest_line + 2, MAX_WIDTH))
        # Column widths and the filter are sheet settings: XlsxWriter writes them at close, after the rows.
        for index, width in enumerate(widths):
            sheet.set_column(index, index, width)
        sheet.autofilter(0, 0, count, len(columns) - 1)
    finally:
        workbook.close()
    return count
