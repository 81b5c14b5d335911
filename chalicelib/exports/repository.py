"""Export jobs in DynamoDB (`{acc}#EXPORT` partition, storage/keys.py), export files in the exports bucket.

A job item expires (table TTL) with its object, after RETENTION_DAYS, so the list never offers a download
whose object the bucket's lifecycle rule already removed.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from chalicelib import aws, clock
from chalicelib.exports.models import RETENTION_DAYS, ExportJob
from chalicelib.storage import cursors, keys
from chalicelib.storage.dynamo import ConditionFailedError, Table
from chalicelib.storage.tables import main_table

#: Job items stay a day longer than their objects (TTL deletion is not instant, nor is lifecycle expiry).
_ITEM_GRACE_SECONDS = 24 * 3600


def job_to_item(account_id: str, job: ExportJob) -> dict[str, Any]:
    expires = clock.epoch(job.created_at) + RETENTION_DAYS * 86400 + _ITEM_GRACE_SECONDS
    return {**keys.export(account_id, job.id), "entity": "export", **job.model_dump(), "expires_at_epoch": expires}


def job_from_item(item: dict[str, Any]) -> ExportJob:
    return ExportJob.model_validate({k: v for k, v in item.items() if k in ExportJob.model_fields})


class ExportRepository:
    def __init__(self, table: Table | None = None) -> None:
        self.table = table or main_table()

    def put(self, account_id: str, job: ExportJob) -> None:
        """Store a job; an existing one with the same id (a scheduled rerun the same day) is replaced."""
        self.table.put(job_to_item(account_id, job))

    def get(self, account_id: str, job_id: str) -> ExportJob | None:
        item = self.table.get(keys.export(account_id, job_id))
        return job_from_item(item) if item else None

    def page(self, account_id: str, limit: int, cursor: str | None) -> tuple[list[ExportJob], str | None]:
        """Newest first."""
        partition = keys.exports_partition(account_id)
        page = self.table.query(partition, forward=False, limit=limit,
                                start_key=cursors.decode(cursor, partition=partition))
        return [job_from_item(item) for item in page.items], cursors.encode(page.last_key)

    def for_customer(self, account_id: str, customer_id: str) -> list[ExportJob]:
        """The customer's own exports (the partition holds at most RETENTION_DAYS of jobs)."""
        items = self.table.query_all(keys.exports_partition(account_id), filter_expression="customer_id = :customer",
                                     values={":customer": customer_id})
        return [job_from_item(item) for item in items]

    def start(self, account_id: str, job_id: str, at: str) -> ExportJob | None:
        """Mark a pending (or stalled running) job running and count the attempt; None if it is finished or
        gone meanwhile."""
        try:
            item = self.table.update(
                keys.export(account_id, job_id),
                "SET #status = :running, started_at = :at ADD attempts :one",
                names={"#status": "status"},
                values={":running": "running", ":at": at, ":one": 1, ":pending": "pending"},
                condition="attribute_exists(pk) AND (#status = :pending OR #status = :running)",
            )
        except ConditionFailedError:
            return None
        return job_from_item(item)

    def finish(self, account_id: str, job_id: str, rows: int, size: int, at: str) -> None:
        self.table.update(
            keys.export(account_id, job_id),
            "SET #status = :done, #rows = :rows, #size = :size, finished_at = :at REMOVE reason",
            names={"#status": "status", "#rows": "rows", "#size": "size"},
            values={":done": "done", ":rows": rows, ":size": size, ":at": at},
            condition="attribute_exists(pk)", return_values="NONE",
        )

    def fail(self, account_id: str, job_id: str, reason: str, at: str) -> None:
        self.table.update(
            keys.export(account_id, job_id),
            "SET #status = :failed, reason = :reason, finished_at = :at",
            names={"#status": "status"},
            values={":failed": "failed", ":reason": reason, ":at": at},
            condition="attribute_exists(pk)", return_values="NONE",
        )

    def delete(self, account_id: str, job_id: str) -> None:
        self.table.delete(keys.export(account_id, job_id))

    def scheduled_account_ids(self) -> Iterator[str]:
        """Accounts whose export schedule is enabled (the sparse gsi1 entry on their account items)."""
        for item in self.table.query_all(keys.SCHEDULED_EXPORTS, index=keys.GSI1):
            yield item["gsi1sk"]


class ExportFiles:
    """The exports bucket: finished files go in whole or not at all."""

    def __init__(self, bucket: str) -> None:
        self.bucket = bucket

    def upload(self, path: str, key: str, content_type: str) -> None:
        """Upload a finished local file. A single PUT is atomic, and a multipart upload that fails is aborted
        by the transfer manager; either way no partial object appears under `key`."""
        from boto3.s3.transfer import TransferConfig

        # Four parts in flight at most: bounded memory whatever the file size.
        config = TransferConfig(multipart_chunksize=8 * 1024 * 1024, max_concurrency=4)
        aws.client("s3").upload_file(path, self.bucket, key, ExtraArgs={"ContentType": content_type},
                                     Config=config)

    def delete(self, key: str) -> None:
        aws.client("s3").delete_object(Bucket=self.bucket, Key=key)
