"""What the account partition holds besides the account: its customer groups and attribute definitions.

A request loads them with the account in one query (accounts.repository.load_partition), so their models live
here, below the groups and attributes domains, which publish them (groups.models, attributes.models) and keep
their rules."""

from typing import Literal, NamedTuple

from pydantic import BaseModel, ConfigDict

from chalicelib.accounts.models import Account

AttributeType = Literal["text", "multiline_text", "boolean", "number", "decimal", "select", "date", "time", "signature",
                        "info", "file"]
Scope = Literal["customer", "request"]


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


class Group(BaseModel):
    model_config = ConfigDict(defer_build=True)

    id: str
    name: str
    created_at: str
    updated_at: str


class AccountPartition(NamedTuple):
    """Everything stored under `pk = {account}`, read with one query: what a request needs to validate
    its input (groups, attribute definitions, plan and quota)."""

    account: Account
    groups: dict[str, Group]
    attributes: dict[str, Attribute]

    def attribute_named(self, scope: str, name: str) -> Attribute | None:
        folded = name.casefold()
        return next((a for a in self.attributes.values() if a.scope == scope and a.name.casefold() == folded), None)

    def group_named(self, name: str) -> Group | None:
        folded = name.casefold()
        return next((g for g in self.groups.values() if g.name.casefold() == folded), None)
