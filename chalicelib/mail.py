"""E-mail through SES (moto records it locally). On the local stack every mail is also logged, so a
developer sees what would have been sent.

Mail sent on behalf of an account (`Mail.account_id`: link mails, registration confirmations) is bounded and
protected, because anyone with a member token or a registration link can cause it:
- at most `ACCOUNT_MAILS_PER_HOUR` such mails per account and `RECIPIENT_MAILS_PER_HOUR` per recipient and
  account (429 `rate_limited` with Retry-After);
- an address SES reported as bouncing or complaining (chalicelib.mail_feedback) is not mailed again by that
  account (SuppressedAddressError: 422 at the field that names the address);
- each mail carries the account as an SES message tag, so bounces and complaints find their account.
The sender, its display name and the subjects are Dossier's own; tenant text goes only into the body.
"""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING, NamedTuple

from chalicelib import aws, errors
from chalicelib.observability import logger
from chalicelib.settings import get_settings

if TYPE_CHECKING:  # pragma: no cover
    from mypy_boto3_sesv2.type_defs import SendEmailRequestTypeDef

ACCOUNT_MAILS_PER_HOUR = 200
RECIPIENT_MAILS_PER_HOUR = 5
_HOUR = 3600
#: The SES message tag that names the account a mail was sent for.
ACCOUNT_TAG = "dossier-account"


class Mail(NamedTuple):
    to: str
    subject: str
    text: str
    reply_to: str | None = None
    #: The account the mail is sent for (limits, suppression); None for mail to the account's own staff.
    account_id: str | None = None


def address_hash(address: str) -> str:
    return hashlib.sha256(address.strip().casefold().encode()).hexdigest()


def send(mail: Mail, admitted: bool = False) -> str:
    """Send one plain-text mail; the provider's message id. Mail for an account is checked and counted first
    (`admit`), unless the caller did that already (`admitted`)."""
    settings = get_settings()
    if mail.account_id and not admitted:
        admit(mail.account_id, mail.to)
    request: SendEmailRequestTypeDef = {
        "FromEmailAddress": settings.mail_sender,
        "Destination": {"ToAddresses": [mail.to]},
        "Content": {"Simple": {"Subject": {"Data": mail.subject, "Charset": "UTF-8"},
                               "Body": {"Text": {"Data": mail.text, "Charset": "UTF-8"}}}},
    }
    if mail.reply_to:
        request["ReplyToAddresses"] = [mail.reply_to]
    if mail.account_id:
        request["EmailTags"] = [{"Name": ACCOUNT_TAG, "Value": mail.account_id}]
    if settings.mail_configuration_set:
        request["ConfigurationSetName"] = settings.mail_configuration_set
    message_id = aws.client("sesv2").send_email(**request)["MessageId"]
    if settings.stage == "local":
        logger.info("mail sent", extra={"to": mail.to, "subject": mail.subject, "text": mail.text,
                                        "message_id": message_id})
    return message_id


def admit(account_id: str, to: str) -> None:
    """Check that the account may mail `to` now and count it (SuppressedAddressError, RateLimitedError): callers
    that write before sending call this first, so a refused mail leaves nothing behind."""
    from chalicelib.limits.service import take
    from chalicelib.mail_feedback import is_suppressed

    if is_suppressed(account_id, to):
        raise errors.SuppressedAddressError(
            f"{to} cannot receive mail: it bounced or its owner reported mail as spam. Check the address.")
    take(account_id, "mail", ACCOUNT_MAILS_PER_HOUR, _HOUR,
         f"This account sent {ACCOUNT_MAILS_PER_HOUR} mails in the last hour; please try again later.")
    take(account_id, f"mail-to#{address_hash(to)}", RECIPIENT_MAILS_PER_HOUR, _HOUR,
         f"{to} was mailed {RECIPIENT_MAILS_PER_HOUR} times in the last hour; please try again later.")
