"""HTTP: deleting a customer and merging a duplicate into one (`/customers/{id}`, `/customers/{id}/merge`)."""

from pydantic import Field

from chalicelib.activity.models import staff_actor
from chalicelib.api.routing import Router
from chalicelib.auth.tokens import Principal
from chalicelib.customers.api import CustomerOut
from chalicelib.customers.models import MergeRequest
from chalicelib.lifecycle import service as lifecycle
from chalicelib.models import OutputModel

router = Router(__name__, tag="customers")


class DeletionOut(OutputModel):
    id: str
    status: str = Field(description='"deleting": the customer is gone for every request from now on; its links, '
                                    "files, values and history are removed in the background")


@router.route("/customers/{id}", "DELETE",
              summary="Delete a customer with its links, files and history (irreversible; finishes in the background)",
              response=DeletionOut, status=202, errors=(409,), permission="customers_delete")
def delete_customer(principal: Principal, id: str) -> DeletionOut:  # noqa: A002
    lifecycle.request_delete(principal.account_id, id)
    return DeletionOut(id=id, status="deleting")


@router.route("/customers/{id}/merge", "POST", summary="Merge a duplicate into this customer, field by field",
              body=MergeRequest, response=CustomerOut, errors=(409,), permission="customers_merge")
def merge_customers(principal: Principal, id: str, body: MergeRequest) -> CustomerOut:  # noqa: A002
    merged = lifecycle.merge_customers(principal.account_id, staff_actor(principal.user_id), id, body.source_id,
                                       body.take)
    return CustomerOut.of(merged)

