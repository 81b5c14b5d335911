"""Bulk requests: a template sent to a list of customers or a whole group, as a job on the jobs queue.

The request is checked and its customers fixed (a group's members as they are now) at once; the job then works
through them a page at a time, every page a message of its own, in any order and in parallel. Each customer's
link is made in a transaction that also writes the job's step marker for that customer (conditioned on there
being none), so a redelivered or re-run page makes no second link and sends no second mail: mail goes only after
that transaction succeeded (at most once: a crash between the two leaves that link unmailed, and the job counts it
done). What fails for one customer is recorded for them (`failures`) and the others go on.
"""

from __future__ import annotations

import hashlib

from chalicelib import clock, errors
from chalicelib.bulk.models import MAX_BULK_CUSTOMERS, BulkRequest
from chalicelib.groups import service as groups
from chalicelib.jobs import service as jobs
from chalicelib.jobs.messages import BulkRequestMessage
from chalicelib.jobs.models import JobRecord
from chalicelib.links import service as links
from chalicelib.links.models import NewLink
from chalicelib.templates import service as templates
from chalicelib.templates.models import Template


def _fingerprint(request: BulkRequest) -> str:
    return hashlib.sha256(request.model_dump_json().encode()).hexdigest()


def send_template(account_id: str, actor: str, request: BulkRequest, idempotency_key: str | None) -> JobRecord:
    """Start the job (or, for a repeated `Idempotency-Key`, the job the first request started)."""
    jobs.check_idempotency_key(idempotency_key)
    fingerprint = _fingerprint(request)
    earlier = jobs.job_for_key(account_id, "bulk_request", idempotency_key, fingerprint)
    if earlier is not None:
        return earlier
    if (request.customer_ids is None) == (request.group_id is None):
        raise errors.InvalidInputError.for_field("customer_ids", "give either customer_ids or group_id")
    template = templates.get_template(account_id, request.template_id)
    due_at = None
    if request.due_at is not None:
        if request.due_at <= clock.now():
            raise errors.InvalidInputError.for_field("due_at", "the due date is in the past")
        due_at = clock.iso(request.due_at)
    if request.customer_ids is not None:
        customer_ids = list(dict.fromkeys(request.customer_ids))
    else:
        assert request.group_id is not None
        customer_ids = groups.member_ids(account_id, request.group_id, MAX_BULK_CUSTOMERS)
    job, created = jobs.start_job(account_id, "bulk_request", actor, len(customer_ids), idempotency_key,
                                  fingerprint)
    if not created:
        return job
    return jobs.queue_pages(account_id, job, customer_ids, lambda page: BulkRequestMessage(
        kind="bulk_request", account_id=account_id, job_id=job.id, actor=actor, template_id=template.id,
        due_at=due_at, send_email=request.send_email, customer_ids=page))


def run_page(message: BulkRequestMessage) -> None:
    """Make the page's links (idempotent: customers the job handled already are skipped)."""
    account_id, job_id = message.account_id, message.job_id
    handled = jobs.open_page(account_id, job_id, message.customer_ids)
    if handled is None:
        return
    template: Template | None
    try:
        template = templates.get_template(account_id, message.template_id)
    except errors.NotFoundError:
        template = None
    for customer_id in message.customer_ids:
        if customer_id in handled:
            continue
        if template is None:
            jobs.step_failed(account_id, job_id, customer_id, "template_not_found")
            continue
        new = NewLink.model_validate({"template_id": template.id, "send_email": message.send_email,
                                      **({"due_at": message.due_at} if message.due_at else {})})
        try:
            links.create_link(account_id, message.actor, customer_id, new,
                              also=jobs.step_done_actions(account_id, job_id, customer_id))
        except jobs.JobStepDoneError:
            continue  # another delivery of this page did it
        except errors.DossierError as exc:
            jobs.step_failed(account_id, job_id, customer_id, _failure_code(exc))
    jobs.finish_if_complete(account_id, job_id)


def _failure_code(exc: errors.DossierError) -> str:
    """What the job reports for a customer: the code a single `POST /customers/{id}/links` would have answered,
    named more precisely where that is a general one."""
    if isinstance(exc, errors.InvalidInputError) and any(
            isinstance(detail, dict) and detail.get("field") == "send_email" for detail in exc.details):
        return "no_email"
    if isinstance(exc, errors.ConflictError):
        return "portal_off"
    return exc.code

