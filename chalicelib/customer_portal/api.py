"""HTTP: the permanent customer portal. Staff: the access link, messages, the bulk switch. Customers: sign-in
(`/c/{account_id}/login`, the links it sends, the access link), and the home page's API under
`/c/{account_id}/api/`, authenticated by the session cookie; every state-changing call also needs the
session's `X-CSRF-Token`."""

import html
import re
from typing import Any

from chalice import Response
from pydantic import Field

from chalicelib import errors
from chalicelib.accounts.api import BrandingOut
from chalicelib.accounts.service import load_partition
from chalicelib.activity.models import staff_actor
from chalicelib.api.pages import PAGE_SECURITY_HEADERS, ResponseHeaders
from chalicelib.api.routing import FORM, Access, Router
from chalicelib.api.schema import ListQuery, page_of
from chalicelib.auth.tokens import ACCOUNT_ID_PATTERN, Principal
from chalicelib.customer_portal import conversation, service
from chalicelib.customer_portal.jobs import switch_portal
from chalicelib.customer_portal.models import (
    SESSION_ABSOLUTE_SECONDS,
    Message,
    MessageIn,
    PortalSwitch,
    PortalUploadRequest,
    SignInRequest,
)
from chalicelib.jobs import service as jobs
from chalicelib.jobs.api import JobOut
from chalicelib.links.api import ItemOut
from chalicelib.links.models import NotApplicable
from chalicelib.models import OutputModel
from chalicelib.portal.api import (
    AreaOut,
    AttributeValues,
    ContextItemOut,
    FieldOut,
    FieldsOut,
    LimitsOut,
    PortalFileOut,
    SentFileOut,
    UploadOut,
)
from chalicelib.settings import get_settings

router = Router(__name__, tag="customer portal")

_ACCOUNT = re.compile(ACCOUNT_ID_PATTERN)


# --- shapes ---

class AccessLinkOut(OutputModel):
    url: str = Field(description="The permanent access link; shown only now (only a hash is kept)")
    created_at: str


class MessageOut(OutputModel):
    id: str
    at: str
    author: str = Field(description='"staff" or "customer"')
    author_name: str
    body: str

    @classmethod
    def of(cls, message: Message) -> "MessageOut":
        return cls(id=message.id, at=message.at, author=message.author, author_name=message.author_name,
                   body=message.body)


class SignInAccepted(OutputModel):
    status: str = Field("sent_if_known", description="Always the same: a link went out if the address is a "
                                                      "customer's with portal access")


class PermissionsOut(OutputModel):
    upload: bool
    edit_profile: bool
    see_sent_files: bool
    delete_pending_uploads: bool
    approve_documents: bool
    message: bool


class HomeAccountOut(OutputModel):
    id: str
    branding: BrandingOut


class HomeCustomerOut(OutputModel):
    name: str
    email: str | None
    phone: str | None
    company: str | None


class RequestOut(OutputModel):
    id: str = Field(description="The request's (link's) id")
    message: str
    created_at: str
    due_at: str | None
    expires_at: str
    status: str
    items: list[ContextItemOut]
    areas: list[AreaOut]
    attributes: list[FieldOut]


class GeneralAreaOut(OutputModel):
    id: str
    name: str
    files: list[PortalFileOut]


class MessagesSummaryOut(OutputModel):
    unread: int = Field(description="Messages from staff the customer has not read")
    last_at: str | None


class HomeContext(OutputModel):
    account: HomeAccountOut
    customer: HomeCustomerOut
    permissions: PermissionsOut
    csrf_token: str = Field(description="Send as X-CSRF-Token on every state-changing request")
    requests: list[RequestOut] = Field(description="Open requests with their checklists")
    general: GeneralAreaOut = Field(description="Files uploaded outside any request")
    attributes: list[FieldOut] = Field(description="The customer's profile fields shown in the portal")
    sent_files: list[SentFileOut]
    approvals: list[dict[str, Any]] = Field(description="Documents waiting for the customer's approval")
    messages: MessagesSummaryOut
    limits: LimitsOut


# --- helpers ---

def _cookie(request: Any) -> str | None:
    raw = (request.headers or {}).get("cookie")
    if not raw:
        return None
    # Imported here: only portal requests read cookies, and the module costs every cold start a few milliseconds.
    from http.cookies import CookieError, SimpleCookie

    jar: SimpleCookie = SimpleCookie()
    try:
        jar.load(raw)
    except CookieError:
        return None
    morsel = jar.get(service.COOKIE_NAME)
    return morsel.value if morsel else None


def _client_ip(request: Any) -> str:
    return str(((request.context or {}).get("identity") or {}).get("sourceIp") or "unknown")


def _user_agent(request: Any) -> str:
    return str((request.headers or {}).get("user-agent") or "")


def _session_cookie(account_id: str, value: str, max_age: int) -> str:
    secure = "" if get_settings().stage == "local" else "; Secure"
    return (f"{service.COOKIE_NAME}={value}; Path={service.base_path(account_id)}; Max-Age={max_age}; HttpOnly; "
            f"SameSite=Lax{secure}")


def _known_account(account_id: str) -> None:
    if not _ACCOUNT.match(account_id):
        raise errors.NotFoundError("There is no such portal.")
    load_partition(account_id)


def _signed_in(account_id: str, request: Any, changing: bool = False) -> service.SignedIn:
    if not _ACCOUNT.match(account_id):
        raise service.SignedOutError("Please sign in to the portal.")
    signed = service.resolve_session(account_id, _cookie(request))
    if changing:
        service.check_csrf(signed, (request.headers or {}).get("x-csrf-token"))
    return signed


def _redirect(location: str, cookie: str | None = None) -> Response:
    headers: ResponseHeaders = {"Location": location, "Content-Type": "text/html; charset=utf-8",
                                **PAGE_SECURITY_HEADERS}
    if cookie:
        headers["Set-Cookie"] = cookie
    target = html.escape(location, quote=True)
    return Response(body=f'<!doctype html><title>Dossier</title><a href="{target}">{target}</a>', status_code=303,
                    headers=headers)


def _follow(account_id: str, token: str, request: Any, exchange: Any) -> Response:
    if not _ACCOUNT.match(account_id):
        return _redirect("/")
    try:
        cookie = exchange(account_id, token, _cookie(request), _client_ip(request), _user_agent(request))
    except service.SignInLinkError as exc:
        return _redirect(f"{service.base_path(account_id)}?reason={exc.reason}")
    return _redirect(f"{service.base_path(account_id)}/home",
                     _session_cookie(account_id, cookie, SESSION_ABSOLUTE_SECONDS))


# --- staff ---

@router.route("/customers/{id}/portal-access", "POST", status=201, response=AccessLinkOut, errors=(409,),
              summary="A permanent portal access link for the customer (shown once; replaces the previous one, "
                      "whose sessions end)")
def create_access_link(principal: Principal, id: str) -> AccessLinkOut:  # noqa: A002 - the contract's name
    url, created_at = service.create_access_link(principal.account_id, staff_actor(principal.user_id), id)
    return AccessLinkOut(url=url, created_at=created_at)


@router.route("/customers/{id}/portal-access", "DELETE", status=204,
              summary="Revoke the customer's permanent access link and end the customer's portal sessions")
def revoke_access_link(principal: Principal, id: str) -> None:  # noqa: A002
    service.revoke_access_link(principal.account_id, staff_actor(principal.user_id), id)


@router.route("/customers/portal", "POST", status=202, body=PortalSwitch, response=JobOut, errors=(404, 409),
              summary="Switch the portal on or off for the named customers, a group or everyone, in the background "
                      "(follow it at GET /jobs/{id}); switching off ends their sessions")
def switch_customers_portal(principal: Principal, body: PortalSwitch, request: Any) -> JobOut:
    key = (request.headers or {}).get("idempotency-key")
    job = switch_portal(principal.account_id, staff_actor(principal.user_id), body, key)
    return JobOut.of(job, jobs.get_job(principal.account_id, job.id)[1] if job.failed else [])


@router.route("/customers/{id}/messages", "GET", query=ListQuery, response=page_of(MessageOut),
              summary="The messages between staff and the customer, newest first")
def staff_messages(principal: Principal, id: str, query: ListQuery) -> OutputModel:  # noqa: A002
    found, cursor = conversation.list_messages(principal.account_id, id, query.limit, query.cursor)
    return page_of(MessageOut)(items=[MessageOut.of(m) for m in found], next_cursor=cursor)


@router.route("/customers/{id}/messages", "POST", status=201, body=MessageIn, response=MessageOut,
              summary="Write to the customer (they are mailed at most once per 10 minutes about new messages)")
def staff_message(principal: Principal, id: str, body: MessageIn) -> MessageOut:  # noqa: A002
    return MessageOut.of(conversation.post_staff_message(principal.account_id, staff_actor(principal.user_id), id,
                                                         body.body))


@router.route("/customers/{id}/messages/read", "POST", status=204,
              summary="Mark the customer's messages as read by staff (unread_messages back to 0)")
def staff_messages_read(principal: Principal, id: str) -> None:  # noqa: A002
    conversation.mark_read_by_staff(principal.account_id, id)


# --- customers: signing in ---

@router.route("/c/{account_id}/login", "POST", access=Access.PORTAL, status=202, body=SignInRequest,
              response=SignInAccepted, errors=(429,),
              summary="Ask for a one-time sign-in link by e-mail or SMS (the same answer whether or not the address "
                      "is a customer's)")
def ask_for_sign_in(account_id: str, body: SignInRequest, request: Any) -> SignInAccepted:
    _known_account(account_id)
    service.request_sign_in(account_id, body.email, body.phone, _client_ip(request))
    return SignInAccepted()


@router.route("/c/{account_id}/signin/{token}", "POST", access=Access.PORTAL, status=303, content_type="text/html",
              accepts=("application/json", FORM),
              summary="Use a one-time sign-in link (the button of the page its GET shows): a session cookie and the "
                      "home page, or back to sign-in with a reason")
def use_sign_in_link(account_id: str, token: str, request: Any) -> Response:
    # Mail scanners open links (GET) but do not press buttons. A browser's cross-site form post could sign the
    # browser in as whoever sent it the link (login CSRF): refused like a forged link, nothing used up.
    if (request.headers or {}).get("sec-fetch-site") in ("cross-site", "same-site"):
        return _redirect(f"{service.base_path(account_id)}?reason=link" if _ACCOUNT.match(account_id) else "/")
    return _follow(account_id, token, request, service.sign_in_with_link)


@router.route("/c/{account_id}/access/{token}", "GET", access=Access.PORTAL, status=303, content_type="text/html",
              summary="Follow the permanent access link: a session cookie and the home page")
def follow_access_link(account_id: str, token: str, request: Any) -> Response:
    return _follow(account_id, token, request, service.sign_in_with_access_link)


@router.route("/c/{account_id}/logout", "POST", access=Access.PORTAL, status=204, errors=(401, 403),
              summary="Sign out: the session ends and its cookie is cleared")
def sign_out(account_id: str, request: Any) -> Response:
    service.sign_out(_signed_in(account_id, request, changing=True))
    return Response(body="", status_code=204, headers={"Set-Cookie": _session_cookie(account_id, "", 0)})


# --- customers: the home page's API ---

@router.route("/c/{account_id}/api/context", "GET", access=Access.PORTAL, response=HomeContext, errors=(401,),
              summary="What the signed-in customer's home shows, with the session's CSRF token")
def home_context(account_id: str, request: Any) -> HomeContext:
    return HomeContext.model_validate(service.context(_signed_in(account_id, request)))


@router.route("/c/{account_id}/api/uploads", "POST", access=Access.PORTAL, status=201, body=PortalUploadRequest,
              response=UploadOut, errors=(401, 403, 413, 415, 429),
              summary="A presigned POST for one file, into an open request (link_id) or the general documents")
def home_upload(account_id: str, body: PortalUploadRequest, request: Any) -> UploadOut:
    upload = service.presign(_signed_in(account_id, request, changing=True), body)
    return UploadOut(file_id=upload.file_id, url=upload.url, fields=upload.fields, expires_at=upload.expires_at)


@router.route("/c/{account_id}/api/files/{file_id}", "GET", access=Access.PORTAL, response=SentFileOut,
              errors=(401, 403), summary="A file staff sent, with a fresh download URL")
def home_sent_file(account_id: str, file_id: str, request: Any) -> SentFileOut:
    return SentFileOut.model_validate(service.sent_file(_signed_in(account_id, request), file_id))


@router.route("/c/{account_id}/api/files/{file_id}", "DELETE", access=Access.PORTAL, status=204,
              errors=(401, 403, 409), summary="Delete an own upload still waiting for review")
def home_delete_upload(account_id: str, file_id: str, request: Any) -> None:
    service.delete_pending_upload(_signed_in(account_id, request, changing=True), file_id)


@router.route("/c/{account_id}/api/attributes", "PUT", access=Access.PORTAL, body=AttributeValues,
              response=FieldsOut, errors=(401, 403), summary="Change the customer's own profile fields")
def home_profile(account_id: str, body: AttributeValues, request: Any) -> FieldsOut:
    fields = service.update_profile(_signed_in(account_id, request, changing=True), body.values())
    return FieldsOut.model_validate({"attributes": fields})


@router.route("/c/{account_id}/api/requests/{link_id}/attributes", "PUT", access=Access.PORTAL,
              body=AttributeValues, response=FieldsOut, errors=(401, 403),
              summary="Fill in an open request's fields (validated like staff writes)")
def home_request_fields(account_id: str, link_id: str, body: AttributeValues, request: Any) -> FieldsOut:
    fields = service.submit_request_attributes(_signed_in(account_id, request, changing=True), link_id, body.values())
    return FieldsOut.model_validate({"attributes": fields})


@router.route("/c/{account_id}/api/requests/{link_id}/items/{item_id}/not-applicable", "POST",
              access=Access.PORTAL, body=NotApplicable, response=ItemOut, errors=(401, 403, 409),
              summary="Say that a checklist item of an open request does not apply (with a comment)")
def home_not_applicable(account_id: str, link_id: str, item_id: str, body: NotApplicable, request: Any) -> ItemOut:
    return ItemOut.of(service.mark_not_applicable(_signed_in(account_id, request, changing=True), link_id, item_id,
                                                  body.comment))


@router.route("/c/{account_id}/api/requests/{link_id}/items/{item_id}/not-applicable", "DELETE",
              access=Access.PORTAL, response=ItemOut, errors=(401, 403, 409),
              summary="Take back a not-applicable mark")
def home_not_applicable_undo(account_id: str, link_id: str, item_id: str, request: Any) -> ItemOut:
    return ItemOut.of(service.undo_not_applicable(_signed_in(account_id, request, changing=True), link_id, item_id))


@router.route("/c/{account_id}/api/messages", "GET", access=Access.PORTAL, query=ListQuery,
              response=page_of(MessageOut), errors=(401,), summary="The customer's messages with staff, newest first")
def home_messages(account_id: str, query: ListQuery, request: Any) -> OutputModel:
    signed = _signed_in(account_id, request)
    found, cursor = conversation.list_own_messages(account_id, signed.customer.id, query.limit, query.cursor)
    return page_of(MessageOut)(items=[MessageOut.of(m) for m in found], next_cursor=cursor)


@router.route("/c/{account_id}/api/messages", "POST", access=Access.PORTAL, status=201, body=MessageIn,
              response=MessageOut, errors=(401, 403),
              summary="Write to staff (they are mailed at most once per 10 minutes about new messages)")
def home_message(account_id: str, body: MessageIn, request: Any) -> MessageOut:
    signed = _signed_in(account_id, request, changing=True)
    service.require(signed, "message")
    return MessageOut.of(conversation.post_customer_message(account_id, signed.customer, body.body))


@router.route("/c/{account_id}/api/messages/read", "POST", access=Access.PORTAL, status=204, errors=(401, 403),
              summary="Mark the messages from staff as read")
def home_messages_read(account_id: str, request: Any) -> None:
    signed = _signed_in(account_id, request, changing=True)
    conversation.mark_read_by_customer(account_id, signed.customer.id)
