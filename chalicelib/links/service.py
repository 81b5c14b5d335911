"""Link rules: what a link may ask for, sending it by mail, revoking it, and resolving a token.

Resending cannot repeat the old URL (only a hash of its secret is stored), so it issues a new secret for
the same link: the mailed URL works, the previous one stops working.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

from chalicelib import clock, errors, ids, sms
from chalicelib.accounts.models import Account
from chalicelib.accounts.service import AccountPartition, load_partition
from chalicelib.activity import service as activity
from chalicelib.activity.models import CUSTOMER, SYSTEM, ActivityType
from chalicelib.attributes import signatures as drawn_signatures
from chalicelib.attributes.models import GENERAL_AREA
from chalicelib.attributes.values import DisplayOnlyError
from chalicelib.audit import service as audit
from chalicelib.customers.models import Customer, missing_areas, required_areas
from chalicelib.customers.reads import stored_customer
from chalicelib.customers.service import follow_requests, get_customer
from chalicelib.files import service as files
from chalicelib.files.models import StoredFile
from chalicelib.links import tokens
from chalicelib.links.messages import clarification_mail, link_mail, reminder_mail, reminder_sms
from chalicelib.links.models import (
    MAX_EXPIRY_DAYS,
    Item,
    ItemMarkChange,
    ItemSpec,
    Link,
    LinkReminders,
    LinkView,
    NewLink,
    StoredItem,
    checklist,
    next_reminder_at,
    status_of,
)
from chalicelib.links.repository import LinkRepository
from chalicelib.mail import admit, send
from chalicelib.observability import logger
from chalicelib.races import LostRaceError, retry_lost_races
from chalicelib.settings import get_settings
from chalicelib.storage.dynamo import Action, TransactionCancelledError
from chalicelib.templates import service as templates
from chalicelib.templates.models import Template


def _required_ids(partition: AccountPartition) -> set[str]:
    return {attribute.id for attribute in partition.attributes.values() if attribute.required}


def _items(link: Link, customer: Customer, partition: AccountPartition) -> list[Item]:
    info_ids = {attribute.id for attribute in partition.attributes.values() if attribute.type == "info"}
    return checklist(link, customer.attributes, _required_ids(partition), customer.area_counts, info_ids)


#: Days a link made with a due date stays open past it (when its expiry was not given).
DUE_GRACE_DAYS = 7


def _view(link: Link, customer: Customer, partition: AccountPartition) -> LinkView:
    required = [area for area in required_areas(partition.attributes) if area in link.areas]
    items = _items(link, customer, partition)
    return LinkView(**link.model_dump(), missing_areas=missing_areas(required, customer.area_counts),
                    checklist=items, current_status=status_of(link, items))


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
    """The upload areas and the fields the link asks for, each checked (InvalidInputError at its entry)."""
    areas = _checked_areas(partition, new)
    fields = _checked_fields(partition, new, areas)
    if not areas and not fields:
        raise errors.InvalidInputError.for_field("areas", "a link needs an upload area or an attribute to fill in")
    return areas, fields


def _checked_areas(partition: AccountPartition, new: NewLink) -> list[str]:
    # A link given as items asks for the general area only if it says so.
    areas = list(dict.fromkeys(new.areas)) if "areas" in new.model_fields_set or not new.items else []
    for index, spec in enumerate(new.items):
        attribute = partition.attributes.get(spec.attribute_id)
        if spec.attribute_id != GENERAL_AREA and attribute is None:
            raise errors.InvalidInputError.for_field(f"items.{index}.attribute_id",
                                                     f"no such attribute: {spec.attribute_id}")
        if spec.attribute_id == GENERAL_AREA or (attribute is not None and attribute.is_area):
            areas.append(spec.attribute_id)
    areas = list(dict.fromkeys(areas))
    for index, area in enumerate(areas):
        attribute = partition.attributes.get(area)
        if area != GENERAL_AREA and (attribute is None or not attribute.is_area):
            raise errors.InvalidInputError.for_field(f"areas.{index}", f"no such upload area: {area}")
        if attribute is not None and not attribute.in_portal:
            raise errors.InvalidInputError.for_field(f"areas.{index}", f"'{attribute.name}' is not shown in the portal")
    return areas


def _checked_fields(partition: AccountPartition, new: NewLink, areas: list[str]) -> list[str]:
    fields = list(dict.fromkeys([*new.attributes, *[spec.attribute_id for spec in new.items
                                                    if spec.attribute_id not in areas]]))
    for index, attribute_id in enumerate(fields):
        attribute = partition.attributes.get(attribute_id)
        if attribute is None or attribute.is_area:
            raise errors.InvalidInputError.for_field(f"attributes.{index}", f"no such attribute: {attribute_id}")
        if not attribute.in_portal:
            raise errors.InvalidInputError.for_field(f"attributes.{index}",
                                                     f"'{attribute.name}' is not shown in the portal")
    return fields


def create_link(account_id: str, actor: str, customer_id: str, new: NewLink, also: Sequence[Action] = ()
                ) -> tuple[LinkView, str]:
    """The link and its URL (the only time the URL is shown). `also`: writes of the caller's to make in the same
    transaction (a job's step marker); if one's condition fails, nothing is written or mailed (NotFoundError)."""
    partition = load_partition(account_id)
    customer = get_customer(account_id, customer_id)
    if customer.closing:
        raise errors.NotFoundError("There is no such customer.")
    _check_portal_open(partition.account, customer)
    now = clock.now()
    template = templates.get_template(account_id, new.template_id) if new.template_id is not None else None
    if template is not None:
        new = _with_template(partition, new, template)
    due_at = _checked_due(new, template, now)
    areas, fields = _checked_request(partition, new)
    if new.send_email and not customer.email:
        raise errors.InvalidInputError.for_field("send_email", "the customer has no e-mail address")
    if new.send_email and customer.email:
        admit(account_id, customer.email)  # refused (suppressed, rate-limited) before anything is written
    link_id = ids.new_id()
    audit.name_target(target=f"/customers/{customer.id}/links/{link_id}", customer_id=customer.id)
    token, token_hash = tokens.new_token(account_id, customer.id, link_id)
    expires_at = _expiry(new, due_at, now)
    plan = new.reminders or (template.reminders if template is not None else None)
    link = Link(
        id=link_id,
        customer_id=customer.id,
        token_hash=token_hash,
        areas=areas,
        attributes=fields,
        message=new.message,
        expires_at=clock.iso(expires_at),
        created_at=clock.iso(now),
        created_by=actor,
        items=_stored_items(partition, new, areas, fields),
        status="open",
        template_id=template.id if template is not None else None,
        due_at=due_at,
        reminders=None if plan is None else LinkReminders(
            **plan.model_dump(), next_at=next_reminder_at(due_at, plan, now)),
    )
    if due_at is not None and due_at > link.expires_at:
        raise errors.InvalidInputError.for_field("due_at", "the link expires before its due date")
    entry = activity.entry(account_id, customer.id, "link_created", actor,
                           {"link_id": link.id, "areas": areas, "attributes": fields, "expires_at": link.expires_at})
    try:
        LinkRepository().create(account_id, link, [entry, *also])
    except TransactionCancelledError as exc:
        raise errors.NotFoundError("There is no such customer.") from exc
    url = portal_url(token)
    if new.send_email:
        sent_at = _mail_link(partition.account, customer, link, url, actor, admitted=True)
        link = link.model_copy(update={"sent_count": 1, "last_sent_at": sent_at})
    if customer.status == "complete":
        follow_requests(account_id, customer.id, "complete", "partial", "request opened")
    return _view(link, customer, partition), url


def _stored_items(partition: AccountPartition, new: NewLink, areas: list[str], fields: list[str]
                  ) -> dict[str, StoredItem]:
    """The checklist: an item per area and field, required as the request or the attribute says, with its help."""
    specs = {spec.attribute_id: spec for spec in new.items}
    required = _required_ids(partition)
    return {
        attribute_id: StoredItem(
            kind="area" if attribute_id in areas else "field",
            required=required_of(specs.get(attribute_id), attribute_id in required),
            help=specs[attribute_id].help if attribute_id in specs else "")
        for attribute_id in [*areas, *fields]
    }


def _expiry(new: NewLink, due_at: str | None, now: datetime.datetime) -> datetime.datetime:
    expires_at = now + datetime.timedelta(days=new.expires_in_days)
    if due_at is not None and "expires_in_days" not in new.model_fields_set:
        # A due date outlives the default expiry: the link stays open a week past it, within the maximum.
        expires_at = min(max(expires_at, clock.parse(due_at) + datetime.timedelta(days=DUE_GRACE_DAYS)),
                         now + datetime.timedelta(days=MAX_EXPIRY_DAYS))
    return expires_at


def _with_template(partition: AccountPartition, new: NewLink, template: Template) -> NewLink:
    """The request with the template's items (those whose attribute still exists), message and plan; what the
    body says itself wins."""
    own = {spec.attribute_id for spec in new.items}
    kept = [ItemSpec(attribute_id=item.attribute_id, required=item.required, help=item.help)
            for item in template.items
            if item.attribute_id not in own
            and (item.attribute_id == GENERAL_AREA or item.attribute_id in partition.attributes)]
    update: dict[str, Any] = {"items": [*kept, *new.items]}
    if "message" not in new.model_fields_set:
        update["message"] = template.message
    return new.model_copy(update=update)


def _checked_due(new: NewLink, template: Template | None, now: datetime.datetime) -> str | None:
    if new.due_at is not None:
        if new.due_at <= now:
            raise errors.InvalidInputError.for_field("due_at", "the due date is in the past")
        return clock.iso(new.due_at)
    if template is not None and template.due_in_days is not None:
        return clock.iso(now + datetime.timedelta(days=template.due_in_days))
    return None


def required_of(spec: ItemSpec | None, attribute_required: bool) -> bool:
    return attribute_required if spec is None or spec.required is None else spec.required


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


def request_signature(account_id: str, customer_id: str, link_id: str, attribute_id: str
                      ) -> tuple[dict[str, Any], str]:
    """A request field's signature (kept on the link) and a short-lived GET of its image; NotFoundError when the
    request has none there."""
    link = _link_of(account_id, customer_id, link_id)
    reference = link.values.get(attribute_id) if ids.is_id(attribute_id) else None
    url = drawn_signatures.download_url(account_id, reference)
    if reference is None or url is None:
        raise errors.NotFoundError("This request has no signature in that field.")
    return reference, url


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
    except LostRaceError:
        pass  # revoked meanwhile is what the caller wanted
    refresh_status(account_id, link_id)


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


class PortalAccess(NamedTuple):
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
    link, customer, account = LinkRepository().with_customer_and_account(account_id, link_id, customer_id)
    if link is None or not tokens.matches(secret, link.token_hash) or link.revoked_at:
        raise _not_found()
    if link.customer_id != customer_id:
        # The link moved to another customer in a merge after its URL was made: read that one.
        customer = stored_customer(account_id, link.customer_id)
    if customer is None or account is None:
        raise _not_found()
    if customer.closing or not account.portal.enabled or not customer.portal_enabled:
        raise _not_found()
    if link.expires_at <= clock.now_iso():
        raise errors.LinkExpiredError("This link has expired. Please ask for a new one.")
    return PortalAccess(account=account, customer=customer, link=link)


# --- the checklist and the status that follows it ---

def refresh_status(account_id: str, link_id: str) -> None:
    """Record the link's status if its items moved it, and let the customer's status follow: `complete` when
    every non-cancelled request is complete, back to `partial` when a complete one opens again. Safe to call
    any number of times (every write is conditional on what was read)."""
    try:
        recorded = retry_lost_races(lambda: _record_status(account_id, link_id), LostRaceError,
                                    "The link's status kept changing.")
    except errors.ConflictError:
        return  # other writers kept moving it: the last of them records its status and lets the customer follow
    if recorded is not None:
        customer, partition, reopened = recorded
        _customer_follows(account_id, customer, partition, reopened)


def _record_status(account_id: str, link_id: str) -> tuple[Customer, AccountPartition, bool] | None:
    """Record the link's status from what it and its customer hold now (LostRaceError if another writer recorded
    one meanwhile); the customer, the partition read and whether a complete request opened again. None if the
    link or its customer is gone or closing."""
    link = LinkRepository().get(account_id, link_id)
    customer = stored_customer(account_id, link.customer_id) if link else None
    if link is None or customer is None or customer.closing:
        return None
    partition = load_partition(account_id)
    status = status_of(link, _items(link, customer, partition))
    before = link.status or "open"
    if status != before or link.status is None:
        # No history entry of its own: what moved it (an upload, a review, a mark) has one.
        LinkRepository().record_status(account_id, link.id, link.status, status,
                                       _due_changes(account_id, link, before, status))
    return customer, partition, before == "complete" and status != "complete"


def _due_changes(account_id: str, link: Link, before: str, status: str) -> list[Action]:
    """A due link leaves its customer's dues when it is complete or cancelled, and comes back if it reopens."""
    closed = ("complete", "cancelled")
    if link.due_at is None or (before in closed) == (status in closed):
        return []
    return [LinkRepository().due_change(account_id, link, due=status not in closed)]


def _customer_follows(account_id: str, customer: Customer, partition: AccountPartition, reopened: bool) -> None:
    if customer.status == "complete":
        if reopened:
            follow_requests(account_id, customer.id, "complete", "partial", "request reopened")
        return
    statuses = [status_of(link, _items(link, customer, partition))
                for link in LinkRepository().for_customer(account_id, customer.id)]
    counted = [status for status in statuses if status != "cancelled"]
    if counted and all(status == "complete" for status in counted):
        follow_requests(account_id, customer.id, customer.status, "complete", "every request complete")


def checklist_file_action(account_id: str, link_id: str, area: str, file_id: str, review: str | None) -> Action:
    """The write (for the event pipeline's transaction) that records a file on its checklist item: stored or
    replaced (its review, `pending`), or gone (None). Its condition fails if the link has no such item."""
    return LinkRepository().file_review_action(account_id, link_id, area, file_id, review)


def file_changed(account_id: str, link_id: str, area: str, file_id: str, review: str | None) -> None:
    """A file uploaded through the link was stored, reviewed (`review`) or removed (None): its item follows."""
    if LinkRepository().set_file_review(account_id, link_id, area, file_id, review):
        refresh_status(account_id, link_id)


def _item_of(link: Link, item_id: str) -> StoredItem:
    item = (link.items or {}).get(item_id)
    if item is None:
        raise errors.NotFoundError("There is no such item.")
    return item


def _marked(account_id: str, customer: Customer, link: Link, item_id: str, mark: str | None, comment: str | None,
            actor: str, kind: ActivityType) -> None:
    stored = _item_of(link, item_id)
    entry = activity.entry(account_id, customer.id, kind, actor,
                           {"link_id": link.id, "item_id": item_id, "comment": comment})
    try:
        LinkRepository().set_mark(account_id, link.id, item_id, mark, comment, stored.mark, [entry])
    except LostRaceError as exc:
        raise errors.ConflictError("The item was changed meanwhile; reload and try again.") from exc
    refresh_status(account_id, link.id)


def _item_out(account_id: str, link_id: str, item_id: str, partition: AccountPartition) -> Item:
    link = LinkRepository().get(account_id, link_id)
    assert link is not None
    customer = get_customer(account_id, link.customer_id)
    return next(item for item in _items(link, customer, partition) if item.id == item_id)


def _markable(account_id: str, item_id: str) -> AccountPartition:
    """The account's definitions, once it is sure the item asks for something: display text has nothing to
    mark (not applicable, accepted or asked for again)."""
    partition = load_partition(account_id)
    attribute = partition.attributes.get(item_id)
    if attribute is not None and attribute.type == "info":
        raise DisplayOnlyError(f"items.{item_id}: display text has nothing to mark",
                               [{"field": f"items.{item_id}", "message": "display text has nothing to mark",
                                 "code": DisplayOnlyError.code}])
    return partition


def portal_checklist(access: PortalAccess, partition: AccountPartition) -> list[Item]:
    return _items(access.link, access.customer, partition)


def portal_status(access: PortalAccess, partition: AccountPartition) -> str:
    return status_of(access.link, _items(access.link, access.customer, partition))


def mark_not_applicable(access: PortalAccess, item_id: str, comment: str) -> Item:
    """The customer says the item does not apply. Saying it again changes nothing (idempotent); an item staff
    already accepted as not applicable stays so."""
    stored = _item_of(access.link, item_id)
    partition = _markable(access.account.id, item_id)
    if stored.mark is None:
        _marked(access.account.id, access.customer, access.link, item_id, "not_applicable", comment, CUSTOMER,
                "item_not_applicable")
    return _item_out(access.account.id, access.link.id, item_id, partition)


def undo_not_applicable(access: PortalAccess, item_id: str) -> Item:
    """The customer takes the mark back; nothing to take back changes nothing. Once staff accepted it: 409."""
    stored = _item_of(access.link, item_id)
    if stored.mark == "accepted_na":
        raise errors.ConflictError("Your business already accepted this item as not applicable.")
    if stored.mark == "not_applicable":
        _marked(access.account.id, access.customer, access.link, item_id, None, None, CUSTOMER,
                "item_not_applicable_undone")
    return _item_out(access.account.id, access.link.id, item_id, load_partition(access.account.id))


def review_item(account_id: str, actor: str, customer_id: str, link_id: str, item_id: str,
                change: ItemMarkChange) -> Item:
    """Staff accept an item as not applicable (`accepted_na`) or ask for it again (`missing`: the mark goes,
    the comment tells the customer why). Setting the state it already has changes nothing."""
    link = _link_of(account_id, customer_id, link_id)
    if link.revoked_at:
        raise errors.ConflictError("The link is revoked.")
    stored = _item_of(link, item_id)
    partition = _markable(account_id, item_id)
    customer = get_customer(account_id, customer_id)
    mark = "accepted_na" if change.state == "accepted_na" else None
    if stored.mark != mark or (change.comment is not None and change.comment != stored.comment):
        comment = change.comment if change.comment is not None else (stored.comment if mark else None)
        _marked(account_id, customer, link, item_id, mark, comment, actor, "item_reviewed")
    return _item_out(account_id, link_id, item_id, partition)


def review_file(account_id: str, actor: str, customer_id: str, file_id: str, review: str, comment: str | None
                ) -> StoredFile:
    """Staff review a file; the checklist item it was uploaded for follows (checked, needs clarification)."""
    file = files.review_file(account_id, actor, customer_id, file_id, review, comment)
    if file.link_id and file.direction == "received":
        file_changed(account_id, file.link_id, file.area, file.id, review)
        if review == "needs_clarification":
            _mail_clarification(account_id, actor, file)
    return file


def _clarification_hindrance(account: Account, customer: Customer, link: Link | None) -> str | None:
    """Why the customer cannot be mailed a working link to the request now (None: they can)."""
    if link is None or link.state(clock.now_iso()) != "active":
        return "link_inactive"
    if not account.portal.enabled or not customer.portal_enabled:
        return "portal_off"
    if not customer.email:
        return "no_email"
    return None


def _mail_clarification(account_id: str, actor: str, file: StoredFile) -> None:
    """Mail the customer the review comment with a fresh URL of the request the file was uploaded through.

    Only a hash of a link's secret is stored, so the mail renews the link's secret (as resending does): the
    mailed URL works, earlier ones stop working. A mail that cannot or may not go (no address, link no longer
    active, suppressed address, mail limits) leaves the review done and says why in the history."""
    partition = load_partition(account_id)
    if not partition.account.notifications.clarification_mail:
        return
    assert file.link_id
    customer = get_customer(account_id, file.customer_id)
    link = LinkRepository().get(account_id, file.link_id)
    details: dict[str, Any] = {"file_id": file.id, "link_id": file.link_id}
    reason = _clarification_hindrance(partition.account, customer, link)
    if reason is None:
        assert link is not None and customer.email
        try:
            admit(account_id, customer.email)
        except (errors.SuppressedAddressError, errors.RateLimitedError) as exc:
            reason = "suppressed" if isinstance(exc, errors.SuppressedAddressError) else "rate_limited"
    if reason is not None:
        LinkRepository().record([activity.entry(account_id, customer.id, "clarification_mail_not_sent", actor,
                                                {**details, "reason": reason})])
        return
    assert link is not None and customer.email
    token, token_hash = tokens.new_token(account_id, customer.id, link.id)
    send(clarification_mail(partition.account, customer.name, customer.email, portal_url(token), file.filename,
                            file.review_comment or "", link.expires_at), admitted=True)
    moment = clock.now_iso()
    entry = activity.entry(account_id, customer.id, "clarification_mailed", actor,
                           {**details, "to": customer.email}, at=moment)
    try:
        LinkRepository().rotate_secret(account_id, link.id, token_hash, moment, [entry])
    except LostRaceError:
        pass  # revoked after it was read: the mailed URL opens nothing, as revoking means


# --- planned reminders ---

#: Due reminders one run handles at most (the next hourly run takes the rest).
REMINDERS_PER_RUN = 1000


@dataclass
class ReminderRun:
    sent: int = 0
    skipped: int = 0
    stopped: int = 0
    raced: int = 0
    #: Claimed but not delivered (the mail provider refused or failed), or the link could not be handled at all:
    #: recorded, and the run went on with the other due links.
    failed: int = 0


def send_due_reminders(limit: int = REMINDERS_PER_RUN) -> ReminderRun:
    """Mail every reminder that is due now. Each is claimed by moving the link's `next_at` on from the value read,
    in the transaction that records it in the history, before it is mailed: a rerun or a parallel run finds it
    moved and sends nothing twice. A request that is complete, cancelled or expired gets no more reminders; a
    customer without an address (or a refused mail) is skipped and recorded, the plan still moves on. One link's
    failure (its mail, or anything else) is recorded or logged and the run goes on with the others."""
    now = clock.now()
    run = ReminderRun()
    partitions: dict[str, AccountPartition] = {}
    for account_id, link_id, seen in LinkRepository().due_reminders(clock.iso(now), limit):
        try:
            outcome = _remind(account_id, link_id, seen, now, partitions)
        except LostRaceError:
            outcome = "raced"
        except Exception:
            # Not claimed (or claimed and not undone): the next run finds it due again, or moved on.
            logger.exception("reminder failed", extra={"account_id": account_id, "link_id": link_id})
            outcome = "failed"
        setattr(run, outcome, getattr(run, outcome) + 1)
    return run


def _remind(account_id: str, link_id: str, seen: str, now: datetime.datetime,
            partitions: dict[str, AccountPartition]) -> str:
    from chalicelib.templates.models import ReminderPlan

    repository = LinkRepository()
    link = repository.get(account_id, link_id)
    customer = stored_customer(account_id, link.customer_id) if link else None
    if link is None or link.reminders is None or customer is None:
        return "raced"
    if account_id not in partitions:
        partitions[account_id] = load_partition(account_id)
    partition = partitions[account_id]
    items = _items(link, customer, partition)
    if (customer.closing or link.state(clock.iso(now)) != "active"
            or status_of(link, items) in ("complete", "cancelled")):
        repository.advance_reminder(account_id, link.id, seen, None, None, [], sent=False)
        return "stopped"
    plan = link.reminders
    next_at = next_reminder_at(link.due_at, ReminderPlan(enabled=True, before_due_days=plan.before_due_days,
                                                         every_days_after=plan.every_days_after), now)
    if next_at is not None and next_at >= link.expires_at:
        next_at = None
    account = partition.account
    email, phone, reason = _reminder_recipients(account, customer)
    details: dict[str, Any] = {"link_id": link.id, "due_at": link.due_at, "planned_at": seen}
    if reason is not None:
        repository.advance_reminder(account_id, link.id, seen, next_at, None, [activity.entry(
            account_id, customer.id, "reminder_not_sent", SYSTEM, {**details, "reason": reason})], sent=False)
        return "skipped"
    assert link.due_at
    token, token_hash = tokens.new_token(account_id, customer.id, link.id)
    sent_to = {"to": email, **({"sms_to": phone} if phone else {})}
    claim = activity.entry(account_id, customer.id, "reminder_sent", SYSTEM, {**details, **sent_to})
    repository.advance_reminder(account_id, link.id, seen, next_at, token_hash, [claim], sent=True)
    open_items = [partition.attributes[item.attribute_id].name if item.attribute_id in partition.attributes
                  else "Allgemeine Unterlagen" for item in items if item.state == "missing"]
    failures = _deliver_reminder(account, customer, link, portal_url(token), open_items, email, phone)
    if not failures:
        return "sent"
    # Claimed, so no other run sends it; what the claim recorded becomes what happened.
    if len(failures) == (email is not None) + (phone is not None):
        channel, error = next(iter(failures.items()))
        repository.undo_reminder_send(account_id, link.id, token_hash, link.token_hash, [activity.amended(
            claim, "reminder_not_sent", {**details, "reason": f"{'mail' if channel == 'email' else 'sms'}_failed",
                                         "error": error})])
        return "failed"
    went = {"to": None if "email" in failures else email, **({} if "sms" in failures else {"sms_to": phone})}
    repository.record([activity.amended(claim, "reminder_sent", {**details, **went, "failed": failures})])
    return "sent"


def _reminder_recipients(account: Account, customer: Customer) -> tuple[str | None, str | None, str | None]:
    """The e-mail address and mobile number a reminder goes to (each admitted, so counted against the limits),
    and why it goes nowhere (None when it goes somewhere)."""
    if not account.portal.enabled or not customer.portal_enabled:
        return None, None, "portal_off"
    email, reason = _reachable(account.id, customer.email, "no_email")
    phone = None
    if account.notifications.sms_reminders:
        phone, _ = _reachable(account.id, sms.mobile_number(customer.phone), "no_mobile")
    if phone is not None:
        reason = None  # the SMS goes whatever stops the mail
    return email, phone, reason


def _deliver_reminder(account: Account, customer: Customer, link: Link, url: str, open_items: list[str],
                      email: str | None, phone: str | None) -> dict[str, str]:
    """Mail and text the reminder; what failed, by channel (`email`, `sms`)."""
    assert link.due_at
    failures: dict[str, str] = {}
    if email is not None:
        try:
            send(reminder_mail(account, customer.name, email, url, open_items, link.due_at, link.expires_at),
                 admitted=True)
        except Exception as exc:
            logger.exception("reminder mail failed", extra={"account_id": account.id, "link_id": link.id})
            failures["email"] = _failure_name(exc)
    if phone is not None:
        try:
            sms.send(phone, reminder_sms(account, url, link.due_at))  # admitted by _reachable
        except Exception as exc:
            logger.exception("reminder SMS failed", extra={"account_id": account.id, "link_id": link.id})
            failures["sms"] = _failure_name(exc)
    return failures


def _reachable(account_id: str, address: str | None, missing: str) -> tuple[str | None, str | None]:
    """The address (e-mail or mobile number) if the account may send to it now, counted against its limits; else
    None and why not (`missing`, `suppressed`, `rate_limited`)."""
    if not address:
        return None, missing
    try:
        admit(account_id, address)
    except (errors.SuppressedAddressError, errors.RateLimitedError) as exc:
        return None, "suppressed" if isinstance(exc, errors.SuppressedAddressError) else "rate_limited"
    return address, None


def _failure_name(exc: Exception) -> str:
    """What went wrong, briefly and without personal data: the provider's error code or the exception's type."""
    response = getattr(exc, "response", None)
    code = response.get("Error", {}).get("Code") if isinstance(response, dict) else None
    return str(code or type(exc).__name__)[:100]


# --- for the domains above (exports, portal, reconcile) ---


def customer_links(account_id: str, customer_id: str) -> list[Link]:
    """Every link of the customer, revoked ones too, newest first (no visibility check: the caller's)."""
    return LinkRepository().for_customer(account_id, customer_id)


def all_links(account_id: str) -> Iterable[Link]:
    """Every link of the account (for the reconciliation)."""
    return LinkRepository().all_links(account_id)


def submit_values(account_id: str, link_id: str, values: dict[str, Any], at: str, also: Sequence[Action]) -> None:
    """Store what the customer filled in through the link, with `also` in the same transaction; NotFoundError
    when the link is gone or revoked meanwhile."""
    try:
        LinkRepository().submit(account_id, link_id, values, at, also)
    except TransactionCancelledError as exc:
        raise errors.NotFoundError("There is no such link.") from exc


# --- for the customer's deletion and merge (chalicelib/lifecycle) ---


def revoke_customer_links(account_id: str, customer_links: Sequence[Link]) -> None:
    """A deleted customer's links stop working: each one not revoked yet is (no history entry: the customer's
    history goes with it)."""
    repository = LinkRepository()
    for link in customer_links:
        if not link.revoked_at:
            repository.revoke(account_id, link, clock.now_iso(), [])


def link_keys(account_id: str, customer_links: Sequence[Link]) -> list[dict[str, str]]:
    """The keys of the links and of their upload ledgers, for the deletion's batch (once the customer is gone
    every late upload event is refused anyway)."""
    return LinkRepository().keys_with_ledgers(account_id, customer_links)


def move_customer_links(account_id: str, source_id: str, target_id: str) -> None:
    """A merge: the source's links go to the target (a transaction each, moving the link count along); they keep
    their tokens and ledgers."""
    repository = LinkRepository()
    for link in repository.for_customer(account_id, source_id):
        repository.move(account_id, link, target_id)


# --- for taking a deleted attribute off the account's links (chalicelib/workers/attributes.py) ---


def links_page(account_id: str, start: dict[str, Any] | None, limit: int) -> tuple[list[Link], dict[str, Any] | None]:
    """One page of the account's links from `start` (opaque: the previous page's next start), and the next start
    (None at the end)."""
    return LinkRepository().links_page(account_id, start, limit)


def forget_attribute(account_id: str, link: Link, attribute_id: str) -> None:
    """Take a deleted attribute off the link: from its areas, its fields, its values and its checklist."""
    LinkRepository().forget_attribute(account_id, link, attribute_id)
