"""Custom attributes ("Kundenattribute" and request attributes): typed fields and upload areas."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict

AttributeType = Literal["text", "multiline_text", "boolean", "number", "decimal", "select", "date", "time", "signature",
                        "info", "file"]
Scope = Literal["customer", "request"]

#: The upload area every customer has without defining anything ("Allgemeine Dokumente").
GENERAL_AREA = "general"
MAX_ATTRIBUTES = 200
MAX_OPTIONS = 100
MAX_PATTERN_CHARS = 256
MAX_VALUE_CHARS = 10_000
#: The text an `info` attribute shows (per language).
MAX_INFO_TEXT_CHARS = 2000


class Attribute(BaseModel):
    model_config = ConfigDict(defer_build=True)

    id: str
    scope: Scope
    name: str
    type: AttributeType
    required: bool = False
    options: list[str] = []
    pattern: str | None = None
    in_portal: bool = True
    #: `info` only: the plain text shown in its place (German, and English where given); it holds no value.
    text: str | None = None
    text_en: str | None = None
    #: Where the attribute stands in every list (staff screens, portal, exports); ties keep creation order.
    position: int = 0
    created_at: str
    updated_at: str

    @property
    def is_area(self) -> bool:
        return self.type == "file"

    @property
    def holds_value(self) -> bool:
        """Whether the attribute stores a value (not an upload area, not display text)."""
        return self.type not in ("file", "info")
