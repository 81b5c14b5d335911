"""The mail that carries an upload link to a customer (German, as the portal's default language).

The subject and the sender are Dossier's own: the business's name and its message appear only in the body,
each named as coming from the business, so a tenant cannot make the mail pose as someone else."""

from __future__ import annotations

from chalicelib import clock
from chalicelib.accounts.models import Account
from chalicelib.mail import Mail

SUBJECT = "Ihr persönlicher Upload-Link / Your personal upload link"


def link_mail(account: Account, customer_name: str, to: str, url: str, message: str, expires_at: str) -> Mail:
    company = account.branding.company_name or account.name
    until = clock.parse(expires_at).strftime("%d.%m.%Y")
    lines = [f"Guten Tag {customer_name},", "", f"„{company}“ bittet Sie über Dossier, Unterlagen hochzuladen."]
    if message:
        lines += ["", f"Nachricht von „{company}“:", message]
    lines += [
        "",
        "Ihr persönlicher Link (gültig bis " + until + "):",
        url,
        "",
        "Bitte geben Sie diesen Link nicht weiter.",
    ]
    contact = [c for c in (account.branding.contact_email, account.branding.contact_phone) if c]
    if contact:
        lines += ["", f"Fragen an „{company}“: " + " · ".join(contact)]
    lines += ["", f"Diese E-Mail hat Dossier im Auftrag von „{company}“ versandt."]
    return Mail(to=to, subject=SUBJECT, text="\n".join(lines), reply_to=account.branding.contact_email or None,
                account_id=account.id)


CLARIFICATION_SUBJECT = "Rückfrage zu Ihrer Unterlage / A question about your document"


def clarification_mail(account: Account, customer_name: str, to: str, url: str, filename: str, comment: str,
                       expires_at: str) -> Mail:
    """Staff need more about a file the customer uploaded: their comment and the way back to the request."""
    company = account.branding.company_name or account.name
    until = clock.parse(expires_at).strftime("%d.%m.%Y")
    lines = [f"Guten Tag {customer_name},", "",
             f"„{company}“ hat eine Rückfrage zu Ihrer Unterlage „{filename}“.", "",
             f"Nachricht von „{company}“:", comment, "",
             "Bitte laden Sie die Unterlage über Ihren persönlichen Link erneut hoch (gültig bis " + until + "):",
             url, "",
             "Frühere Links zu dieser Anfrage gelten nicht mehr. Bitte geben Sie diesen Link nicht weiter."]
    contact = [c for c in (account.branding.contact_email, account.branding.contact_phone) if c]
    if contact:
        lines += ["", f"Fragen an „{company}“: " + " · ".join(contact)]
    lines += ["", f"Diese E-Mail hat Dossier im Auftrag von „{company}“ versandt."]
    return Mail(to=to, subject=CLARIFICATION_SUBJECT, text="\n".join(lines),
                reply_to=account.branding.contact_email or None, account_id=account.id)


REMINDER_SUBJECT = "Erinnerung: Ihre Unterlagen / Reminder: your documents"


def reminder_mail(account: Account, customer_name: str, to: str, url: str, open_items: list[str], due_at: str,
                  expires_at: str) -> Mail:
    """A planned reminder of a request that is not complete yet: what is still open and the way to it."""
    company = account.branding.company_name or account.name
    due = clock.parse(due_at).strftime("%d.%m.%Y")
    until = clock.parse(expires_at).strftime("%d.%m.%Y")
    lines = [f"Guten Tag {customer_name},", "",
             f"„{company}“ erinnert Sie an die angefragten Unterlagen (fällig am {due})."]
    if open_items:
        lines += ["", "Noch offen:", *[f"- {name}" for name in open_items]]
    lines += ["", "Ihr persönlicher Link (gültig bis " + until + "):", url, "",
              "Frühere Links zu dieser Anfrage gelten nicht mehr. Bitte geben Sie diesen Link nicht weiter.", "",
              f"Diese E-Mail hat Dossier im Auftrag von „{company}“ versandt."]
    return Mail(to=to, subject=REMINDER_SUBJECT, text="\n".join(lines),
                reply_to=account.branding.contact_email or None, account_id=account.id)


def reminder_sms(account: Account, url: str, due_at: str) -> str:
    """The reminder as a text message: short (one or two SMS), the business named as the one asking."""
    company = (account.branding.company_name or account.name)[:40]
    due = clock.parse(due_at).strftime("%d.%m.%Y")
    return f"Erinnerung von „{company}“ über Dossier: Ihre Unterlagen sind am {due} fällig. Ihr Link: {url}"
