"""The mail that asks a new customer to confirm their registration (German, as the portal's default).

The subject and the sender are Dossier's own; the business's name appears only in the body, named as the
business the registration is for, so a tenant cannot make the mail pose as someone else."""

from __future__ import annotations

from chalicelib import clock
from chalicelib.accounts.models import Account
from chalicelib.intake.models import PendingRegistration
from chalicelib.mail import Mail

SUBJECT = "Bitte bestätigen Sie Ihre E-Mail-Adresse / Please confirm your e-mail address"


def confirmation_mail(account: Account, pending: PendingRegistration, url: str) -> Mail:
    company = account.branding.company_name or account.name
    until = clock.parse(pending.expires_at).strftime("%d.%m.%Y %H:%M")
    text = "\n".join([
        f"Guten Tag {pending.name},",
        "",
        f"Sie haben sich über Dossier als Neukunde bei „{company}“ registriert. Bitte bestätigen Sie Ihre "
        f"E-Mail-Adresse mit diesem Link (gültig bis {until} UTC, nur einmal verwendbar):",
        url,
        "",
        "Danach können Sie Ihre Unterlagen hochladen. Wenn Sie sich nicht registriert haben, ignorieren Sie diese "
        "E-Mail einfach.",
        "",
        f"You registered as a new customer of “{company}” through Dossier. Please confirm your e-mail address "
        "with the link above (it works once). If you did not register, just ignore this e-mail.",
    ])
    return Mail(to=pending.email, subject=SUBJECT, text=text, reply_to=account.branding.contact_email or None,
                account_id=account.id)
