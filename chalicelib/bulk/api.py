"""HTTP: sending a template to many customers at once (`POST /requests/bulk`)."""

from __future__ import annotations

from typing import Any

from chalicelib.activity.models import staff_actor
from chalicelib.api.routing import Router
from chalicelib.auth.tokens import Principal
from chalicelib.bulk import service
from chalicelib.bulk.models import BulkRequest
from chalicelib.jobs import service as jobs
from chalicelib.jobs.api import JobOut

router = Router(__name__, tag="jobs")


@router.route("/requests/bulk", "POST", status=202, body=BulkRequest, response=JobOut, errors=(404, 409),
              permission="links_send",
              summary="Send a template to a list of customers or a group: each gets their own link (and mail), in "
                      "the background; follow it at GET /jobs/{id}. An `Idempotency-Key` header makes a repeat "
                      "answer the same job")
def send_bulk_request(principal: Principal, body: BulkRequest, request: Any) -> JobOut:
    key = (request.headers or {}).get("idempotency-key")
    job = service.send_template(principal.account_id, staff_actor(principal.user_id), body, key)
    return JobOut.of(job, jobs.get_job(principal.account_id, job.id)[1] if job.failed else [])
