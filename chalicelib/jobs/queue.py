"""Sending work to the jobs queue (handled by `handle_jobs`; locally by the pump)."""

from __future__ import annotations

import itertools
from collections.abc import Iterable

from chalicelib import aws
from chalicelib.jobs.messages import Job
from chalicelib.settings import get_settings


def send(message: Job, delay_seconds: int = 0) -> None:
    """Queue one job; `delay_seconds` (at most 900, SQS's limit) keeps it from being delivered before then."""
    url = get_settings().jobs_queue_url
    if not url:
        raise RuntimeError("DOSSIER_JOBS_QUEUE_URL is not set: jobs have nowhere to go")
    if delay_seconds > 0:
        aws.client("sqs").send_message(QueueUrl=url, MessageBody=message.model_dump_json(),
                                       DelaySeconds=min(900, delay_seconds))
    else:
        aws.client("sqs").send_message(QueueUrl=url, MessageBody=message.model_dump_json())


def send_all(messages: Iterable[Job]) -> int:
    """Send many messages, ten to a request; how many were sent. A batch SQS only partly took fails."""
    url = get_settings().jobs_queue_url
    if not url:
        raise RuntimeError("DOSSIER_JOBS_QUEUE_URL is not set: jobs have nowhere to go")
    sqs, sent, pending = aws.client("sqs"), 0, iter(messages)
    while batch := list(itertools.islice(pending, 10)):
        reply = sqs.send_message_batch(QueueUrl=url, Entries=[
            {"Id": str(n), "MessageBody": message.model_dump_json()} for n, message in enumerate(batch)])
        if reply.get("Failed"):
            raise RuntimeError(f"SQS did not take {len(reply['Failed'])} job messages: {reply['Failed'][:3]}")
        sent += len(batch)
    return sent
