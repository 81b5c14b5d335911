"""Customer groups ("Kundengruppen"), one of which may be the account's default group."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

MAX_GROUPS = 500
MAX_GROUPS_PER_CUSTOMER = 20


class Group(BaseModel):
    model_config = ConfigDict(defer_build=True)

    id: str
    name: str
    created_at: str
    updated_at: str
