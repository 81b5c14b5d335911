"""HTTP: approvals. Staff ask a customer to approve a document they sent and read the answers; the signed-in
customer decides in the portal (chalicelib/customer_portal/approval_api.py, beside the portal's sessions)."""

from pydantic import Field

from chalicelib.activity.models import staff_actor
from chalicelib.api.routing import Router
from chalicelib.approvals import service
from chalicelib.approvals.models import Approval, ApprovalRequest
from chalicelib.auth.tokens import Principal
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
    signature_url: str | None = Field(None, description="Only in GET /customers/{id}/approvals/{approval_id} "
                                                        "(staff): a short-lived GET of the signature image (PNG)")

    @classmethod
    def of(cls, approval: Approval, download_url: str | None = None, staff: bool = True,
           signature_url: str | None = None) -> "ApprovalOut":
        shown = approval.model_dump(exclude={"customer_id", "requested_by", "signature_key", "signature_size"})
        if not staff:
            shown.update(ip=None, user_agent=None)
        return cls(**shown, download_url=download_url, signature_url=signature_url)


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


@router.route("/customers/{id}/approvals/{approval_id}", "GET", response=ApprovalOut, audit=True,
              summary="One approval with short-lived URLs of the pinned document and the signature image")
def get_approval(principal: Principal, id: str, approval_id: str) -> ApprovalOut:  # noqa: A002
    # Like a file download: each hand-out of the signature image is in the audit log, so the list has no URLs.
    approval = service.get_approval(principal.account_id, id, approval_id)
    return ApprovalOut.of(approval, download_url=service.document_url(principal.account_id, approval),
                          signature_url=service.signature_url(approval))
