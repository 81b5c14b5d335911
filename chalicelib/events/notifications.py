"""Staff hear of uploads: one mail per customer per handled batch, not one per file."""

from __future__ import annotations

from collections.abc import Iterable

from chalicelib.events.pipeline import Outcome
from chalicelib.mail import Mail, send
from chalicelib.observability import logger


def upload_mails(outcomes: Iterable[Outcome]) -> list[Mail]:
    """The mails for files customers uploaded through their links, grouped by customer."""
    grouped: dict[tuple[str, str], list[Outcome]] = {}
    for outcome in outcomes:
        if outcome.result != "stored" or outcome.file is None or not outcome.file.link_id:
            continue
        to = outcome.account.notification_email if outcome.account else None
        if not to:
            continue
        grouped.setdefault((outcome.file.customer_id, to), []).append(outcome)
    mails = []
    for (_, to), uploads in grouped.items():
        customer = uploads[0].customer
        name = customer.name if customer else "Ein Kunde"
        count = len(uploads)
        listing = "\n".join(f"- {u.file.filename} ({u.file.size} Bytes)" for u in uploads if u.file)
        number = customer.number if customer else None
        text = (f"{name} (Kundennummer {number}) hat {count} {'neue Datei' if count == 1 else 'neue Dateien'} "
                f"hochgeladen:\n\n{listing}\n\nBitte prüfen Sie die Dateien in Dossier.\n")
        subject = f"{name}: {count} {'neue Datei' if count == 1 else 'neue Dateien'}"
        mails.append(Mail(to=to, subject=subject, text=text))
    return mails


def notify_staff(outcomes: Iterable[Outcome]) -> None:
    for mail in upload_mails(outcomes):
        try:
            send(mail)
        except Exception:
            # The uploads are recorded; a lost notification must not make S3 redeliver them.
            logger.exception("could not notify staff of uploads", extra={"to": mail.to})
