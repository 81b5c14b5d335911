"""Messages on the jobs queue: work that takes longer than a request may (exports, deleting a customer)."""

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


#: Where a paging job goes on: the last key a page ended at (None: from the start).
_Cursor = dict[str, Annotated[str, Field(max_length=1024)]] | None


class DeleteAttributeMessage(BaseModel):
    """Take a deleted attribute (its definition is gone already) off files, customers and links, a page at a
    time; a run that stops early sends the same message with its checkpoint (`phase`, `cursor`)."""

    model_config = ConfigDict(defer_build=True, extra="forbid")

    kind: Literal["delete_attribute"]
    account_id: _ID
    job_id: _ID
    attribute_id: _ID
    actor: Annotated[str, Field(min_length=1, max_length=200)]
    #: Links first (so no new upload form names a deleted area), then the files or the customers' values.
    phase: Literal["links", "files", "customers"]
    then: Literal["files", "customers"] | None = None
    cursor: _Cursor = None


class DeleteGroupMessage(BaseModel):
    """Take a deleted group (its definition is gone already) off its members, a page at a time."""

    model_config = ConfigDict(defer_build=True, extra="forbid")

    kind: Literal["delete_group"]
    account_id: _ID
    job_id: _ID
    group_id: _ID
    actor: Annotated[str, Field(min_length=1, max_length=200)]
    cursor: _Cursor = None


class ReconcileAccountMessage(BaseModel):
    """Reconcile one account (the daily run queues one per account)."""

    model_config = ConfigDict(defer_build=True, extra="forbid")

    kind: Literal["reconcile_account"]
    account_id: _ID
    scheduled_at: Annotated[str, Field(max_length=40)] | None = None


class BulkRequestMessage(BaseModel):
    """One page of a bulk request job: make a link from the template for each of these customers (and mail it)."""

    model_config = ConfigDict(defer_build=True, extra="forbid")

    kind: Literal["bulk_request"]
    account_id: _ID
    job_id: _ID
    actor: Annotated[str, Field(min_length=1, max_length=200)]
    template_id: _ID
    due_at: Annotated[str, Field(max_length=40)] | None = None
    send_email: bool = False
    customer_ids: list[Annotated[str, Field(min_length=1, max_length=100)]] = Field(max_length=100)


class PortalSignInMessage(BaseModel):
    """Send a portal sign-in link to this address or number if it is a customer's (chalicelib/customer_portal)."""

    model_config = ConfigDict(defer_build=True, extra="forbid")

    kind: Literal["portal_sign_in"]
    account_id: _ID
    email: Annotated[str, Field(max_length=254)] | None = None
    phone: Annotated[str, Field(max_length=50)] | None = None


class MessageNoticeMessage(BaseModel):
    """Mail one side of a customer's conversation about new messages, when the planned notice is due."""

    model_config = ConfigDict(defer_build=True, extra="forbid")

    kind: Literal["message_notice"]
    account_id: _ID
    customer_id: _ID
    side: Literal["staff", "customer"]


class PortalSwitchMessage(BaseModel):
    """One page of a bulk portal on/off job: switch these customers' portal on or off."""

    model_config = ConfigDict(defer_build=True, extra="forbid")

    kind: Literal["portal_switch"]
    account_id: _ID
    job_id: _ID
    actor: Annotated[str, Field(min_length=1, max_length=200)]
    enabled: bool
    customer_ids: list[Annotated[str, Field(min_length=1, max_length=100)]] = Field(max_length=100)


Job = (ExportJobMessage | DeleteCustomerMessage | DeleteAttributeMessage | DeleteGroupMessage
       | ReconcileAccountMessage | BulkRequestMessage | PortalSignInMessage | MessageNoticeMessage
       | PortalSwitchMessage)
JobMessage = Annotated[Job, Field(discriminator="kind")]


def parse(body: str) -> Job:
    """The message in an SQS body; pydantic's ValidationError for anything else."""
    return TypeAdapter(JobMessage).validate_json(body)
