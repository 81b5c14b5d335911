"""Approvals' rules: staff ask about a document they sent (its current S3 version is pinned); the customer
decides once, signing with a name and an image; Dossier records who, when, from where, and the SHA-256 of
the pinned bytes as it reads them itself."""

from __future__ import annotations

import hashlib
from typing import Any

from chalicelib import clock, errors, ids
from chalicelib.activity import service as activity
from chalicelib.activity.models import CUSTOMER
from chalicelib.approvals.models import Approval, ApprovalDecision, signature_key, signature_prefix
from chalicelib.approvals.repository import AlreadyDecidedError, ApprovalRepository
from chalicelib.approvals.signature import decode_png
from chalicelib.customers.service import get_customer
from chalicelib.files import service as files
from chalicelib.settings import get_settings
from chalicelib.storage import objects, streams


def _not_found(what: str = "approval") -> errors.NotFoundError:
    return errors.NotFoundError(f"There is no such {what}.")


def request_approval(account_id: str, actor: str, customer_id: str, file_id: str, message: str) -> Approval:
    """Ask the customer to approve a file staff sent them (404 for any other file)."""
    get_customer(account_id, customer_id)
    try:
        file, _ = files.get_file(account_id, customer_id, file_id) if ids.is_id(file_id) else (None, None)
    except errors.NotFoundError:
        file = None
    if file is None or file.direction != "sent" or file.state != "stored" or file.deleting:
        raise errors.NotFoundError("There is no such file sent to this customer.",
                                   [{"field": "file_id", "message": "not a file sent to this customer"}])
    approval = Approval(id=ids.new_id(), customer_id=customer_id, file_id=file.id, filename=file.filename,
                        version_id=file.version_id, message=message, requested_by=actor,
                        requested_at=clock.now_iso())
    ApprovalRepository().add(account_id, approval, [
        activity.entry(account_id, customer_id, "approval_requested", actor,
                       {"approval_id": approval.id, "file_id": file.id, "filename": file.filename})])
    return approval


def list_approvals(account_id: str, customer_id: str) -> list[Approval]:
    get_customer(account_id, customer_id)
    return ApprovalRepository().of_customer(account_id, customer_id)


def get_approval(account_id: str, customer_id: str, approval_id: str) -> Approval:
    """One of the customer's approvals (404 for any other id)."""
    get_customer(account_id, customer_id)
    approval = ApprovalRepository().get(account_id, approval_id) if ids.is_id(approval_id) else None
    if approval is None or approval.customer_id != customer_id:
        raise _not_found()
    return approval


def customer_approvals(account_id: str, customer_id: str) -> list[Approval]:
    """The customer's approvals, for a signed-in customer (their session proved the customer)."""
    return ApprovalRepository().of_customer(account_id, customer_id)


def document_url(account_id: str, approval: Approval) -> str | None:
    """A download URL of exactly the pinned version; None when the file is gone."""
    try:
        file, _ = files.get_file(account_id, approval.customer_id, approval.file_id)
    except errors.NotFoundError:
        return None
    return files.download_url(file.model_copy(update={"version_id": approval.version_id}))


def _document_sha256(account_id: str, approval: Approval) -> str:
    try:
        file, _ = files.get_file(account_id, approval.customer_id, approval.file_id)
    except errors.NotFoundError:
        raise errors.ConflictError("The document of this approval was deleted.") from None
    digest = hashlib.sha256()
    try:
        for chunk in streams.read_chunks(get_settings().uploads_bucket, file.key, version_id=approval.version_id):
            digest.update(chunk)
    except objects.ObjectMissingError:
        raise errors.ConflictError("The document of this approval is no longer stored.") from None
    return digest.hexdigest()


def decide(account_id: str, customer_id: str, approval_id: str, decision: ApprovalDecision, ip: str,
           user_agent: str) -> Approval:
    """The customer's decision (once: ConflictError after that). 404 for anything not the customer's own."""
    approval = ApprovalRepository().get(account_id, approval_id) if ids.is_id(approval_id) else None
    if approval is None or approval.customer_id != customer_id:
        raise _not_found()
    if approval.decision is not None:
        raise errors.ConflictError("This document was decided already.")
    image = decode_png(decision.signature_png)
    document_sha256 = _document_sha256(account_id, approval)
    key = signature_key(account_id, customer_id, f"{approval.id}-{ids.new_id()}")
    # The image goes first, under a key of its own: a decision is never stored without its signature, and a
    # decision that loses a race cannot overwrite the winner's image.
    objects.put(get_settings().uploads_bucket, key, image, "image/png")
    decided = approval.model_copy(update={
        "decision": decision.decision, "signer_name": decision.signer_name, "signed_at": clock.now_iso(),
        "ip": ip, "user_agent": user_agent[:500], "comment": decision.comment, "document_sha256": document_sha256,
        "signature_key": key, "signature_size": len(image)})
    try:
        ApprovalRepository().decide(account_id, decided, [
            activity.entry(account_id, customer_id, "approval_decided", CUSTOMER, {
                "approval_id": approval.id, "file_id": approval.file_id, "filename": approval.filename,
                "decision": decision.decision, "signer_name": decision.signer_name, "comment": decision.comment,
                "document_sha256": document_sha256, "ip": ip})])
    except AlreadyDecidedError:
        raise errors.ConflictError("This document was decided already.") from None
    return decided


def signature_url(approval: Approval) -> str | None:
    """A short-lived GET of the signature image (for staff; the console shows it), None before a decision."""
    if not approval.signature_key:
        return None
    settings = get_settings()
    return objects.presigned_get(settings.uploads_bucket, approval.signature_key, settings.download_url_ttl_seconds)


def signature_image(account_id: str, approval: Approval) -> bytes | None:
    if not approval.signature_key:
        return None
    try:
        return objects.get(get_settings().uploads_bucket, approval.signature_key)
    except objects.ObjectMissingError:
        return None


def record(approval: Approval, signature_path: str | None) -> dict[str, Any]:
    """What the customer's archive keeps of an approval: everything but where Dossier stores the signature
    (`signature_path` is its place in the archive)."""
    return {**approval.model_dump(exclude={"signature_key", "signature_size", "customer_id"}),
            "signature_path": signature_path}


# --- the customer's data goes with the customer ---

def forget_customer(account_id: str, customer_id: str) -> None:
    """Right of erasure: the customer's approvals and their signature images go (the customer deletion job
    calls this; idempotent). The images go first, so that a rerun still finds them through their items; the
    prefix also finds images of decisions that lost a race and have no item."""
    repository = ApprovalRepository()
    found = repository.of_customer(account_id, customer_id)
    bucket = get_settings().uploads_bucket
    images = {a.signature_key for a in found if a.signature_key}
    images.update(objects.keys_under(bucket, signature_prefix(account_id, customer_id)))
    for key in sorted(images):
        objects.delete(bucket, key)
    repository.delete(account_id, [a.id for a in found])


def move_customer(account_id: str, source_id: str, target_id: str) -> None:
    """A merge: the source's approvals belong to the target. Their signature images stay where they are; each
    approval keeps its image's key."""
    repository = ApprovalRepository()
    for approval in repository.of_customer(account_id, source_id):
        repository.move(account_id, approval.id, source_id, target_id)
