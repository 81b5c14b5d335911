"""Sending work to the jobs queue (handled by `handle_jobs`; locally by the pump)."""

from __future__ import annotations

from chalicelib import aws
from chalicelib.jobs.messages import Job
from chalicelib.settings import get_settings


def send(message: Job) -> None:
    url = get_settings().jobs_queue_url
    if not url:
        raise RuntimeError("DOSSIER_JOBS_QUEUE_URL is not set: jobs have nowhere to go")
    aws.client("sqs").send_message(QueueUrl=url, MessageBody=message.model_dump_json())
