"""The one validation engine for attribute values: staff writes, portal writes and imports use it.

`check_value` turns raw JSON input into the stored value or raises InvalidInputError naming the field.
"""

from __future__ import annotations

import datetime
import json
import re
from collections.abc import Iterable, Mapping
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


def check_value(attribute: Attribute, raw: Any, field: str) -> Any:
    """The value to store for `attribute`, or None to clear it."""

    def refuse(message: str) -> errors.InvalidInputError:
        return errors.InvalidInputError.for_field(field, message)

    if raw is None:
        if attribute.required:
            raise refuse(f"'{attribute.name}' is required")
        return None
    kind = attribute.type
    if kind == "file":
        raise refuse(f"'{attribute.name}' is an upload area; it is filled by uploading files")
    if kind in ("text", "multiline_text", "select", "date"):
        if not isinstance(raw, str):
            raise refuse("must be a string")
        if len(raw) > MAX_VALUE_CHARS:
            raise refuse(f"at most {MAX_VALUE_CHARS} characters")
        if has_control_characters(raw):
            raise refuse("must not contain control characters")
        if raw.strip() == "":
            if attribute.required:
                raise refuse(f"'{attribute.name}' is required")
            return None
    if kind == "text":
        if has_line_breaks(raw):
            raise refuse("must be a single line")
        if attribute.pattern and not full_match(attribute.pattern, raw):
            raise refuse(f"does not match the required format {attribute.pattern}")
        return raw
    if kind == "multiline_text":
        return raw
    if kind == "select":
        if raw not in attribute.options:
            raise refuse(f"must be one of: {', '.join(attribute.options)}")
        return raw
    if kind == "date":
        if not _DATE.fullmatch(raw):
            raise refuse("must be a date as YYYY-MM-DD")
        try:
            datetime.date.fromisoformat(raw)
        except ValueError as exc:
            raise refuse(f"{raw} is not a calendar date") from exc
        return raw
    if kind == "boolean":
        if not isinstance(raw, bool):
            raise refuse("must be true or false")
        return raw
    if kind == "number":
        if isinstance(raw, bool) or not isinstance(raw, int | str):
            raise refuse("must be a whole number")
        if isinstance(raw, str):
            if not _INTEGER.fullmatch(raw.strip()):
                raise refuse("must be a whole number")
            raw = int(raw.strip())
        if abs(raw) >= MAX_INTEGER:
            raise refuse("is too large")
        return raw
    if kind == "decimal":
        return _decimal(raw, refuse)
    raise refuse(f"unknown attribute type {kind}")  # pragma: no cover - Literal covers every type


def _decimal(raw: Any, refuse: Any) -> float | int:
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
        for attribute in definitions.values():
            if attribute.scope != scope or not attribute.required or attribute.is_area:
                continue
            if allowed_ids is not None and attribute.id not in allowed_ids:
                continue
            if attribute.id not in result and attribute.id not in changes:
                problems.append({"field": f"{field}.{attribute.id}", "message": f"'{attribute.name}' is required"})
    if problems:
        summary = "; ".join(f"{p['field']}: {p['message']}" for p in problems[:5])
        raise errors.InvalidInputError(f"Invalid input: {summary}", problems)
    check_values_size(result, field)
    return result


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
