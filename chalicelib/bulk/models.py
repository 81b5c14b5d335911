"""Bulk requests: one template sent to many customers, each getting their own link (and mail)."""

from typing import Annotated

from pydantic import AwareDatetime, Field

from chalicelib.models import InputModel

#: Customers one bulk request may name (or a group may hold): the job's pages are queued at once.
MAX_BULK_CUSTOMERS = 5000


class BulkRequest(InputModel):
    template_id: str = Field(min_length=1, max_length=64, description="The template every link is made from")
    customer_ids: list[Annotated[str, Field(min_length=1, max_length=64)]] | None = Field(
        None, min_length=1, max_length=MAX_BULK_CUSTOMERS,
        description="The customers (or `group_id`); unknown or foreign ones are reported as `not_found`")
    group_id: str | None = Field(None, min_length=1, max_length=64,
                                 description="Every member of this group (or `customer_ids`)")
    due_at: AwareDatetime | None = Field(None, description="When the documents are due (not in the past); default: "
                                                           "the template's due period")
    send_email: bool = Field(False, description="Mail each customer their link")
