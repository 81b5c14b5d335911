"""File rules: presigned uploads straight to S3, and what staff do with the files afterwards.

A presign checks the request (area, size, type, quota), records a reservation that expires with the
policy, and returns a POST policy that pins the exact key, the exact Content-Type and the size. S3 does
the rest; the event handler (chalicelib.events) checks the stored object against the reservation.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from chalicelib import clock, errors, ids
from chalicelib.accounts.models import Account
from chalicelib.accounts.service import load_partition
from chalicelib.activity import repository as activity
from chalicelib.customers.models import Customer
from chalicelib.customers.service import get_customer
from chalicelib.files import names, types
from chalicelib.files.models import Direction, Reservation, StoredFile, UploadRequest, object_key
from chalicelib.files.repository import FileRepository
from chalicelib.settings import get_settings
from chalicelib.storage import objects
from chalicelib.storage.dynamo import TransactionCancelledError


@dataclass
class PresignedUpload:
    file_id: str
    url: str
    fields: dict[str, str]
    expires_at: str


def _human(size: int) -> str:
    return f"{size / 1_048_576:.1f} MB" if size >= 1_048_576 else f"{max(1, size // 1024)} KB"


def check_upload(account: Account, request: UploadRequest, allowed_areas: list[str] | None, reserved: int) -> str:
    """The sanitised file name, or the error that refuses the upload."""
    if allowed_areas is not None and request.area not in allowed_areas:
        raise errors.InvalidInputError.for_field("area", "this link does not upload into that area")
    if request.size > account.max_file_bytes:
        raise errors.FileTooLargeError(
            f"The file has {_human(request.size)}; at most {_human(account.max_file_bytes)} per file are allowed.",
            [{"field": "size", "max_file_bytes": account.max_file_bytes}],
        )
    filename = names.sanitize(request.filename)
    content_type = request.content_type.lower()
    if content_type not in types.ALLOWED_TYPES:
        raise errors.UnsupportedTypeError(
            f"Files of type {content_type} cannot be uploaded. Please send PDF, images, office documents, "
            "text, CSV or ZIP files.", [{"field": "content_type"}])
    if not types.agrees(content_type, filename):
        raise errors.UnsupportedTypeError(
            f"The name '{filename}' does not fit the type {content_type}.", [{"field": "filename"}])
    remaining = account.quota_bytes - account.used_bytes - reserved
    if request.size > remaining:
        raise errors.QuotaExceededError(
            f"The account's storage is full: {_human(max(0, remaining))} left, the file needs {_human(request.size)}.",
            [{"field": "size", "remaining_bytes": max(0, remaining)}],
        )
    return filename


def presign_upload(account: Account, customer: Customer, request: UploadRequest, *, direction: Direction,
                   actor: str, link_id: str | None, allowed_areas: list[str] | None) -> PresignedUpload:
    settings = get_settings()
    repository = FileRepository()
    now = clock.now()
    reserved = repository.reserved_bytes(account.id, now, settings.upload_url_ttl_seconds)
    filename = check_upload(account, request, allowed_areas, reserved)
    file_id = ids.new_id()
    key = object_key(account.id, customer.id, file_id)
    expires_at = clock.iso(now + datetime.timedelta(seconds=settings.upload_url_ttl_seconds))
    repository.reserve(account.id, Reservation(
        file_id=file_id, customer_id=customer.id, key=key, area=request.area, filename=filename, size=request.size,
        content_type=request.content_type.lower(), direction=direction, link_id=link_id, actor=actor,
        created_at=clock.iso(now), expires_at=expires_at,
    ))
    post = objects.presigned_post(settings.uploads_bucket, key, request.content_type.lower(), request.size,
                                  settings.upload_url_ttl_seconds)
    return PresignedUpload(file_id=file_id, url=post["url"], fields=post["fields"], expires_at=expires_at)


def staff_upload(account_id: str, actor: str, customer_id: str, request: UploadRequest, direction: Direction
                 ) -> PresignedUpload:
    partition = load_partition(account_id)
    customer = get_customer(account_id, customer_id)
    if customer.closing:
        raise errors.NotFoundError("There is no such customer.")
    areas = ["general", *[a.id for a in partition.attributes.values() if a.is_area]]
    return presign_upload(partition.account, customer, request, direction=direction, actor=actor, link_id=None,
                          allowed_areas=areas)


def _file_of(account_id: str, customer_id: str, file_id: str) -> StoredFile:
    get_customer(account_id, customer_id)
    file = FileRepository().get(account_id, file_id) if ids.is_id(file_id) else None
    if file is None or file.customer_id != customer_id:
        raise errors.NotFoundError("There is no such file.")
    return file


def list_files(account_id: str, customer_id: str, direction: Direction | None, limit: int, cursor: str | None
               ) -> tuple[list[StoredFile], str | None]:
    get_customer(account_id, customer_id)
    return FileRepository().page_for_customer(account_id, customer_id, direction, limit, cursor)


def download_url(file: StoredFile) -> str | None:
    """A short-lived GET of a stored file, as an attachment under its (safe) name."""
    if file.state != "stored":
        return None
    settings = get_settings()
    return objects.presigned_get(settings.uploads_bucket, file.key, settings.download_url_ttl_seconds,
                                 download_name=file.filename)


def get_file(account_id: str, customer_id: str, file_id: str) -> tuple[StoredFile, str | None]:
    file = _file_of(account_id, customer_id, file_id)
    return file, download_url(file)


def review_file(account_id: str, actor: str, customer_id: str, file_id: str, review: str, comment: str | None
                ) -> StoredFile:
    file = _file_of(account_id, customer_id, file_id)
    if file.state != "stored":
        raise errors.ConflictError("A rejected file cannot be reviewed.")
    if review == "needs_clarification" and not comment:
        raise errors.InvalidInputError.for_field("review_comment", "say what needs clarification")
    entry = activity.entry(account_id, customer_id, "file_reviewed", actor,
                           {"file_id": file.id, "filename": file.filename, "review": review, "comment": comment})
    try:
        FileRepository().set_review(account_id, file.id, review, comment, [entry])
    except TransactionCancelledError as exc:
        raise errors.NotFoundError("There is no such file.") from exc
    return file.model_copy(update={"review": review, "review_comment": comment})


def delete_file(account_id: str, customer_id: str, file_id: str) -> None:
    """Delete the object; its S3 event then removes the record and frees the quota, exactly once. A rejected
    file has no object any more: its record goes at once."""
    file = _file_of(account_id, customer_id, file_id)
    repository = FileRepository()
    if file.state == "rejected":
        repository.delete_record(account_id, file.id)
        return
    repository.mark_deleting(account_id, file.id)
    objects.delete(get_settings().uploads_bucket, file.key)


def files_by_area(files: list[StoredFile]) -> dict[str, list[StoredFile]]:
    grouped: dict[str, list[StoredFile]] = {}
    for file in files:
        grouped.setdefault(file.area, []).append(file)
    return grouped
