"""SES bounces and complaints → a suppression list per account.

Every mail names the SES configuration set (settings.mail_configuration_set), whose event destination
publishes bounces and complaints to an SNS topic; the topic feeds a queue (infra/template.yaml) that
`handle_mail_feedback` (app.py) reads. A permanent bounce or a complaint suppresses the address for the
account the mail was sent for (its `dossier-account` tag): chalicelib.mail refuses to mail it again.
Transient bounces (a full mailbox) suppress nothing.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from chalicelib import clock
from chalicelib.mail import ACCOUNT_TAG
from chalicelib.observability import logger
from chalicelib.storage.suppressions import SuppressionRepository


def is_suppressed(account_id: str, address: str) -> bool:
    return SuppressionRepository().contains(account_id, address)


def suppressions_of(notification: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(account, address, reason) for each address an SES event (configuration-set event or identity
    notification) says must not be mailed again."""
    kind = notification.get("eventType") or notification.get("notificationType")
    tags = (notification.get("mail") or {}).get("tags") or {}
    accounts = tags.get(ACCOUNT_TAG) or []
    if not accounts:
        return []
    account_id = accounts[0]
    if kind == "Bounce":
        bounce = notification.get("bounce") or {}
        if bounce.get("bounceType") != "Permanent":
            return []
        recipients = bounce.get("bouncedRecipients") or []
        reason = "bounce"
    elif kind == "Complaint":
        recipients = (notification.get("complaint") or {}).get("complainedRecipients") or []
        reason = "complaint"
    else:
        return []
    return [(account_id, r["emailAddress"], reason) for r in recipients if r.get("emailAddress")]


def handle_feedback(records: Iterable[dict[str, Any]]) -> int:
    """Record the suppressions in SQS records carrying SNS notifications of SES events; how many."""
    repository = SuppressionRepository()
    count = 0
    for record in records:
        try:
            body = json.loads(record["body"])
            notification = json.loads(body["Message"]) if "Message" in body else body
        except (KeyError, TypeError, ValueError):
            # A malformed message never becomes valid: retrying it would only fill the dead-letter queue.
            logger.warning("mail feedback not understood", extra={"message_id": record.get("messageId")})
            continue
        for account_id, address, reason in suppressions_of(notification):
            repository.add(account_id, address, reason, clock.now_iso())
            logger.info("address suppressed", extra={"account_id": account_id, "reason": reason})
            count += 1
    return count


def handle_batch(event: dict[str, Any]) -> dict[str, Any]:
    """The SQS event source's batch: each record on its own, failures reported so only they return."""
    failures = []
    for record in event.get("Records", []):
        try:
            handle_feedback([record])
        except Exception:
            logger.exception("mail feedback not recorded", extra={"message_id": record.get("messageId")})
            failures.append({"itemIdentifier": record.get("messageId")})
    return {"batchItemFailures": failures}
