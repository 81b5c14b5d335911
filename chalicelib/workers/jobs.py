"""The SQS handler behind `handle_jobs`: one message per batch (a job may take minutes); powertools' batch
processing reports a failed record, and SQS delivers it again, up to the dead-letter queue.

It maps each job kind to the domain function that runs it, so it sits above every domain it dispatches to
(`chalicelib.jobs` only queues and tracks jobs and imports no domain)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from pydantic import ValidationError

from chalicelib.jobs import queue
from chalicelib.jobs.messages import (
    BulkRequestMessage,
    DeleteAttributeMessage,
    DeleteCustomerMessage,
    DeleteGroupMessage,
    MessageNoticeMessage,
    PortalSignInMessage,
    PortalSwitchMessage,
    ReconcileAccountMessage,
    parse,
)
from chalicelib.observability import logger


def _run(record: SQSRecord) -> None:
    try:
        message = parse(record.body)
    except ValidationError:
        # Retrying cannot make it a job: log and drop.
        logger.error("dropping a jobs message that is not a job", extra={"body": record.body[:200]})
        return
    try:
        if isinstance(message, DeleteCustomerMessage):
            from chalicelib.lifecycle.service import delete_customer

            delete_customer(message.account_id, message.customer_id)
        elif isinstance(message, BulkRequestMessage):
            from chalicelib.bulk.service import run_page

            run_page(message)
        elif isinstance(message, PortalSignInMessage | MessageNoticeMessage | PortalSwitchMessage):
            from chalicelib.customer_portal.jobs import run_job as run_portal_job

            run_portal_job(message)
        elif isinstance(message, ReconcileAccountMessage):
            from chalicelib.reconcile.handler import run_account

            run_account(message)
        elif isinstance(message, DeleteAttributeMessage | DeleteGroupMessage):
            rest: DeleteAttributeMessage | DeleteGroupMessage | None
            if isinstance(message, DeleteAttributeMessage):
                from chalicelib.workers.attributes import run_attribute_deletion

                rest = run_attribute_deletion(message)
            else:
                from chalicelib.groups.service import run_group_deletion

                rest = run_group_deletion(message)
            if rest is not None:  # the checkpoint: the rest runs as a new message
                queue.send(rest)
        else:
            from chalicelib.exports.service import run_job

            run_job(message.account_id, message.job_id)
    except Exception:
        logger.exception("job failed; SQS will deliver it again",
                         extra={"message_id": record.message_id, "kind": message.kind})
        raise


def handle_jobs(event: dict[str, Any], context: Any) -> PartialItemFailureResponse:
    processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)
    with processor(records=event.get("Records", []), handler=_run, lambda_context=context):
        processor.process()
    return processor.response()
