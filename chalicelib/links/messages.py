"""The mail that carries an upload link to a customer (German, as the portal's default language)."""

from __future__ import annotations

from chalicelib import clock
from chalicelib.accounts.models import Account
from chalicelib.mail import Mail


def link_mail(account: Account, customer_name: str, to: str, url: str, message: str, expires_at: str) -> Mail:
    company = account.branding.company_name or account.name
    until = clock.parse(expires_at).strftime("%d.%m.%Y")
    lines = [f"Guten Tag {customer_name},", "", f"{company} bittet Sie, Unterlagen hochzuladen."]
    if message:
        lines += ["", message]
    lines += [
        "",
        "Ihr persönlicher Link (gültig bis " + until + "):",
        url,
        "",
        "Bitte geben Sie diesen Link nicht weiter.",
    ]
    contact = [c for c in (account.branding.contact_email, account.branding.contact_phone) if c]
    if contact:
        lines += ["", "Fragen? " + " · ".join(contact)]
    lines += ["", f"Mit freundlichen Grüßen\n{company}"]
    return Mail(to=to, subject=f"{company}: Bitte laden Sie Ihre Unterlagen hoch", text="\n".join(lines),
                reply_to=account.branding.contact_email or None)
