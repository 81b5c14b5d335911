"""Messages on the jobs queue: work that takes longer than a request may (exports, deleting a customer)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

_ID = Annotated[str, Field(min_length=1, max_length=64)]


class ExportJobMessage(BaseModel):
    """Run the export job `job_id` of the account (messages from before `kind` existed are exports)."""

    model_config = ConfigDict(defer_build=True, extra="forbid")

    kind: Literal["export"] = "export"
    account_id: _ID
    job_id: _ID


class DeleteCustomerMessage(BaseModel):
    """Delete the customer (already flagged as closing) with everything that belongs to them."""

    model_config = ConfigDict(defer_build=True, extra="forbid")

    kind: Literal["delete_customer"]
    account_id: _ID
    customer_id: _ID


JobMessage = Annotated[ExportJobMessage | DeleteCustomerMessage, Field(discriminator="kind")]


def parse(body: str) -> ExportJobMessage | DeleteCustomerMessage:
    """The message in an SQS body; pydantic's ValidationError for anything else."""
    return TypeAdapter(JobMessage).validate_json(body)
