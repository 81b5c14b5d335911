"""Approvals: staff ask a customer to approve one exact version of a document they sent; the customer decides
once, with their name and a drawn (or typed) signature."""

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from chalicelib.models import InputModel
from chalicelib.signature_images import MAX_SIGNATURE_BASE64

# Approvals keep their images where signature fields keep theirs.
from chalicelib.signature_images import MAX_SIGNATURE_BYTES as MAX_SIGNATURE_BYTES
from chalicelib.signature_images import MAX_SIGNATURE_SIDE as MAX_SIGNATURE_SIDE
from chalicelib.signature_images import signature_key as signature_key
from chalicelib.signature_images import signature_prefix as signature_prefix

Decision = Literal["approved", "declined"]


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
    signature_png: str = Field(min_length=1, max_length=MAX_SIGNATURE_BASE64,
                               description="The signature image: a PNG (≤ 150 KB, ≤ 2000 px a side), base64")
    comment: str | None = Field(None, max_length=2000)
