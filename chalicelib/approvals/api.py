"""HTTP: approvals. Staff ask a customer to approve a document they sent and read the answers; the signed-in
customer decides in the portal (cookie + X-CSRF-Token, permission `approve_documents`)."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from chalicelib.activity.models import staff_actor
from chalicelib.api.routing import Access, Router
from chalicelib.approvals import service
from chalicelib.approvals.models import Approval, ApprovalDecision, ApprovalRequest
from chalicelib.auth.tokens import Principal
from chalicelib.customer_portal import service as portal
from chalicelib.customer_portal.api import _client_ip, _signed_in, _user_agent
from chalicelib.models import OutputModel

router = Router(__name__, tag="approvals")


class ApprovalOut(OutputModel):
    id: str
    file_id: str
    filename: str
    version_id: str | None = Field(description="The S3 version of the document the approval is about")
    message: str
    requested_at: str
    decision: str | None = Field(description='null while pending, then "approved" or "declined"')
    signer_name: str | None
    signed_at: str | None
    comment: str | None
    document_sha256: str | None = Field(description="SHA-256 (hex) of the pinned document version, computed by "
                                                    "Dossier at the decision")
    ip: str | None = None
    user_agent: str | None = None
    download_url: str | None = Field(None, description="The pinned document version")

    @classmethod
    def of(cls, approval: Approval, download_url: str | None = None, staff: bool = True) -> ApprovalOut:
        shown = approval.model_dump(exclude={"customer_id", "requested_by", "signature_key", "signature_size"})
        if not staff:
            shown.update(ip=None, user_agent=None)
        return cls(**shown, download_url=download_url)


class ApprovalsOut(OutputModel):
    items: list[ApprovalOut]


@router.route("/customers/{id}/approvals", "POST", status=201, body=ApprovalRequest, response=ApprovalOut,
              summary="Ask the customer to approve a document staff sent them (its current version is pinned)")
def request_approval(principal: Principal, id: str, body: ApprovalRequest) -> ApprovalOut:  # noqa: A002
    return ApprovalOut.of(service.request_approval(principal.account_id, staff_actor(principal.user_id), id,
                                                   body.file_id, body.message))


@router.route("/customers/{id}/approvals", "GET", response=ApprovalsOut,
              summary="The customer's approvals, newest first, with their decisions")
def list_approvals(principal: Principal, id: str) -> ApprovalsOut:  # noqa: A002
    return ApprovalsOut(items=[ApprovalOut.of(a) for a in service.list_approvals(principal.account_id, id)])


@router.route("/c/{account_id}/api/approvals/{approval_id}", "POST", access=Access.PORTAL, body=ApprovalDecision,
              response=ApprovalOut, errors=(401, 403, 409),
              summary="Approve or decline a document, signed with a name and a signature image (once)")
def decide(account_id: str, approval_id: str, body: ApprovalDecision, request: Any) -> ApprovalOut:
    signed = _signed_in(account_id, request, changing=True)
    portal.require(signed, "approve_documents")
    return ApprovalOut.of(service.decide(account_id, signed.customer.id, approval_id, body, _client_ip(request),
                                         _user_agent(request)), staff=False)
