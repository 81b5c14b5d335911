"""Text messages through SNS (`Publish` to a phone number; moto records them, and the local outbox shows them).

Numbers are sent in E.164 (`+491701234567`). A number written nationally (`0170 1234567`) is taken as German
(DEFAULT_COUNTRY_CODE), Dossier's market; `00` is read as `+`. SMS sent for an account count against the same
per-account and per-recipient limits as mail (chalicelib.mail.admit), under the number.
"""

from __future__ import annotations

import re

from chalicelib import aws
from chalicelib.observability import logger
from chalicelib.settings import get_settings

DEFAULT_COUNTRY_CODE = "49"
_DIGITS = re.compile(r"\d+")


def e164(number: str) -> str | None:
    """The number in E.164, or None if it cannot be one (too short or too long)."""
    text = number.strip()
    digits = "".join(_DIGITS.findall(text))
    if text.startswith("+"):
        international = digits
    elif digits.startswith("00"):
        international = digits[2:]
    elif digits.startswith("0"):
        international = DEFAULT_COUNTRY_CODE + digits[1:]
    else:
        international = digits
    return f"+{international}" if 8 <= len(international) <= 15 else None


#: German numbers that can receive SMS: the mobile ranges 015x, 016x, 017x.
_GERMAN_MOBILE = ("+4915", "+4916", "+4917")


def mobile_number(number: str | None) -> str | None:
    """The number in E.164 if it can receive an SMS: a German one only in the mobile ranges (a landline cannot),
    another country's as it is (without a numbering plan per country, it is taken at its word)."""
    to = e164(number) if number else None
    if to is None or (to.startswith("+49") and not to.startswith(_GERMAN_MOBILE)):
        return None
    return to


def send(number: str, text: str, account_id: str | None = None) -> str:
    """Send one transactional SMS; SNS's message id. ValueError for a number that is not one."""
    to = e164(number)
    if to is None:
        raise ValueError(f"not a phone number: {number!r}")
    if account_id:
        from chalicelib.mail import admit

        admit(account_id, to)
    message_id = aws.client("sns").publish(
        PhoneNumber=to, Message=text,
        MessageAttributes={"AWS.SNS.SMS.SMSType": {"DataType": "String", "StringValue": "Transactional"}},
    )["MessageId"]
    if get_settings().stage == "local":
        logger.info("sms sent", extra={"to": to, "text": text, "message_id": message_id})
    return message_id
