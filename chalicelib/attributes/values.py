"""The one validation engine for attribute values: staff writes, portal writes and imports use it.

`check_value` turns raw JSON input into the stored value or raises InvalidInputError naming the field.
"""

from __future__ import annotations

import datetime
import json
import re
from collections.abc import Callable, Iterable, Mapping
from decimal import Decimal
from typing import Any

from chalicelib import errors
from chalicelib.attributes.models import MAX_VALUE_CHARS, Attribute, Scope
from chalicelib.attributes.patterns import full_match
from chalicelib.fields import has_control_characters, has_line_breaks

_INTEGER = re.compile(r"^-?[0-9]{1,15}$")
_DECIMAL = re.compile(r"^-?[0-9]{1,15}(\.[0-9]{1,6})?$")
_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
MAX_INTEGER = 10**15
#: All attribute values of one customer (or one link) together, UTF-8 encoded. A change replaces the whole
#: map, and moto counts the old and the new map against the 400 KB item limit together; 160 KB each, with
#: the profile, notes and counters, stays below it on moto and on AWS.
MAX_VALUES_BYTES = 160 * 1024


#: Makes the error a failed check raises, naming the field.
Refuse = Callable[[str], errors.InvalidInputError]


def check_value(attribute: Attribute, raw: Any, field: str) -> Any:
    """The value to store for `attribute`, or None to clear it."""

    def refuse(message: str) -> errors.InvalidInputError:
        return errors.InvalidInputError.for_field(field, message)

    if raw is None:
        return _cleared(attribute, refuse)
    kind = attribute.type
    if kind == "file":
        raise refuse(f"'{attribute.name}' is an upload area; it is filled by uploading files")
    text_check = _TEXT_CHECKS.get(kind)
    if text_check is not None:
        text = _text(raw, refuse)
        return _cleared(attribute, refuse) if text.strip() == "" else text_check(attribute, text, refuse)
    check = _OTHER_CHECKS.get(kind)
    if check is None:  # pragma: no cover - the Literal covers every type
        raise refuse(f"unknown attribute type {kind}")
    return check(raw, refuse)


def _cleared(attribute: Attribute, refuse: Refuse) -> None:
    if attribute.required:
        raise refuse(f"'{attribute.name}' is required")
    return None


def _text(raw: Any, refuse: Refuse) -> str:
    """What every text-like type (text, multiline_text, select, date) asks of its raw value."""
    if not isinstance(raw, str):
        raise refuse("must be a string")
    if len(raw) > MAX_VALUE_CHARS:
        raise refuse(f"at most {MAX_VALUE_CHARS} characters")
    if has_control_characters(raw):
        raise refuse("must not contain control characters")
    return raw


def _single_line(attribute: Attribute, raw: str, refuse: Refuse) -> str:
    if has_line_breaks(raw):
        raise refuse("must be a single line")
    if attribute.pattern and not full_match(attribute.pattern, raw):
        raise refuse(f"does not match the required format {attribute.pattern}")
    return raw


def _multi_line(attribute: Attribute, raw: str, refuse: Refuse) -> str:
    return raw


def _select(attribute: Attribute, raw: str, refuse: Refuse) -> str:
    if raw not in attribute.options:
        raise refuse(f"must be one of: {', '.join(attribute.options)}")
    return raw


def _date(attribute: Attribute, raw: str, refuse: Refuse) -> str:
    if not _DATE.fullmatch(raw):
        raise refuse("must be a date as YYYY-MM-DD")
    try:
        datetime.date.fromisoformat(raw)
    except ValueError as exc:
        raise refuse(f"{raw} is not a calendar date") from exc
    return raw


def _boolean(raw: Any, refuse: Refuse) -> bool:
    if not isinstance(raw, bool):
        raise refuse("must be true or false")
    return raw


def _number(raw: Any, refuse: Refuse) -> int:
    if isinstance(raw, bool) or not isinstance(raw, int | str):
        raise refuse("must be a whole number")
    if isinstance(raw, str) and not _INTEGER.fullmatch(raw.strip()):
        raise refuse("must be a whole number")
    number: int = int(raw.strip()) if isinstance(raw, str) else raw
    if abs(number) >= MAX_INTEGER:
        raise refuse("is too large")
    return number


def _decimal(raw: Any, refuse: Refuse) -> float | int:
    if isinstance(raw, bool) or not isinstance(raw, int | float | str):
        raise refuse("must be a decimal number")
    text = repr(raw) if isinstance(raw, float) else str(raw).strip()
    if "," in text:
        raise refuse("must use a dot as the decimal separator, e.g. 12.5")
    if isinstance(raw, float) and ("e" in text.lower() or text in ("nan", "inf", "-inf")):
        raise refuse("must be a plain decimal number")
    if not _DECIMAL.fullmatch(text) or sum(c.isdigit() for c in text) > 15:
        raise refuse("must be a decimal number with at most 15 digits, at most 6 of them after the dot")
    value = Decimal(text)
    # 15 significant digits survive a float exactly, and JSON carries numbers as floats.
    return int(value) if value == value.to_integral_value() else float(value)


_TEXT_CHECKS: dict[str, Callable[[Attribute, str, Refuse], str]] = {
    "text": _single_line, "multiline_text": _multi_line, "select": _select, "date": _date}
_OTHER_CHECKS: dict[str, Callable[[Any, Refuse], Any]] = {"boolean": _boolean, "number": _number, "decimal": _decimal}


def check_values(
    definitions: Mapping[str, Attribute],
    changes: Mapping[str, Any],
    *,
    scope: Scope,
    current: Mapping[str, Any] | None = None,
    require_all: bool,
    allowed: Iterable[str] | None = None,
    field: str = "attributes",
) -> dict[str, Any]:
    """Apply `changes` (attr id → raw value; None clears) to `current`; the resulting stored values.

    Every id must name an attribute of `scope` (and be in `allowed`, if given). With `require_all`, every
    required non-file attribute of the scope (restricted to `allowed`) must have a value afterwards.
    """
    allowed_ids = set(allowed) if allowed is not None else None
    result = dict(current or {})
    # Every problem is reported at its field in one answer, so a form can mark all of them at once.
    problems: list[dict[str, Any]] = []
    for attribute_id, raw in changes.items():
        attribute = definitions.get(attribute_id)
        where = f"{field}.{attribute_id}"
        try:
            if attribute is None or (allowed_ids is not None and attribute_id not in allowed_ids):
                raise errors.InvalidInputError.for_field(where, "no such attribute")
            if attribute.scope != scope:
                raise errors.InvalidInputError.for_field(where, f"'{attribute.name}' is a {attribute.scope} attribute")
            value = check_value(attribute, raw, where)
        except errors.InvalidInputError as exc:
            problems += exc.details
            continue
        if value is None:
            result.pop(attribute_id, None)
        else:
            result[attribute_id] = value
    if require_all:
        problems += _missing_required(definitions, result, changes, scope=scope, allowed_ids=allowed_ids, field=field)
    if problems:
        summary = "; ".join(f"{p['field']}: {p['message']}" for p in problems[:5])
        raise errors.InvalidInputError(f"Invalid input: {summary}", problems)
    check_values_size(result, field)
    return result


def _missing_required(definitions: Mapping[str, Attribute], result: Mapping[str, Any], changes: Mapping[str, Any], *,
                      scope: Scope, allowed_ids: set[str] | None, field: str) -> list[dict[str, Any]]:
    """A problem for each required non-file attribute of `scope` (within `allowed_ids`) still without a value."""
    return [{"field": f"{field}.{attribute.id}", "message": f"'{attribute.name}' is required"}
            for attribute in definitions.values()
            if attribute.scope == scope and attribute.required and not attribute.is_area
            and (allowed_ids is None or attribute.id in allowed_ids)
            and attribute.id not in result and attribute.id not in changes]


def values_size(values: Mapping[str, Any]) -> int:
    """The bytes `values` take stored (as UTF-8 JSON, close to what DynamoDB counts)."""
    return len(json.dumps(values, ensure_ascii=False, separators=(",", ":"), default=str).encode())


def check_values_size(values: Mapping[str, Any], field: str = "attributes") -> None:
    """Refuse values whose total would not leave room in their DynamoDB item (400 KB with everything else)."""
    size = values_size(values)
    if size > MAX_VALUES_BYTES:
        raise errors.InvalidInputError.for_field(
            field, f"the values would take {size:,} bytes together; at most {MAX_VALUES_BYTES:,} bytes are stored "
                   "per customer or link (shorten or clear some long texts)")
