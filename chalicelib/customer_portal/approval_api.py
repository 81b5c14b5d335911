"""HTTP: the portal side of approvals. The signed-in customer approves or declines a document staff sent
(cookie + X-CSRF-Token, permission `approve_documents`); it lives beside the portal's session handling, which it
reads, while staff's routes are in chalicelib/approvals/api.py."""

from __future__ import annotations

from typing import Any

from chalicelib.api.routing import Access, Router
from chalicelib.approvals import service as approvals
from chalicelib.approvals.api import ApprovalOut
from chalicelib.approvals.models import ApprovalDecision
from chalicelib.customer_portal import service
from chalicelib.customer_portal.api import _client_ip, _signed_in, _user_agent

router = Router(__name__, tag="approvals")


@router.route("/c/{account_id}/api/approvals/{approval_id}", "POST", access=Access.PORTAL, body=ApprovalDecision,
              response=ApprovalOut, errors=(401, 403, 409),
              summary="Approve or decline a document, signed with a name and a signature image (once)")
def decide(account_id: str, approval_id: str, body: ApprovalDecision, request: Any) -> ApprovalOut:
    signed = _signed_in(account_id, request, changing=True)
    service.require(signed, "approve_documents")
    return ApprovalOut.of(approvals.decide(account_id, signed.customer.id, approval_id, body, _client_ip(request),
                                           _user_agent(request)), staff=False)
