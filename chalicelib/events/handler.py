"""The SQS batch handler behind `handle_upload_events`: powertools batch processing, so a record that
fails is reported alone (`batchItemFailures`) and retried by SQS, up to the dead-letter queue."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from chalicelib.events.models import parse_message
from chalicelib.events.notifications import notify_staff
from chalicelib.events.pipeline import Outcome, handle
from chalicelib.observability import logger


def handle_batch(event: dict[str, Any], context: Any) -> PartialItemFailureResponse:
    outcomes: list[Outcome] = []

    def handle_record(record: SQSRecord) -> None:
        try:
            for object_event in parse_message(record.body):
                outcomes.append(handle(object_event))
        except Exception:
            logger.exception("event record failed; SQS will deliver it again", extra={"message_id": record.message_id})
            raise

    processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)
    with processor(records=event.get("Records", []), handler=handle_record, lambda_context=context):
        processor.process()
    notify_staff(outcomes)
    return processor.response()
