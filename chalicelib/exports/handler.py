"""The event handlers behind `handle_export_jobs` (the jobs queue) and `run_scheduled_exports` (daily).

Jobs arrive one per message (batch size 1: a job may take minutes); powertools' batch processing reports
a record that failed alone, and SQS delivers it again, up to the dead-letter queue.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from chalicelib.exports import service
from chalicelib.observability import logger


def handle_jobs(event: dict[str, Any], context: Any) -> dict[str, Any]:
    def handle_record(record: SQSRecord) -> None:
        message = service.parse_message(record.body)
        if message is None:
            return
        try:
            service.run_job(message.account_id, message.job_id)
        except Exception:
            logger.exception("export job record failed; SQS will deliver it again",
                             extra={"message_id": record.message_id, "export_id": message.job_id})
            raise

    processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)
    with processor(records=event.get("Records", []), handler=handle_record, lambda_context=context):
        processor.process()
    return processor.response()


def run_schedule(event: dict[str, Any]) -> dict[str, Any]:
    day = service.schedule_day(event.get("time"))
    queued = service.schedule_exports(day)
    return {"day": day.isoformat(), "jobs": len(queued)}
