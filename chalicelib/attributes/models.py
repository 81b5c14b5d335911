"""Custom attributes ("Kundenattribute" and request attributes): typed fields and upload areas."""

from __future__ import annotations

# The definition's model is loaded with the account in one query, so it lives with the account partition
# (chalicelib/accounts/definitions.py: change its fields and types there); this domain publishes it and keeps its
# rules.
from chalicelib.accounts.definitions import Attribute, AttributeType, Scope

__all__ = ["GENERAL_AREA", "MAX_ATTRIBUTES", "MAX_INFO_TEXT_CHARS", "MAX_OPTIONS", "MAX_PATTERN_CHARS",
           "MAX_VALUE_CHARS", "Attribute", "AttributeType", "Scope"]

#: The upload area every customer has without defining anything ("Allgemeine Dokumente").
GENERAL_AREA = "general"
MAX_ATTRIBUTES = 200
MAX_OPTIONS = 100
MAX_PATTERN_CHARS = 256
MAX_VALUE_CHARS = 10_000
#: The text an `info` attribute shows (per language).
MAX_INFO_TEXT_CHARS = 2000
