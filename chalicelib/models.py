"""Base classes of the models that cross the service boundary.

Input models refuse unknown fields and strip surrounding whitespace; all models defer building their
validators until first use (`defer_build`), so a cold start pays only for the models it touches.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class InputModel(BaseModel):
    """A JSON body or a command: unknown fields are refused, surrounding whitespace of strings dropped."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, defer_build=True)


class QueryModel(BaseModel):
    """Query-string parameters: unknown ones are ignored (caches and tools add their own)."""

    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True, defer_build=True)


class OutputModel(BaseModel):
    model_config = ConfigDict(defer_build=True)
