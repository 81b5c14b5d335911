"""Reusable field types for request models: text without control characters, bounded lengths."""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator, Field

#: C0 and C1 control characters (tab, line feed and carriage return are judged by the field type), and the
#: bidirectional embeddings, overrides and isolates, which make text display otherwise than it reads
#: ("Rechnung\u202efdp.exe" shows as "Rechnungexe.pdf").
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_LINE_BREAK = re.compile(r"[\r\n\t\u2028\u2029]")


def has_control_characters(value: str) -> bool:
    return _CONTROL.search(value) is not None


def has_line_breaks(value: str) -> bool:
    return _LINE_BREAK.search(value) is not None


def _single_line(value: str) -> str:
    if _CONTROL.search(value) or _LINE_BREAK.search(value):
        raise ValueError("must be a single line without control characters")
    return value


def _multi_line(value: str) -> str:
    if _CONTROL.search(value):
        raise ValueError("must not contain control characters")
    return value


#: Validators for `Annotated[str, Field(max_length=...), SingleLine]` where no type below fits.
SingleLine = AfterValidator(_single_line)
MultiLine = AfterValidator(_multi_line)


Name = Annotated[str, Field(min_length=1, max_length=200), AfterValidator(_single_line)]
ShortText = Annotated[str, Field(max_length=200), AfterValidator(_single_line)]
Phone = Annotated[str, Field(max_length=50, pattern=r"^[0-9+()./ \-]*$")]
LongText = Annotated[str, Field(max_length=10_000), AfterValidator(_multi_line)]
def _email(value: str) -> str:
    # email-validator is what pydantic's EmailStr uses; imported on first use, since importing EmailStr
    # pulls in importlib.metadata, which costs every cold start tens of milliseconds.
    from email_validator import EmailNotValidError, validate_email

    try:
        return validate_email(value, check_deliverability=False).normalized
    except EmailNotValidError as exc:
        raise ValueError(f"value is not a valid email address: {exc}") from exc


Email = Annotated[str, Field(max_length=254, json_schema_extra={"format": "email"}), AfterValidator(_email)]
