"""UpdateExpressions built clause by clause: the one place that gives attribute names and values their
placeholders and joins the SET, REMOVE and ADD clauses, so a repository says what changes, not how
DynamoDB spells it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from chalicelib.storage.dynamo import FailsWith, Update

#: An attribute: a top-level name, or a path into maps given as its parts (`("items", item_id, "mark")`).
Attribute = str | tuple[str, ...]


class UpdateExpression:
    """What an update changes. Names get `#u<n>` placeholders (one per name, reused), values `:u<n>`; a
    condition refers to them through `name()` and `value()` or brings its own placeholders to `action()`."""

    def __init__(self) -> None:
        self._clauses: dict[str, list[str]] = {"SET": [], "REMOVE": [], "ADD": []}
        self.names: dict[str, str] = {}
        self.values: dict[str, Any] = {}

    def name(self, attribute: Attribute) -> str:
        """The placeholder path of `attribute` (`#u0.#u1` for a path of two parts)."""
        parts = (attribute,) if isinstance(attribute, str) else attribute
        placeholders = []
        for part in parts:
            placeholder = next((p for p, n in self.names.items() if n == part), None)
            if placeholder is None:
                placeholder = f"#u{len(self.names)}"
                self.names[placeholder] = part
            placeholders.append(placeholder)
        return ".".join(placeholders)

    def value(self, value: Any) -> str:
        """A new value placeholder for `value`."""
        placeholder = f":u{len(self.values)}"
        self.values[placeholder] = value
        return placeholder

    def set(self, attribute: Attribute, value: Any, if_not_exists: bool = False) -> UpdateExpression:
        """SET `attribute` to `value` (with `if_not_exists`, only where it has no value yet)."""
        path = self.name(attribute)
        placeholder = self.value(value)
        self._clauses["SET"].append(f"{path} = if_not_exists({path}, {placeholder})" if if_not_exists
                                    else f"{path} = {placeholder}")
        return self

    def remove(self, attribute: Attribute) -> UpdateExpression:
        self._clauses["REMOVE"].append(self.name(attribute))
        return self

    def add(self, attribute: Attribute, value: Any) -> UpdateExpression:
        """ADD `value` to a number (atomically) or its elements to a set."""
        path = self.name(attribute)
        self._clauses["ADD"].append(f"{path} {self.value(value)}")
        return self

    def set_all(self, fields: Mapping[str, Any]) -> UpdateExpression:
        """SET each field to its value (None too: stored as NULL)."""
        for attribute, value in fields.items():
            self.set(attribute, value)
        return self

    def set_or_remove(self, fields: Mapping[str, Any]) -> UpdateExpression:
        """SET each field to its value; REMOVE those whose value is None or an empty set (DynamoDB stores no
        empty set)."""
        for attribute, value in fields.items():
            if value is None or value == set():
                self.remove(attribute)
            else:
                self.set(attribute, value)
        return self

    @property
    def expression(self) -> str:
        """The UpdateExpression; ValueError if nothing changes (DynamoDB refuses an empty one)."""
        text = " ".join(f"{action} {', '.join(parts)}" for action, parts in self._clauses.items() if parts)
        if not text:
            raise ValueError("an update must change something")
        return text

    def action(self, key: Mapping[str, str], condition: str | None = None, names: Mapping[str, str] | None = None,
               values: Mapping[str, Any] | None = None, fails_with: FailsWith = None) -> Update:
        """The Update of the item under `key`, with the condition's own placeholders (`names`, `values`) merged
        in (ValueError if one of them means something else here)."""
        return Update(key, self.expression, names=_merged(self.names, names), values=_merged(self.values, values),
                      condition=condition, fails_with=fails_with)


def _merged(built: dict[str, Any], given: Mapping[str, Any] | None) -> dict[str, Any] | None:
    merged = dict(built)
    for placeholder, meaning in (given or {}).items():
        if placeholder in merged and merged[placeholder] != meaning:
            raise ValueError(f"the placeholder {placeholder} is used for two things")
        merged[placeholder] = meaning
    return merged or None
