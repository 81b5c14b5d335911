"""The one validation engine for attribute values: staff writes, portal writes and imports use it.

`check_value` turns raw JSON input into the stored value or raises InvalidInputError naming the field.
"""

from __future__ import annotations

import datetime
import json
import re
from collections.abc import Callable, Iterable, Mapping
from decimal import Decimal
from typing import Any, Literal

from chalicelib import errors
from chalicelib.attributes.models import MAX_VALUE_CHARS, Attribute, Scope
from chalicelib.attributes.patterns import full_match
from chalicelib.attributes.signatures import NewSignature, SignatureOwner, store_new
from chalicelib.fields import has_control_characters, has_line_breaks
from chalicelib.signature_images import MAX_SIGNATURE_BASE64, SignatureImageError, decode_png

_INTEGER = re.compile(r"^-?[0-9]{1,15}$")
_DECIMAL = re.compile(r"^-?[0-9]{1,15}(\.[0-9]{1,6})?$")
_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
_TIME = re.compile(r"^([01][0-9]|2[0-3]):[0-5][0-9]$")
MAX_INTEGER = 10**15
#: All attribute values of one customer (or one link) together, UTF-8 encoded. A change replaces the whole
#: map, and moto counts the old and the new map against the 400 KB item limit together; 160 KB each, with
#: the profile, notes and counters, stays below it on moto and on AWS.
MAX_VALUES_BYTES = 160 * 1024


#: Makes the error a failed check raises, naming the field.
Refuse = Callable[..., errors.InvalidInputError]


class InvalidTimeError(errors.InvalidInputError):
    code = "invalid_time"


class DisplayOnlyError(errors.InvalidInputError):
    """A value sent for an `info` attribute, which only shows text."""

    code = "display_only"


def _refusal(error: type[errors.InvalidInputError], field: str, message: str) -> errors.InvalidInputError:
    """An error of a type of its own, its code also in the detail (a form may report several fields at once)."""
    return error(f"{field}: {message}", [{"field": field, "message": message, "code": error.code}])


def check_value(attribute: Attribute, raw: Any, field: str) -> Any:
    """The value to store for `attribute`, or None to clear it."""

    def refuse(message: str, error: type[errors.InvalidInputError] = errors.InvalidInputError
               ) -> errors.InvalidInputError:
        if error is errors.InvalidInputError:
            return errors.InvalidInputError.for_field(field, message)
        return _refusal(error, field, message)

    if raw is None:
        return _cleared(attribute, refuse)
    kind = attribute.type
    if kind == "info":
        raise refuse(f"'{attribute.name}' only shows text; it takes no value", DisplayOnlyError)
    if kind == "file":
        raise refuse(f"'{attribute.name}' is an upload area; it is filled by uploading files")
    if kind == "signature":
        return _signature(attribute, raw, field)
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


def _time(attribute: Attribute, raw: str, refuse: Refuse) -> str:
    if not _TIME.fullmatch(raw):
        raise refuse("must be a time of day as HH:MM (00:00-23:59)", InvalidTimeError)
    return raw


def _signature(attribute: Attribute, raw: Any, field: str) -> NewSignature:
    """A newly drawn signature: base64 of a PNG (as approvals take it). Stored by `check_values`, which keeps
    only a reference in the values."""
    if not isinstance(raw, str) or len(raw) > MAX_SIGNATURE_BASE64:
        raise _refusal(SignatureImageError, field, "must be a PNG image as base64 (a data: URL is fine)")
    return NewSignature(decode_png(raw, field))


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
    "text": _single_line, "multiline_text": _multi_line, "select": _select, "date": _date, "time": _time}
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
    signatures: SignatureOwner | Literal["check"] | None = None,
    signatures_optional: bool = False,
) -> dict[str, Any]:
    """Apply `changes` (attr id → raw value; None clears) to `current`; the resulting stored values.

    Every id must name an attribute of `scope` (and be in `allowed`, if given). With `require_all`, every
    required attribute holding a value (not an upload area or display text) of the scope (restricted to
    `allowed`) must have a value afterwards.

    A signature is sent as base64 PNG (or its stored reference, unchanged). With `signatures` naming the owner,
    each new image is stored once everything else passed, and the values keep its reference; with "check" it
    is only checked (the values keep the current one); with None this writer takes no signatures.
    Only the customer can sign: with `signatures_optional` (staff writes) a required signature is neither
    demanded nor kept from being cleared (`missing_fields` shows it until the customer signs).
    """
    allowed_ids = set(allowed) if allowed is not None else None
    result, before = dict(current or {}), dict(current or {})
    # Every problem is reported at its field in one answer, so a form can mark all of them at once.
    problems: list[dict[str, Any]] = []
    refused: set[type[errors.InvalidInputError]] = set()
    drawn: dict[str, NewSignature] = {}
    for attribute_id, raw in changes.items():
        try:
            value = _checked_change(definitions.get(attribute_id), raw, f"{field}.{attribute_id}", scope=scope,
                                    allowed=allowed_ids is None or attribute_id in allowed_ids,
                                    stored=before.get(attribute_id), takes_signatures=signatures is not None,
                                    signatures_optional=signatures_optional)
        except errors.InvalidInputError as exc:
            problems += exc.details
            refused.add(type(exc))
            continue
        if value is _UNCHANGED:
            continue
        if isinstance(value, NewSignature):
            drawn[attribute_id] = value
        elif value is None:
            result.pop(attribute_id, None)
        else:
            result[attribute_id] = value
    if require_all:
        missing = _missing_required(definitions, {**result, **drawn}, changes, scope=scope, allowed_ids=allowed_ids,
                                    field=field, signatures_optional=signatures_optional)
        problems += missing
        refused.update([errors.InvalidInputError] if missing else [])
    if problems:
        raise _problems_error(problems, refused)
    check_values_size(result, field)
    if isinstance(signatures, SignatureOwner):
        for attribute_id, signature in drawn.items():
            result[attribute_id] = store_new(signatures, signature)
    return result


def _problems_error(problems: list[dict[str, Any]],
                    refused: set[type[errors.InvalidInputError]]) -> errors.InvalidInputError:
    """Every problem at its field in one error; one kind of problem keeps its own code (invalid_time, …)."""
    summary = "; ".join(f"{p['field']}: {p['message']}" for p in problems[:5])
    error = refused.pop() if len(refused) == 1 else errors.InvalidInputError
    return error(f"Invalid input: {summary}", problems)


#: A signature sent back as its stored reference.
_UNCHANGED = object()


def _checked_change(attribute: Attribute | None, raw: Any, where: str, *, scope: Scope, allowed: bool, stored: Any,
                    takes_signatures: bool, signatures_optional: bool) -> Any:
    """What one change stores (None clears), NewSignature for an image still to store, or _UNCHANGED."""
    if attribute is None or not allowed:
        raise errors.InvalidInputError.for_field(where, "no such attribute")
    if attribute.scope != scope:
        raise errors.InvalidInputError.for_field(where, f"'{attribute.name}' is a {attribute.scope} attribute")
    if attribute.type == "signature" and raw is not None and raw == stored:
        return _UNCHANGED  # a form sending back what it was given
    if attribute.type == "signature" and raw is None and signatures_optional:
        return None
    value = check_value(attribute, raw, where)
    if isinstance(value, NewSignature) and not takes_signatures:
        raise errors.InvalidInputError.for_field(where, "a signature cannot be given here")
    return value


def _missing_required(definitions: Mapping[str, Attribute], result: Mapping[str, Any], changes: Mapping[str, Any], *,
                      scope: Scope, allowed_ids: set[str] | None, field: str,
                      signatures_optional: bool = False) -> list[dict[str, Any]]:
    """A problem for each required non-file attribute of `scope` (within `allowed_ids`) still without a value."""
    return [{"field": f"{field}.{attribute.id}", "message": f"'{attribute.name}' is required"}
            for attribute in definitions.values()
            if attribute.scope == scope and attribute.required and attribute.holds_value
            and not (signatures_optional and attribute.type == "signature")
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
