"""The portal's work on the jobs queue: sending sign-in links, message notices, and switching the portal on or
off for many customers (a job with progress, `GET /jobs/{id}`, shared with bulk requests).

The bulk switch fixes its customers when it is asked (the named ones, a group's members, or every customer),
then works through them a page at a time. Each customer's switch is one transaction with the job's step marker
for that customer (conditioned on there being none), so a redelivered page switches nobody twice and counts
each customer once.
"""

from __future__ import annotations

import hashlib

from chalicelib import errors
from chalicelib.activity import service as activity
from chalicelib.customer_portal import conversation, service
from chalicelib.customer_portal.models import PortalSwitch
from chalicelib.customers import portal_state
from chalicelib.customers.service import CustomerFilter, list_customers
from chalicelib.groups import service as groups
from chalicelib.jobs import service as jobs
from chalicelib.jobs.messages import MessageNoticeMessage, PortalSignInMessage, PortalSwitchMessage
from chalicelib.jobs.models import JobRecord

#: Customers one switch may name (a group's or the whole register).
MAX_SWITCH_CUSTOMERS = 5000


def run_job(message: PortalSignInMessage | MessageNoticeMessage | PortalSwitchMessage) -> None:
    if isinstance(message, PortalSignInMessage):
        service.send_sign_in_link(message.account_id, message.email, message.phone)
    elif isinstance(message, MessageNoticeMessage):
        conversation.deliver_notice(message.account_id, message.customer_id, message.side)
    else:
        run_switch_page(message)


def _all_customer_ids(account_id: str) -> list[str]:
    found: list[str] = []
    cursor = None
    while True:
        page, cursor = list_customers(account_id, CustomerFilter(), 200, cursor)
        found += [customer.id for customer in page]
        if len(found) > MAX_SWITCH_CUSTOMERS:
            raise errors.InvalidInputError.for_field(
                "all", f"at most {MAX_SWITCH_CUSTOMERS} customers at once; switch them by group")
        if cursor is None:
            return found


def switch_portal(account_id: str, actor: str, request: PortalSwitch, idempotency_key: str | None) -> JobRecord:
    """Start the job (or, for a repeated `Idempotency-Key`, the one the first request started)."""
    jobs.check_idempotency_key(idempotency_key)
    fingerprint = hashlib.sha256(request.model_dump_json().encode()).hexdigest()
    earlier = jobs.job_for_key(account_id, "portal_switch", idempotency_key, fingerprint)
    if earlier is not None:
        return earlier
    if request.customer_ids is not None:
        customer_ids = list(dict.fromkeys(request.customer_ids))
    elif request.group_id is not None:
        customer_ids = groups.member_ids(account_id, request.group_id, MAX_SWITCH_CUSTOMERS)
    else:
        customer_ids = _all_customer_ids(account_id)
    job, created = jobs.start_job(account_id, "portal_switch", actor, len(customer_ids), idempotency_key,
                                  fingerprint)
    if not created:
        return job
    return jobs.queue_pages(account_id, job, customer_ids, lambda page: PortalSwitchMessage(
        kind="portal_switch", account_id=account_id, job_id=job.id, actor=actor, enabled=request.enabled,
        customer_ids=page))


def run_switch_page(message: PortalSwitchMessage) -> None:
    account_id, job_id = message.account_id, message.job_id
    customer_ids = message.customer_ids
    handled = jobs.open_page(account_id, job_id, customer_ids)
    if handled is None:
        return
    for customer_id in customer_ids:
        if customer_id in handled:
            continue
        entry = activity.entry(account_id, customer_id, "portal_switched", message.actor,
                               {"enabled": message.enabled, "job_id": job_id})
        try:
            portal_state.set_enabled(account_id, customer_id, message.enabled,
                                     [entry, *jobs.step_done_actions(account_id, job_id, customer_id)])
        except errors.DossierError as exc:
            if jobs.handled(account_id, job_id, [customer_id]):
                continue  # another delivery of this page did it
            jobs.step_failed(account_id, job_id, customer_id, exc.code)
    jobs.finish_if_complete(account_id, job_id)
