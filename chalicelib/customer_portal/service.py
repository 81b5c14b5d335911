"""The permanent customer portal's rules: the access link, sign-in by a one-time link, sessions, CSRF,
permissions, and what a signed-in customer sees and does.

Tokens (chalicelib/links/tokens.py) name the account and customer in front of a 256-bit secret of which only a
SHA-256 is stored: the permanent access link `<account>.<customer>.<secret>` (hash on the customer), a sign-in
link `<account>.<customer>.<sign-in id>.<secret>`, and the session cookie `<account>.<customer>.<session
id>.<secret>`. A session is valid while its customer's portal generation is the one it started with: revoking
or replacing the access link and switching the portal off move it, which ends every session at once.
"""

from __future__ import annotations

import datetime
import hmac
import secrets
from typing import Any, NamedTuple

from chalicelib import clock, errors, ids
from chalicelib.accounts.models import Account
from chalicelib.accounts.service import AccountPartition, load_partition
from chalicelib.activity import service as activity
from chalicelib.activity.models import CUSTOMER
from chalicelib.attributes.models import GENERAL_AREA
from chalicelib.attributes.values import check_values
from chalicelib.audit import service as audit
from chalicelib.audit.models import PORTAL_SIGN_IN
from chalicelib.customer_portal import mails
from chalicelib.customer_portal.models import (
    PERMISSIONS,
    SESSION_ABSOLUTE_SECONDS,
    SESSION_IDLE_SECONDS,
    SESSION_TOUCH_SECONDS,
    SIGN_IN_LINK_SECONDS,
    SIGN_IN_WINDOW_SECONDS,
    SIGN_INS_PER_ADDRESS,
    SIGN_INS_PER_IP,
    PortalSession,
    PortalUploadRequest,
    SignInLink,
    SignInVia,
)
from chalicelib.customer_portal.repository import PortalRepository, SessionGoneError, SignInLinkUsedError
from chalicelib.customers import portal_state
from chalicelib.customers.models import Customer, CustomerChanges
from chalicelib.customers.service import find_by_email, get_customer, update_customer
from chalicelib.files import service as files
from chalicelib.files import types
from chalicelib.files.models import StoredFile, UploadRequest
from chalicelib.links import service as links
from chalicelib.links import tokens
from chalicelib.links.models import Item
from chalicelib.links.service import PortalAccess
from chalicelib.mail import address_hash
from chalicelib.observability import logger
from chalicelib.portal import service as link_portal
from chalicelib.settings import get_settings

COOKIE_NAME = "dossier_portal"
#: Files of the customer the home page shows at most (newest first).
HOME_FILES = 100
GENERAL_AREA_NAME = link_portal.GENERAL_AREA_NAME


class SignedOutError(errors.UnauthorizedError):
    """No session, or it ended (signed out, expired, access revoked, portal switched off)."""


class CsrfError(errors.ForbiddenError):
    code = "csrf_failed"


class PermissionDeniedError(errors.ForbiddenError):
    code = "permission_denied"


class SignInLinkError(Exception):
    """A sign-in or access link that does not sign in; `reason` is what the sign-in page tells the customer."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class SignedIn(NamedTuple):
    """A valid session: who is signed in, and what they may do."""

    account: Account
    customer: Customer
    session: PortalSession
    permissions: dict[str, bool]
    #: The account with its groups and attribute definitions, read once per request.
    partition: AccountPartition


def _not_found(what: str = "customer") -> errors.NotFoundError:
    return errors.NotFoundError(f"There is no such {what}.")


def base_path(account_id: str) -> str:
    return f"/c/{account_id}"


def _url(account_id: str, path: str) -> str:
    return f"{get_settings().public_base_url}{base_path(account_id)}/{path}"


def effective_permissions(account: Account, customer: Customer) -> dict[str, bool]:
    """The account's defaults with the customer's own overrides on top."""
    defaults = account.portal.permissions.model_dump()
    return {name: bool(customer.portal_permissions.get(name, defaults[name])) for name in PERMISSIONS}


def require(signed: SignedIn, permission: str) -> None:
    if not signed.permissions.get(permission):
        raise PermissionDeniedError(f"Your access does not include this ({permission}).",
                                    [{"permission": permission}])


def _portal_open(account: Account, customer: Customer) -> bool:
    return account.portal.enabled and customer.portal_enabled and not customer.closing


# --- the permanent access link (staff) ---

def create_access_link(account_id: str, actor: str, customer_id: str) -> tuple[str, str]:
    """A new permanent access link for the customer (its URL, shown only now, and when it was made); it replaces
    the previous one, whose sessions end."""
    partition = load_partition(account_id)
    customer = get_customer(account_id, customer_id)
    if customer.closing:
        raise _not_found()
    if not partition.account.portal.enabled:
        raise errors.ConflictError("The customer portal is switched off for this account.")
    if not customer.portal_enabled:
        raise errors.ConflictError("The customer portal is switched off for this customer.")
    token, token_hash = tokens.new_token(account_id, customer_id)
    moment = clock.now_iso()
    entry = activity.entry(account_id, customer_id, "portal_access_created", actor,
                           {"replaced": customer.portal_access_hash is not None}, at=moment)
    portal_state.set_access(account_id, customer_id, token_hash, moment, [entry])
    return _url(account_id, f"access/{token}"), moment


def revoke_access_link(account_id: str, actor: str, customer_id: str) -> None:
    """Remove the customer's permanent access link and end every session of the customer (idempotent)."""
    customer = get_customer(account_id, customer_id)
    if customer.closing:
        raise _not_found()
    entry = activity.entry(account_id, customer_id, "portal_access_revoked", actor,
                           {"had_access_link": customer.portal_access_hash is not None})
    portal_state.remove_access(account_id, customer_id, [entry])


# --- asking for a sign-in link (anyone) ---

def request_sign_in(account_id: str, email: str | None, phone: str | None, client_ip: str) -> None:
    """Count the request against the limits, then hand the lookup and the sending to the jobs queue: the answer
    is the same, and takes the same work, whether or not the address belongs to a customer."""
    from chalicelib import sms
    from chalicelib.jobs import queue
    from chalicelib.jobs.messages import PortalSignInMessage
    from chalicelib.limits.service import take

    # One address however it is written: mail case aside, numbers in E.164.
    address = email if email is not None else sms.e164(phone or "") or phone or ""
    take(account_id, f"portal-sign-in#{address_hash(address)}", SIGN_INS_PER_ADDRESS, SIGN_IN_WINDOW_SECONDS,
         "Too many sign-in requests for this address; please wait a few minutes.")
    take(account_id, f"portal-sign-in-ip#{address_hash(client_ip)}", SIGN_INS_PER_IP, SIGN_IN_WINDOW_SECONDS,
         "Too many sign-in requests from here; please wait a few minutes.")
    queue.send(PortalSignInMessage(kind="portal_sign_in", account_id=account_id, email=email, phone=phone))


def send_sign_in_link(account_id: str, email: str | None, phone: str | None) -> bool:
    """The sign-in job: if the address is a customer's with the portal open, store a one-time link and send it
    (by mail for an address, by SMS for a number); whether one was sent. Refusals are logged, never raised: no
    one waits for the answer, and a retry must not send twice."""
    try:
        account = load_partition(account_id).account
    except errors.NotFoundError:
        return False
    customer = _customer_for(account_id, email, phone)
    if customer is None or not _portal_open(account, customer):
        return False
    via: SignInVia = "email" if email is not None else "sms"
    now = clock.now()
    sign_in = SignInLink(id=ids.new_id(), customer_id=customer.id, secret_hash="", via=via, created_at=clock.iso(now),
                         expires_at=clock.iso(now + datetime.timedelta(seconds=SIGN_IN_LINK_SECONDS)))
    token, secret_hash = tokens.new_token(account_id, customer.id, sign_in.id)
    sign_in.secret_hash = secret_hash
    url = _url(account_id, f"signin/{token}")
    repository = PortalRepository()
    repository.put_sign_in(account_id, sign_in)
    try:
        if via == "email":
            from chalicelib.mail import send

            send(mails.sign_in_mail(account, customer, email or "", url))
        else:
            from chalicelib import sms

            sms.send(phone or "", mails.sign_in_sms(account, url), account_id=account_id)
    except (errors.RateLimitedError, errors.SuppressedAddressError, ValueError) as exc:
        logger.info("portal sign-in link not sent", extra={"account_id": account_id, "reason": str(exc)})
        return False
    repository.record([activity.entry(account_id, customer.id, "portal_sign_in_link_sent", "system", {"via": via})])
    return True


def _customer_for(account_id: str, email: str | None, phone: str | None) -> Customer | None:
    if email is not None:
        return find_by_email(account_id, email)
    found = portal_state.find_by_phone(account_id, phone or "")
    customers = [get_customer(account_id, customer_id) for customer_id in found]
    # One number, several customers (a family sharing a phone): the oldest, as with one address.
    return min(customers, key=lambda c: c.number) if customers else None


# --- following a link: the session ---

def _new_session(customer: Customer, via: SignInVia) -> PortalSession:
    now = clock.now()
    return PortalSession(id=ids.new_id(), customer_id=customer.id, secret_hash="",
                            csrf_token=secrets.token_urlsafe(32), via=via, generation=customer.portal_generation,
                            created_at=clock.iso(now), last_seen_at=clock.iso(now),
                            expires_at=clock.iso(now + datetime.timedelta(seconds=SESSION_ABSOLUTE_SECONDS)))


def _start(account: Account, customer: Customer, via: SignInVia, used: SignInLink | None, old_cookie: str | None,
           client_ip: str, user_agent: str) -> str:
    """Store a new session (ending the one the browser had) and record the sign-in; the cookie's value."""
    session = _new_session(customer, via)
    cookie, secret_hash = tokens.new_token(account.id, customer.id, session.id)
    session.secret_hash = secret_hash
    ended = _session_id_of(account.id, old_cookie)
    entry = activity.entry(account.id, customer.id, "portal_signed_in", CUSTOMER,
                           {"via": via, "ip": client_ip, "user_agent": user_agent[:200]}, at=session.created_at)
    # The account's audit log records the sign-in in the same transaction as the session.
    audited = audit.entry_action(account.id, audit.new_entry(
        actor=f"customer:{customer.id}", action=PORTAL_SIGN_IN, target=f"{base_path(account.id)}/signin/{via}",
        ip=client_ip, customer_id=customer.id))
    try:
        PortalRepository().start_session(account.id, session, used, ended,
                                         [portal_state.sign_in_action(account.id, customer.id, via, session.created_at),
                                          entry, audited])
    except SignInLinkUsedError as exc:
        raise SignInLinkError("link") from exc
    return cookie


def _session_id_of(account_id: str, cookie: str | None) -> str | None:
    """The id of the browser's current session, if its cookie really is that session's (a cookie naming someone
    else's session id must not end it)."""
    parsed = tokens.parse(cookie, ids=2) if cookie else None
    if parsed is None or parsed[0] != account_id:
        return None
    session = PortalRepository().get_session(account_id, parsed[2])
    if session is None or not tokens.matches(parsed[3], session.secret_hash):
        return None
    return session.id


def sign_in_with_link(account_id: str, token: str, old_cookie: str | None, client_ip: str, user_agent: str) -> str:
    """Use up a one-time sign-in link; the new session's cookie. SignInLinkError (`link`: unknown, used,
    forged; `expired_link`) otherwise."""
    parsed = tokens.parse(token, ids=2)
    if parsed is None or parsed[0] != account_id:
        raise SignInLinkError("link")
    _, customer_id, sign_in_id, secret = parsed
    sign_in = PortalRepository().get_sign_in(account_id, sign_in_id)
    if sign_in is None or sign_in.customer_id != customer_id or not tokens.matches(secret, sign_in.secret_hash):
        raise SignInLinkError("link")
    if sign_in.expires_at <= clock.now_iso():
        raise SignInLinkError("expired_link")
    account, customer = _account_and_customer(account_id, customer_id)
    if account is None or customer is None or not _portal_open(account, customer):
        raise SignInLinkError("link")
    return _start(account, customer, sign_in.via, sign_in, old_cookie, client_ip, user_agent)


def sign_in_with_access_link(account_id: str, token: str, old_cookie: str | None, client_ip: str,
                             user_agent: str) -> str:
    parsed = tokens.parse(token, ids=1)
    if parsed is None or parsed[0] != account_id:
        raise SignInLinkError("link")
    _, customer_id, secret = parsed
    account, customer = _account_and_customer(account_id, customer_id)
    if (account is None or customer is None or customer.portal_access_hash is None
            or not tokens.matches(secret, customer.portal_access_hash) or not _portal_open(account, customer)):
        raise SignInLinkError("link")
    return _start(account, customer, "access_link", None, old_cookie, client_ip, user_agent)


def _account_and_customer(account_id: str, customer_id: str) -> tuple[Account | None, Customer | None]:
    partition, customer = _partition_and_customer(account_id, customer_id)
    return (partition.account if partition else None), customer


def _partition_and_customer(account_id: str, customer_id: str) -> tuple[AccountPartition | None, Customer | None]:
    try:
        return load_partition(account_id), get_customer(account_id, customer_id)
    except errors.NotFoundError:
        return None, None


def resolve_session(account_id: str, cookie: str | None) -> SignedIn:
    """The signed-in customer of this cookie; SignedOutError for no, a forged, an expired or an ended session
    (an ended one is deleted on the way)."""
    parsed = tokens.parse(cookie, ids=2) if cookie else None
    if parsed is None or parsed[0] != account_id:
        raise SignedOutError("Please sign in to the portal.")
    _, customer_id, session_id, secret = parsed
    repository = PortalRepository()
    session = repository.get_session(account_id, session_id)
    if session is None or session.customer_id != customer_id or not tokens.matches(secret, session.secret_hash):
        raise SignedOutError("Please sign in to the portal.")
    now = clock.now()
    idle_until = clock.parse(session.last_seen_at) + datetime.timedelta(seconds=SESSION_IDLE_SECONDS)
    partition, customer = _partition_and_customer(account_id, customer_id)
    account = partition.account if partition else None
    if (session.expires_at <= clock.iso(now) or idle_until <= now or partition is None or account is None
            or customer is None or not _portal_open(account, customer)
            or customer.portal_generation != session.generation):
        repository.end_session(account_id, session.id)
        raise SignedOutError("Your portal session has ended; please sign in again.")
    if now - clock.parse(session.last_seen_at) >= datetime.timedelta(seconds=SESSION_TOUCH_SECONDS):
        try:
            repository.touch_session(account_id, session.id, clock.iso(now))
        except SessionGoneError as exc:
            raise SignedOutError("Your portal session has ended; please sign in again.") from exc
    return SignedIn(account=account, customer=customer, session=session,
                    permissions=effective_permissions(account, customer), partition=partition)


def check_csrf(signed: SignedIn, header: str | None) -> None:
    if not header or not hmac.compare_digest(header.encode(), signed.session.csrf_token.encode()):
        raise CsrfError("This request needs the X-CSRF-Token header of your portal session.")


def sign_out(signed: SignedIn) -> None:
    PortalRepository().end_session(signed.account.id, signed.session.id, [
        activity.entry(signed.account.id, signed.customer.id, "portal_signed_out", CUSTOMER, {})])


# --- the home page ---

def _open_requests(signed: SignedIn) -> list[Any]:
    now = clock.now_iso()
    return [link for link in links.list_links(signed.account.id, signed.customer.id)
            if not link.revoked_at and link.expires_at > now and link.current_status not in ("complete", "cancelled")]


def _profile_fields(partition: AccountPartition, customer: Customer) -> list[dict[str, Any]]:
    return [{"id": a.id, "name": a.name, "type": a.type, "required": a.required, "options": a.options,
             "pattern": a.pattern, "text": a.text, "text_en": a.text_en, "value": customer.attributes.get(a.id)}
            for a in partition.attributes.values() if a.scope == "customer" and a.in_portal and not a.is_area]


def _approvals(signed: SignedIn) -> list[dict[str, Any]]:
    """Documents staff asked the customer to approve (pending and decided), each with its pinned version's URL."""
    from chalicelib.approvals import service as approvals

    return [{**a.model_dump(include={"id", "file_id", "filename", "message", "requested_at", "decision",
                                     "signer_name", "signed_at", "comment", "document_sha256"}),
             "download_url": approvals.document_url(signed.account.id, a)}
            for a in approvals.customer_approvals(signed.account.id, signed.customer.id)]


def context(signed: SignedIn) -> dict[str, Any]:
    from chalicelib.customer_portal import conversation

    account, customer, partition = signed.account, signed.customer, signed.partition
    customer_files, _ = files.list_files(account.id, customer.id, None, HOME_FILES, None)
    requests = []
    for link in _open_requests(signed):
        received = files.files_by_area([f for f in customer_files
                                        if f.direction == "received" and f.link_id == link.id])
        view = link_portal.request_view(PortalAccess(account=account, customer=customer, link=link), partition,
                                        received)
        requests.append({"id": link.id, "message": link.message, "created_at": link.created_at,
                         "due_at": link.due_at, "expires_at": link.expires_at, **view})
    general = [link_portal.received_out(f) for f in customer_files
               if f.direction == "received" and f.link_id is None and f.area == GENERAL_AREA]
    branding = account.branding.model_dump(exclude={"logo_key"})
    branding["company_name"] = branding["company_name"] or account.name
    from chalicelib.accounts.logo import logo_url

    return {
        "account": {"id": account.id, "branding": {**branding, "logo_url": logo_url(account)}},
        "customer": {"name": customer.name, "email": customer.email, "phone": customer.phone,
                     "company": customer.company},
        "permissions": signed.permissions,
        "csrf_token": signed.session.csrf_token,
        "requests": requests,
        "general": {"id": GENERAL_AREA, "name": GENERAL_AREA_NAME, "files": general},
        "attributes": _profile_fields(partition, customer),
        "sent_files": link_portal.sent_files_out(customer_files) if signed.permissions["see_sent_files"] else [],
        "approvals": _approvals(signed),
        "messages": conversation.customer_summary(account.id, customer.id),
        "limits": {
            "max_file_bytes": account.max_file_bytes,
            "remaining_bytes": max(0, account.free_bytes),
            "allowed_types": {t: list(ext) for t, ext in types.ALLOWED_TYPES.items()},
        },
    }


def _request_access(signed: SignedIn, link_id: str) -> PortalAccess:
    """The customer's own open request (link) `link_id`; 404 for anything else."""
    for link in _open_requests(signed) if ids.is_id(link_id) else []:
        if link.id == link_id:
            return PortalAccess(account=signed.account, customer=signed.customer, link=link)
    raise _not_found("request")


def presign(signed: SignedIn, request: PortalUploadRequest) -> files.PresignedUpload:
    require(signed, "upload")
    upload = UploadRequest(filename=request.filename, size=request.size, content_type=request.content_type,
                           area=request.area)
    if request.link_id is not None:
        access = _request_access(signed, request.link_id)
        return files.presign_upload(signed.account, signed.customer, upload, direction="received", actor=CUSTOMER,
                                    link_id=access.link.id, allowed_areas=access.link.areas,
                                    link_expires_at=access.link.expires_at)
    if request.area != GENERAL_AREA:
        raise errors.InvalidInputError.for_field("area", "without a request (link_id), uploads go to the general "
                                                         "documents")
    return files.presign_upload(signed.account, signed.customer, upload, direction="received", actor=CUSTOMER,
                                link_id=None, allowed_areas=[GENERAL_AREA], portal=True)


def _own_file(signed: SignedIn, file_id: str) -> StoredFile:
    try:
        file, _ = files.get_file(signed.account.id, signed.customer.id, file_id)
    except errors.NotFoundError:
        raise _not_found("file") from None
    return file


def delete_pending_upload(signed: SignedIn, file_id: str) -> None:
    require(signed, "delete_pending_uploads")
    file = _own_file(signed, file_id)
    if file.direction != "received" or file.actor != CUSTOMER or file.deleting or file.state != "stored":
        raise _not_found("file")
    if file.review != "pending":
        raise errors.ConflictError("This file was reviewed already; it can no longer be deleted here.")
    files.delete_file(signed.account.id, signed.customer.id, file.id)


def sent_file(signed: SignedIn, file_id: str) -> dict[str, Any]:
    require(signed, "see_sent_files")
    file = _own_file(signed, file_id)
    if file.direction != "sent" or file.state != "stored" or file.deleting:
        raise _not_found("file")
    return {"id": file.id, "filename": file.filename, "size": file.size, "uploaded_at": file.uploaded_at,
            "download_url": files.download_url(file)}


def update_profile(signed: SignedIn, submitted: dict[str, Any]) -> list[dict[str, Any]]:
    """The customer changes their own profile fields (customer fields shown in the portal)."""
    require(signed, "edit_profile")
    partition = signed.partition
    shown = {field["id"] for field in _profile_fields(partition, signed.customer)}
    for attribute_id in submitted:
        if attribute_id not in shown:
            raise errors.InvalidInputError.for_field(attribute_id, "this field cannot be changed here")
    # Checked here as well, so that a required field cannot be cleared from the portal.
    check_values(partition.attributes, submitted, scope="customer", current=signed.customer.attributes,
                 require_all=True, allowed=shown, field="attributes", signatures="check")
    updated = update_customer(signed.account.id, CUSTOMER, signed.customer.id,
                              CustomerChanges.model_validate({"attributes": submitted}))
    return _profile_fields(partition, updated)


def submit_request_attributes(signed: SignedIn, link_id: str, submitted: dict[str, Any]) -> list[dict[str, Any]]:
    return link_portal.submit_request_attributes(_request_access(signed, link_id), submitted)


def mark_not_applicable(signed: SignedIn, link_id: str, item_id: str, comment: str) -> Item:
    return links.mark_not_applicable(_request_access(signed, link_id), item_id, comment)


def undo_not_applicable(signed: SignedIn, link_id: str, item_id: str) -> Item:
    return links.undo_not_applicable(_request_access(signed, link_id), item_id)


# --- the customer's data goes with the customer ---

def archived_messages(account_id: str, customer_id: str) -> list[dict[str, Any]]:
    """The conversation for the customer's archive, oldest first: who wrote (staff or customer), when, what."""
    return [message.model_dump(include={"author", "at", "body"})
            for message in PortalRepository().all_messages(account_id, customer_id)]


def conversation_keys(account_id: str, customer_id: str) -> list[dict[str, str]]:
    """The keys of the customer's messages and of the conversation's notice plan, for the batch that deletes
    what belongs to a deleted customer."""
    repository = PortalRepository()
    return repository.message_keys(account_id, customer_id) + [repository.conversation_key(account_id, customer_id)]


def move_customer(account_id: str, source_id: str, target_id: str) -> None:
    """A merge: the source's messages join the target's conversation, with their unread count."""
    repository = PortalRepository()
    repository.move_messages(account_id, source_id, target_id)
    portal_state.move_unread(account_id, source_id, target_id)
    # The source's notice plan goes; the target's conversation plans the next notice.
    repository.delete_items([repository.conversation_key(account_id, source_id)])
