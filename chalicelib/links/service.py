"""Link rules: what a link may ask for, sending it by mail, revoking it, and resolving a token.

Resending cannot repeat the old URL (only a hash of its secret is stored), so it issues a new secret for
the same link: the mailed URL works, the previous one stops working.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from chalicelib import clock, errors, ids
from chalicelib.accounts.models import Account
from chalicelib.accounts.repository import AccountPartition, account_from_item
from chalicelib.accounts.service import load_partition
from chalicelib.activity import repository as activity
from chalicelib.attributes.models import GENERAL_AREA
from chalicelib.customers.models import Customer, missing_areas, required_areas
from chalicelib.customers.repository import CustomerRepository, customer_from_item
from chalicelib.customers.service import get_customer
from chalicelib.files import service as files
from chalicelib.links import tokens
from chalicelib.links.messages import link_mail
from chalicelib.links.models import Link, LinkView, NewLink
from chalicelib.links.repository import LinkRepository
from chalicelib.mail import admit, send
from chalicelib.settings import get_settings
from chalicelib.storage.dynamo import TransactionCancelledError


def _view(link: Link, customer: Customer, partition: AccountPartition) -> LinkView:
    required = [area for area in required_areas(partition.attributes) if area in link.areas]
    return LinkView(**link.model_dump(), missing_areas=missing_areas(required, customer.area_counts))


def portal_url(token: str) -> str:
    return f"{get_settings().public_base_url}/p/{token}"


def _not_found() -> errors.NotFoundError:
    return errors.NotFoundError("There is no such link.")


def _check_portal_open(account: Account, customer: Customer) -> None:
    if not account.portal.enabled:
        raise errors.ConflictError("The customer portal is switched off for this account.")
    if not customer.portal_enabled:
        raise errors.ConflictError("The customer portal is switched off for this customer.")


def _checked_request(partition: AccountPartition, new: NewLink) -> tuple[list[str], list[str]]:
    areas = list(dict.fromkeys(new.areas))
    for index, area in enumerate(areas):
        attribute = partition.attributes.get(area)
        if area != GENERAL_AREA and (attribute is None or not attribute.is_area):
            raise errors.InvalidInputError.for_field(f"areas.{index}", f"no such upload area: {area}")
        if attribute is not None and not attribute.in_portal:
            raise errors.InvalidInputError.for_field(f"areas.{index}", f"'{attribute.name}' is not shown in the portal")
    fields = list(dict.fromkeys(new.attributes))
    for index, attribute_id in enumerate(fields):
        attribute = partition.attributes.get(attribute_id)
        if attribute is None or attribute.is_area:
            raise errors.InvalidInputError.for_field(f"attributes.{index}", f"no such attribute: {attribute_id}")
        if not attribute.in_portal:
            raise errors.InvalidInputError.for_field(f"attributes.{index}",
                                                     f"'{attribute.name}' is not shown in the portal")
    if not areas and not fields:
        raise errors.InvalidInputError.for_field("areas", "a link needs an upload area or an attribute to fill in")
    return areas, fields


def create_link(account_id: str, actor: str, customer_id: str, new: NewLink) -> tuple[LinkView, str]:
    """The link and its URL (the only time the URL is shown)."""
    partition = load_partition(account_id)
    customer = get_customer(account_id, customer_id)
    if customer.closing:
        raise errors.NotFoundError("There is no such customer.")
    _check_portal_open(partition.account, customer)
    areas, fields = _checked_request(partition, new)
    if new.send_email and not customer.email:
        raise errors.InvalidInputError.for_field("send_email", "the customer has no e-mail address")
    if new.send_email and customer.email:
        admit(account_id, customer.email)  # refused (suppressed, rate-limited) before anything is written
    now = clock.now()
    link_id = ids.new_id()
    token, token_hash = tokens.new_token(account_id, customer.id, link_id)
    link = Link(
        id=link_id,
        customer_id=customer.id,
        token_hash=token_hash,
        areas=areas,
        attributes=fields,
        message=new.message,
        expires_at=clock.iso(now + datetime.timedelta(days=new.expires_in_days)),
        created_at=clock.iso(now),
        created_by=actor,
    )
    entry = activity.entry(account_id, customer.id, "link_created", actor,
                           {"link_id": link.id, "areas": areas, "attributes": fields, "expires_at": link.expires_at})
    try:
        LinkRepository().create(account_id, link, [entry])
    except TransactionCancelledError as exc:
        raise errors.NotFoundError("There is no such customer.") from exc
    url = portal_url(token)
    if new.send_email:
        sent_at = _mail_link(partition.account, customer, link, url, actor, admitted=True)
        link = link.model_copy(update={"sent_count": 1, "last_sent_at": sent_at})
    return _view(link, customer, partition), url


def _mail_link(account: Account, customer: Customer, link: Link, url: str, actor: str,
               new_token_hash: str | None = None, admitted: bool = False) -> str:
    """Mail the link and record it as sent; when it was sent."""
    assert customer.email  # checked by the callers, with a field error
    send(link_mail(account, customer.name, customer.email, url, link.message, link.expires_at), admitted=admitted)
    moment = clock.now_iso()
    entry = activity.entry(account.id, customer.id, "link_sent", actor, {"link_id": link.id, "to": customer.email},
                           at=moment)
    repository = LinkRepository()
    if new_token_hash is None:
        repository.mark_sent(account.id, link.id, moment, [entry])
    else:
        repository.rotate_secret(account.id, link.id, new_token_hash, moment, [entry])
    return moment


def _link_of(account_id: str, customer_id: str, link_id: str) -> Link:
    get_customer(account_id, customer_id)
    link = LinkRepository().get(account_id, link_id) if ids.is_id(link_id) else None
    if link is None or link.customer_id != customer_id:
        raise _not_found()
    return link


def list_links(account_id: str, customer_id: str) -> list[LinkView]:
    customer = get_customer(account_id, customer_id)
    partition = load_partition(account_id)
    return [_view(link, customer, partition) for link in LinkRepository().for_customer(account_id, customer_id)]


def revoke_link(account_id: str, actor: str, customer_id: str, link_id: str) -> None:
    """Idempotent: revoking a revoked link changes nothing."""
    link = _link_of(account_id, customer_id, link_id)
    if link.revoked_at:
        return
    moment = clock.now_iso()
    entry = activity.entry(account_id, customer_id, "link_revoked", actor, {"link_id": link.id}, at=moment)
    # Uploads S3 stores after this moment through forms the link handed out are not kept.
    marker = files.link_revoked_action(account_id, link.customer_id, link.id, moment)
    try:
        LinkRepository().revoke(account_id, link, moment, [entry, marker])
    except TransactionCancelledError as exc:
        if exc.reasons[:1] != ["ConditionalCheckFailed"]:
            raise  # revoked meanwhile is what the caller wanted; anything else is not


def resend_link(account_id: str, actor: str, customer_id: str, link_id: str) -> tuple[LinkView, str]:
    """Mail the link again, with a new secret; the new URL."""
    partition = load_partition(account_id)
    link = _link_of(account_id, customer_id, link_id)
    customer = get_customer(account_id, customer_id)
    state = link.state(clock.now_iso())
    if state != "active":
        raise errors.ConflictError(f"The link is {state}; create a new one.")
    _check_portal_open(partition.account, customer)
    if not customer.email:
        raise errors.InvalidInputError.for_field("email", "the customer has no e-mail address")
    token, token_hash = tokens.new_token(account_id, link.customer_id, link.id)
    url = portal_url(token)
    sent_at = _mail_link(partition.account, customer, link, url, actor, new_token_hash=token_hash)
    resent = link.model_copy(update={"sent_count": link.sent_count + 1, "token_hash": token_hash,
                                     "last_sent_at": sent_at})
    return _view(resent, customer, partition), url


@dataclass
class PortalAccess:
    """What a valid link token gives access to."""

    account: Account
    customer: Customer
    link: Link


def resolve(token: str) -> PortalAccess:
    """The link a portal token opens. Unknown, tampered, revoked, of a deleted customer or of a closed portal:
    NotFoundError, all alike; expired: LinkExpiredError."""
    parsed = tokens.parse(token, ids=2)
    if parsed is None:
        raise _not_found()
    account_id, customer_id, link_id, secret = parsed
    link, customer_item, account_item = LinkRepository().with_customer_and_account(account_id, link_id, customer_id)
    if link is None or not tokens.matches(secret, link.token_hash) or link.revoked_at:
        raise _not_found()
    if link.customer_id != customer_id:
        # The link moved to another customer in a merge after its URL was made: read that one.
        customer_item = CustomerRepository().get_item(account_id, link.customer_id)
    if customer_item is None or account_item is None:
        raise _not_found()
    customer = customer_from_item(customer_item)
    account = account_from_item(account_item)
    if customer.closing or not account.portal.enabled or not customer.portal_enabled:
        raise _not_found()
    if link.expires_at <= clock.now_iso():
        raise errors.LinkExpiredError("This link has expired. Please ask for a new one.")
    return PortalAccess(account=account, customer=customer, link=link)
