"""E-mail through SES (moto records it locally). On the local stack every mail is also logged, so a
developer sees what would have been sent."""

from __future__ import annotations

from dataclasses import dataclass

from chalicelib import aws
from chalicelib.observability import logger
from chalicelib.settings import get_settings


@dataclass(frozen=True)
class Mail:
    to: str
    subject: str
    text: str
    reply_to: str | None = None


def send(mail: Mail) -> str:
    """Send one plain-text mail; the provider's message id."""
    settings = get_settings()
    request = {
        "FromEmailAddress": settings.mail_sender,
        "Destination": {"ToAddresses": [mail.to]},
        "Content": {"Simple": {"Subject": {"Data": mail.subject, "Charset": "UTF-8"},
                               "Body": {"Text": {"Data": mail.text, "Charset": "UTF-8"}}}},
    }
    if mail.reply_to:
        request["ReplyToAddresses"] = [mail.reply_to]
    message_id = aws.client("sesv2").send_email(**request)["MessageId"]
    if settings.stage == "local":
        logger.info("mail sent", extra={"to": mail.to, "subject": mail.subject, "text": mail.text,
                                        "message_id": message_id})
    return message_id
