"""Approvals: staff ask a customer to approve one exact version of a document they sent; the customer decides
once, with their name and a drawn (or typed) signature."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from chalicelib.models import InputModel

Decision = Literal["approved", "declined"]
#: A signature image is a PNG of at most this many bytes and pixels per side.
#: (150 KB keeps its base64 within the API's 256 KB request body, which answers 413 beyond that.)
MAX_SIGNATURE_BYTES = 150 * 1024
MAX_SIGNATURE_SIDE = 2000


def signature_key(account_id: str, customer_id: str, name: str) -> str:
    """Where an approval's signature image is kept (uploads bucket, outside `files/`, so that the upload
    pipeline never takes it for an upload)."""
    return f"{signature_prefix(account_id, customer_id)}{name}.png"


def signature_prefix(account_id: str, customer_id: str) -> str:
    """Where the signature images drawn by one customer are kept."""
    return f"signatures/{account_id}/{customer_id}/"


class Approval(BaseModel):
    model_config = ConfigDict(defer_build=True)

    id: str
    customer_id: str
    file_id: str
    filename: str
    #: The S3 version of the document asked about: the decision is about these bytes only.
    version_id: str | None = None
    message: str = ""
    requested_by: str
    requested_at: str
    decision: Decision | None = None
    signer_name: str | None = None
    signed_at: str | None = None
    ip: str | None = None
    user_agent: str | None = None
    comment: str | None = None
    #: SHA-256 (hex) of the pinned document version, computed by Dossier when the customer decided.
    document_sha256: str | None = None
    signature_key: str | None = None
    signature_size: int | None = None


class ApprovalRequest(InputModel):
    file_id: str = Field(min_length=1, max_length=64, description="A file staff sent to the customer")
    message: str = Field("", max_length=2000, description="What the customer is asked to approve")


class ApprovalDecision(InputModel):
    decision: Decision
    signer_name: str = Field(min_length=1, max_length=200, description="The name the customer signs with")
    signature_png: str = Field(min_length=1, max_length=262_144,
                               description="The signature image: a PNG (≤ 150 KB, ≤ 2000 px a side), base64")
    comment: str | None = Field(None, max_length=2000)
