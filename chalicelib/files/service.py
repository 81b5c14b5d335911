"""File rules: presigned uploads straight to S3, and what staff do with the files afterwards.

A presign checks the request (area, size, type, quota), records a reservation that expires with the
policy, and returns a POST policy that pins the exact key, the exact Content-Type and the size. S3 does
the rest; the event handler (chalicelib.events) checks the stored object against the reservation.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Iterator
from typing import Any, NamedTuple

from chalicelib import clock, errors, ids
from chalicelib.accounts.models import Account
from chalicelib.accounts.service import load_partition
from chalicelib.activity import service as activity
from chalicelib.audit import service as audit
from chalicelib.customers.models import Customer
from chalicelib.customers.service import get_customer, visible_customers
from chalicelib.files import names, types
from chalicelib.files.ledger import (
    CUSTOMER_MAX_BYTES,
    CUSTOMER_MAX_OPEN,
    LINK_MAX_BYTES,
    LINK_MAX_OPEN,
    LINK_PRESIGNS_PER_WINDOW,
    PORTAL_SHARE,
    Held,
    Ledger,
    retry_after,
    window_of,
)
from chalicelib.files.models import Direction, Reservation, StoredFile, UploadRequest, object_key
from chalicelib.files.repository import FileRepository, ReservationRepository
from chalicelib.settings import get_settings
from chalicelib.storage import objects
from chalicelib.storage.dynamo import Action, TransactionCancelledError


class PresignedUpload(NamedTuple):
    file_id: str
    url: str
    fields: dict[str, str]
    expires_at: str


def _human(size: int) -> str:
    return f"{size / 1_048_576:.1f} MB" if size >= 1_048_576 else f"{max(1, size // 1024)} KB"


def check_upload(account: Account, request: UploadRequest, allowed_areas: list[str] | None) -> str:
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
    return filename


def _check_held(account: Account, request: UploadRequest, ledgers: tuple[Ledger, Ledger, Ledger | None],
                now: float, portal: bool) -> None:
    """Refuse a presign that would hold more than its link, its customer or the account may (O(1): the
    ledgers' counters, never the reservations themselves)."""
    account_ledger, customer_ledger, link_ledger = ledgers
    if link_ledger is not None and link_ledger.presigns_in(window_of(now)) >= LINK_PRESIGNS_PER_WINDOW:
        raise errors.RateLimitedError("Too many uploads were started through this link in a short time. "
                                      "Please try again shortly.", retry_after(now))
    if portal:
        for scope, ledger, max_open, max_bytes in (("link", link_ledger, LINK_MAX_OPEN, LINK_MAX_BYTES),
                                                   ("customer", customer_ledger, CUSTOMER_MAX_OPEN,
                                                    CUSTOMER_MAX_BYTES)):
            held = ledger.held(now) if ledger is not None else Held()
            if held.count >= max_open or held.bytes + request.size > max_bytes:
                raise errors.UploadLimitError(
                    f"Too many uploads are in progress through this {scope}. Please wait until they finish.",
                    [{"field": "size", "scope": scope, "open_uploads": held.count, "max_open_uploads": max_open,
                      "reserved_bytes": held.bytes, "max_reserved_bytes": max_bytes}])
    held = account_ledger.held(now)
    free = account.free_bytes
    remaining = free - held.bytes
    if portal:
        # Portal uploads leave a share of the free storage to staff.
        remaining = min(remaining, int(max(0, free) * PORTAL_SHARE) - held.portal_bytes)
    if request.size > remaining:
        raise errors.QuotaExceededError(
            f"The account's storage is full: {_human(max(0, remaining))} left, the file needs {_human(request.size)}.",
            [{"field": "size", "remaining_bytes": max(0, remaining)}],
        )


def presign_upload(account: Account, customer: Customer, request: UploadRequest, *, direction: Direction,
                   actor: str, link_id: str | None, allowed_areas: list[str] | None,
                   link_expires_at: str | None = None, portal: bool | None = None) -> PresignedUpload:
    """A reservation and its presigned POST. `portal` (default: whether a link is given) applies the limits of
    customer uploads (the permanent portal's uploads outside a request have no link)."""
    settings = get_settings()
    repository = ReservationRepository()
    now = clock.now()
    filename = check_upload(account, request, allowed_areas)
    ledgers = repository.ledgers(account.id, customer.id, link_id)
    _check_held(account, request, ledgers, now.timestamp(), portal=link_id is not None if portal is None else portal)
    file_id = ids.new_id()
    audit.name_target(target=f"/customers/{customer.id}/files/{file_id}", customer_id=customer.id)
    key = object_key(account.id, customer.id, file_id)
    expires_at = clock.iso(now + datetime.timedelta(seconds=settings.upload_url_ttl_seconds))
    repository.reserve(account.id, Reservation(
        file_id=file_id, customer_id=customer.id, key=key, area=request.area, filename=filename, size=request.size,
        content_type=request.content_type.lower(), direction=direction, link_id=link_id, actor=actor,
        created_at=clock.iso(now), expires_at=expires_at, window=window_of(now.timestamp()),
        link_expires_at=link_expires_at,
    ), ledgers, now.timestamp())
    post = objects.presigned_post(settings.uploads_bucket, key, request.content_type.lower(), request.size,
                                  settings.upload_url_ttl_seconds)
    return PresignedUpload(file_id=file_id, url=post["url"], fields=post["fields"], expires_at=expires_at)


def link_revoked_action(account_id: str, customer_id: str, link_id: str, at: str) -> Action:
    """The write (for the revoking transaction) that makes upload events refuse objects stored through the link
    from `at` on, for as long as such events can arrive."""
    return ReservationRepository().revocation_action(account_id, customer_id, link_id, at, clock.now().timestamp())


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


def review_inbox(account_id: str, review: str, limit: int, cursor: str | None
                 ) -> tuple[list[tuple[StoredFile, Customer]], str | None]:
    """Received files waiting in one review state across the account, newest first, each with its customer.
    Files of customers being deleted are left out, so a page may hold fewer than `limit` while a cursor
    follows."""
    found, next_cursor = FileRepository().page_for_review(account_id, review, limit, cursor)
    customers = visible_customers(account_id, {f.customer_id for f in found})
    return [(f, customers[f.customer_id]) for f in found if f.customer_id in customers], next_cursor


def download_url(file: StoredFile) -> str | None:
    """A short-lived GET of a stored file, as an attachment under its (safe) name."""
    if file.state != "stored":
        return None
    settings = get_settings()
    return objects.presigned_get(settings.uploads_bucket, file.key, settings.download_url_ttl_seconds,
                                 download_name=file.filename, version_id=file.version_id)


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
                           {"file_id": file.id, "filename": file.filename, "review": review, "comment": comment,
                            "version_id": file.version_id})
    try:
        FileRepository().set_review(account_id, file, review, comment, [entry])
    except TransactionCancelledError as exc:
        if _file_of(account_id, customer_id, file_id).version_id != file.version_id:
            raise errors.ConflictError("The customer replaced the file meanwhile; look at it again.") from exc
        raise errors.NotFoundError("There is no such file.") from exc
    return file.model_copy(update={"review": review, "review_comment": comment,
                                   "reviewed_version_id": file.version_id})


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


# --- for the domains above (exports, portal, reconcile) ---


def customer_files(account_id: str, customer_id: str) -> list[StoredFile]:
    """Every file record of the customer, whatever its state, newest first (no visibility check: the caller's)."""
    return FileRepository().for_customer(account_id, customer_id)


def customer_files_page(account_id: str, customer_id: str, limit: int, cursor: str | None
                        ) -> tuple[list[StoredFile], str | None]:
    """One page of the customer's files, received and sent, newest first, for a caller that resolved the customer."""
    return FileRepository().page_for_customer(account_id, customer_id, None, limit, cursor)


def all_files(account_id: str) -> Iterable[StoredFile]:
    """Every file record of the account, whatever its state (for the reconciliation)."""
    return FileRepository().all_files(account_id)


# --- for the customer's deletion and merge (chalicelib/lifecycle) ---

#: Files a merge moves in one transaction (with the counter changes on both customers).
FILES_PER_MOVE = 25


def delete_customer_files(account_id: str, customer_id: str) -> None:
    """A deleted customer's files: a stored file is flagged and its object deleted (its S3 event then drops the
    record and frees the quota, exactly once); any other record goes at once. Idempotent."""
    repository = FileRepository()
    bucket = get_settings().uploads_bucket
    for file in repository.for_customer(account_id, customer_id):
        if file.state == "stored":
            repository.mark_deleting(account_id, file.id)
            objects.delete(bucket, file.key)
        else:
            repository.delete_record(account_id, file.id)


def reservation_keys(account_id: str, customer_id: str) -> list[dict[str, str]]:
    """The keys of the customer's reservations (uploads promised, not recorded), for the deletion's batch."""
    return FileRepository().reservations_of(account_id, customer_id)


def move_customer_files(account_id: str, source_id: str, target_id: str) -> None:
    """A merge: the source's files go to the target, a transaction per FILES_PER_MOVE, each moving the counters
    along, so both customers' counters are right after every one."""
    repository = FileRepository()
    moving = repository.for_customer(account_id, source_id)
    for start in range(0, len(moving), FILES_PER_MOVE):
        repository.move(account_id, moving[start:start + FILES_PER_MOVE], source_id, target_id)


# --- for the attribute clean-ups at the top (chalicelib/workers/attributes.py) ---


def files_page(account_id: str, start: dict[str, Any] | None, limit: int
               ) -> tuple[list[StoredFile], dict[str, Any] | None]:
    """One page of the account's file records (whatever their state) from `start` (opaque: the previous page's next
    start), and the next start (None at the end)."""
    return FileRepository().files_page(account_id, start, limit)


def area_files(account_id: str, area: str) -> Iterator[StoredFile]:
    """Every file record in an upload area, whatever its state (jobs only)."""
    return FileRepository().in_area(account_id, area)


def move_to_general(account_id: str, file: StoredFile) -> None:
    """The file's upload area was deleted: the file stays, under the general documents (its count moves along)."""
    FileRepository().move_to_general(account_id, file)
