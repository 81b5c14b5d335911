"""Messages between staff and one customer, and the mail that tells the other side.

Each side is mailed at most once per MESSAGE_MAIL_INTERVAL_SECONDS per conversation. A new message plans a
notice for the other side unless one is planned already (then that mail will carry it): due at once if the
side was not mailed within the interval, else when the interval ends. The plan is stored on the conversation
item (conditioned on the version read, so two messages at once plan one notice) and a message on the jobs
queue, delayed until it is due (SQS delays up to 15 minutes), delivers it: the job claims the notice (the
same condition), then mails every message of the other side since that side's last mail. A notice claimed
but not mailed (the process died in between) is lost rather than sent twice.
"""

from __future__ import annotations

import datetime
from typing import Any, Literal

from chalicelib import clock, errors, ids
from chalicelib.accounts.service import load_partition
from chalicelib.activity import service as activity
from chalicelib.activity.models import CUSTOMER, SYSTEM
from chalicelib.customer_portal import mails
from chalicelib.customer_portal.models import MESSAGE_MAIL_INTERVAL_SECONDS, Conversation, Message
from chalicelib.customer_portal.repository import ConversationChangedError, PortalRepository
from chalicelib.customers import portal_state
from chalicelib.customers.models import Customer
from chalicelib.customers.service import get_customer
from chalicelib.observability import logger
from chalicelib.races import retry_lost_races
from chalicelib.settings import get_settings
from chalicelib.storage.dynamo import TransactionCancelledError

Side = Literal["staff", "customer"]
#: Messages a notice mail gathers at most.
NOTICE_MESSAGES = 50
#: Newest messages the portal's summary looks at to count the unread ones.
SUMMARY_MESSAGES = 50


def _visible_customer(account_id: str, customer_id: str) -> Customer:
    customer = get_customer(account_id, customer_id)
    if customer.closing:
        raise errors.NotFoundError("There is no such customer.")
    return customer


def list_messages(account_id: str, customer_id: str, limit: int, cursor: str | None
                  ) -> tuple[list[Message], str | None]:
    """Staff: the customer's conversation, newest first."""
    _visible_customer(account_id, customer_id)
    return PortalRepository().messages_page(account_id, customer_id, limit, cursor)


def list_own_messages(account_id: str, customer_id: str, limit: int, cursor: str | None
                      ) -> tuple[list[Message], str | None]:
    """The signed-in customer's own conversation (the session named the customer)."""
    return PortalRepository().messages_page(account_id, customer_id, limit, cursor)


def post_staff_message(account_id: str, actor: str, customer_id: str, body: str) -> Message:
    customer = _visible_customer(account_id, customer_id)
    account = load_partition(account_id).account
    message = Message(id=ids.new_id(), customer_id=customer.id, at=clock.now_iso(), author="staff",
                      author_name=account.branding.company_name or account.name, body=body)
    entry = activity.entry(account_id, customer.id, "message_sent", actor,
                           {"message_id": message.id, "author": "staff", "length": len(body)}, at=message.at)
    PortalRepository().add_message(account_id, message, [entry])
    if customer.email:
        _plan_notice(account_id, customer.id, "customer")
    return message


def post_customer_message(account_id: str, customer: Customer, body: str) -> Message:
    message = Message(id=ids.new_id(), customer_id=customer.id, at=clock.now_iso(), author="customer",
                      author_name=customer.name, body=body)
    entry = activity.entry(account_id, customer.id, "message_sent", CUSTOMER,
                           {"message_id": message.id, "author": "customer", "length": len(body)}, at=message.at)
    try:
        PortalRepository().add_message(account_id, message, [
            portal_state.unread_action(account_id, customer.id), entry])
    except TransactionCancelledError as exc:
        raise errors.NotFoundError("There is no such customer.") from exc
    _plan_notice(account_id, customer.id, "staff")
    return message


def mark_read_by_staff(account_id: str, customer_id: str) -> None:
    _visible_customer(account_id, customer_id)
    portal_state.mark_read(account_id, customer_id)


def mark_read_by_customer(account_id: str, customer_id: str) -> None:
    repository = PortalRepository()

    def once() -> None:
        conversation, version = repository.get_conversation(account_id, customer_id)
        conversation.customer_read_at = clock.now_iso()
        repository.store_conversation(account_id, conversation, version, ids.new_id())

    retry_lost_races(once, ConversationChangedError, "The conversation changed meanwhile; try again.")


def customer_summary(account_id: str, customer_id: str) -> dict[str, Any]:
    """What the portal's home shows of the conversation: staff messages not read yet, and the last message's time."""
    repository = PortalRepository()
    conversation, _ = repository.get_conversation(account_id, customer_id)
    newest, _ = repository.messages_page(account_id, customer_id, SUMMARY_MESSAGES, None)
    read_at = conversation.customer_read_at or ""
    unread = sum(1 for message in newest if message.author == "staff" and message.at > read_at)
    return {"unread": unread, "last_at": newest[0].at if newest else None}


# --- notices ---

def _mailed_at(conversation: Conversation, side: Side) -> str | None:
    return conversation.staff_mailed_at if side == "staff" else conversation.customer_mailed_at


def _planned(conversation: Conversation, side: Side) -> str | None:
    return conversation.staff_notice_at if side == "staff" else conversation.customer_notice_at


def _set(conversation: Conversation, side: Side, **values: str | None) -> None:
    for name, value in values.items():
        setattr(conversation, f"{side}_{name}", value)


def _plan_notice(account_id: str, customer_id: str, side: Side) -> None:
    """Plan a mail to `side` about new messages, unless one is planned already."""
    repository = PortalRepository()
    for _ in range(5):
        conversation, version = repository.get_conversation(account_id, customer_id)
        if _planned(conversation, side) is not None:
            return
        now = clock.now()
        due = now
        mailed = _mailed_at(conversation, side)
        if mailed is not None:
            due = max(now, clock.parse(mailed) + datetime.timedelta(seconds=MESSAGE_MAIL_INTERVAL_SECONDS))
        _set(conversation, side, notice_at=clock.iso(due))
        try:
            repository.store_conversation(account_id, conversation, version, ids.new_id())
        except ConversationChangedError:
            continue
        _queue_notice(account_id, customer_id, side, (due - now).total_seconds())
        return
    logger.warning("could not plan a message notice", extra={"customer_id": customer_id, "side": side})


def _queue_notice(account_id: str, customer_id: str, side: Side, delay_seconds: float) -> None:
    from chalicelib.jobs import queue
    from chalicelib.jobs.messages import MessageNoticeMessage

    queue.send(MessageNoticeMessage(kind="message_notice", account_id=account_id, customer_id=customer_id, side=side),
               delay_seconds=min(900, max(0, int(delay_seconds + 0.999))))


def deliver_notice(account_id: str, customer_id: str, side: Side) -> bool:
    """The notice job: mail `side` the other side's messages since its last mail, if the planned notice is due;
    whether a mail went out. Early (a clock or delay that differs): queued again for the rest of the wait."""
    repository = PortalRepository()
    conversation, version = repository.get_conversation(account_id, customer_id)
    planned = _planned(conversation, side)
    if planned is None:
        return False
    now = clock.now()
    if clock.parse(planned) > now:
        _queue_notice(account_id, customer_id, side, (clock.parse(planned) - now).total_seconds())
        return False
    since = _mailed_at(conversation, side)
    _set(conversation, side, notice_at=None, mailed_at=clock.iso(now))
    try:
        repository.store_conversation(account_id, conversation, version, ids.new_id())
    except ConversationChangedError:
        return False  # another delivery claimed it
    try:
        customer = get_customer(account_id, customer_id)
        account = load_partition(account_id).account
    except errors.NotFoundError:
        return False
    author = "customer" if side == "staff" else "staff"
    messages = [m for m in repository.messages_since(account_id, customer_id, since, NOTICE_MESSAGES)
                if m.author == author]
    if not messages:
        return False
    base = get_settings().public_base_url
    if side == "staff":
        if not account.notification_email:
            return False
        mail = mails.staff_notice(account, customer, messages, f"{base}/app/#/customers/{customer.id}")
    else:
        if not customer.email:
            return False
        mail = mails.customer_notice(account, customer, messages, f"{base}/c/{account_id}")
    from chalicelib.mail import send

    try:
        send(mail)
        mailed = True
        entry = activity.entry(account_id, customer_id, "messages_mailed", SYSTEM,
                               {"to": side, "messages": len(messages)})
    except (errors.RateLimitedError, errors.SuppressedAddressError) as exc:
        mailed = False
        entry = activity.entry(account_id, customer_id, "messages_mail_not_sent", SYSTEM,
                               {"to": side, "reason": exc.code})
    repository.record([entry])
    return mailed
