"""The portal's mails and texts (German first, English below, as the link mails).

Subjects and sender are Dossier's own; the business's name appears only in the body, named as the business
(as every mail Dossier sends for an account)."""

from __future__ import annotations

from chalicelib.accounts.models import Account
from chalicelib.customer_portal.models import Message
from chalicelib.customers.models import Customer
from chalicelib.mail import Mail

SIGN_IN_SUBJECT = "Ihr Anmeldelink / Your sign-in link"
MESSAGES_SUBJECT = "Neue Nachricht / New message"
#: Messages one notice quotes at most (the rest: "and N more").
QUOTED_MESSAGES = 10
_QUOTE_CHARS = 500


def _company(account: Account) -> str:
    return account.branding.company_name or account.name


def sign_in_mail(account: Account, customer: Customer, to: str, url: str) -> Mail:
    company = _company(account)
    text = "\n".join([
        f"Guten Tag {customer.name},",
        "",
        f"mit diesem Link melden Sie sich über Dossier im Kundenportal von „{company}“ an (15 Minuten gültig, nur "
        "einmal verwendbar):",
        url,
        "",
        "Wenn Sie keinen Anmeldelink angefordert haben, ignorieren Sie diese E-Mail einfach.",
        "",
        f"Use this link to sign in to the customer portal of “{company}” through Dossier (valid for 15 minutes, "
        "once). If you did not ask for it, just ignore this e-mail.",
    ])
    return Mail(to=to, subject=SIGN_IN_SUBJECT, text=text, reply_to=account.branding.contact_email or None,
                account_id=account.id)


def sign_in_sms(account: Account, url: str) -> str:
    return f"Ihr Anmeldelink für „{_company(account)}“ (15 Min. gültig): {url}"


def _quoted(messages: list[Message]) -> list[str]:
    lines: list[str] = []
    for message in messages[-QUOTED_MESSAGES:]:
        body = message.body if len(message.body) <= _QUOTE_CHARS else message.body[:_QUOTE_CHARS] + " …"
        lines += [f"{message.author_name} ({message.at[:16].replace('T', ' ')} UTC):", body, ""]
    if len(messages) > QUOTED_MESSAGES:
        lines += [f"… und {len(messages) - QUOTED_MESSAGES} weitere / and {len(messages) - QUOTED_MESSAGES} more", ""]
    return lines


def customer_notice(account: Account, customer: Customer, messages: list[Message], url: str) -> Mail:
    """Staff wrote to the customer."""
    company = _company(account)
    text = "\n".join([
        f"Guten Tag {customer.name},",
        "",
        f"Sie haben eine neue Nachricht von „{company}“ im Kundenportal:",
        "",
        *_quoted(messages),
        f"Antworten Sie im Kundenportal: {url}",
        "",
        f"You have a new message from “{company}” in the customer portal; reply there.",
    ])
    return Mail(to=customer.email or "", subject=MESSAGES_SUBJECT, text=text,
                reply_to=account.branding.contact_email or None, account_id=account.id)


def staff_notice(account: Account, customer: Customer, messages: list[Message], url: str) -> Mail:
    """The customer wrote to staff (to the account's notification address)."""
    text = "\n".join([
        f"{customer.name} (Kundennummer {customer.number}) hat im Kundenportal geschrieben:",
        "",
        *_quoted(messages),
        f"In der Kundenakte antworten: {url}",
        "",
        f"{customer.name} wrote in the customer portal; reply in the customer's record.",
    ])
    return Mail(to=account.notification_email or "", subject=MESSAGES_SUBJECT, text=text)
