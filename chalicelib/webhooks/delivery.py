"""Delivering queued webhook messages: sign, POST to the checked address, record the attempt, retry later.

- Signed per Standard Webhooks with the `standardwebhooks` package: headers `webhook-id` (the event's id,
  the same on every attempt), `webhook-timestamp` (this attempt's time) and `webhook-signature`.
- The host is resolved and every answer checked (ssrf.py) at each attempt; the connection goes to exactly
  the checked address, with the URL's host name as Host header and TLS server name (SNI, certificate
  check). Redirects are not followed (a 3xx is a failure), the answer is read up to RESPONSE_READ_LIMIT
  bytes; each socket operation has TIMEOUT_SECONDS and the whole attempt ATTEMPT_SECONDS (a receiver that
  answers a byte at a time is cut off), well inside the function's timeout.
- Only a 2xx counts as delivered. A failed message is made visible again after BACKOFF_SECONDS[attempt]
  (ChangeMessageVisibility, at most 12 h; SQS's own DelaySeconds stops at 15 minutes) and reported as a
  batch item failure: attempts at 0 s, 1 min, 6 min, 36 min, 2.6 h, 8.6 h, 20.6 h and 32.6 h; after
  MAX_ATTEMPTS the queue's redrive policy (maxReceiveCount, checked by tests/infra) moves it to the DLQ.
- An endpoint whose deliveries fail without a success for DISABLE_AFTER is switched off, and the
  account's notification address is told once.
"""

from __future__ import annotations

import http.client
import socket
import ssl
import threading
import time
from datetime import timedelta
from typing import Any

from chalicelib import clock, ids
from chalicelib.observability import logger
from chalicelib.settings import get_settings
from chalicelib.webhooks import queue, ssrf
from chalicelib.webhooks.models import PING, DeliveryAttempt, DeliveryMessage, Endpoint
from chalicelib.webhooks.repository import EndpointGoneError, WebhookRepository

#: Seconds until the next attempt after attempt n (1-based) failed: index n - 1.
BACKOFF_SECONDS = (60, 300, 1_800, 7_200, 21_600, 43_200, 43_200)
MAX_ATTEMPTS = len(BACKOFF_SECONDS) + 1
DISABLE_AFTER = timedelta(days=3)
TIMEOUT_SECONDS = 10
ATTEMPT_SECONDS = 15
RESPONSE_READ_LIMIT = 16 * 1024
USER_AGENT = "Dossier-Webhooks/1"


class _PinnedHTTPConnection(http.client.HTTPConnection):
    """Connects to `address` whatever `host` resolves to now (the request still names `host`)."""

    def __init__(self, host: str, port: int, address: str, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout)
        self._address = address

    def connect(self) -> None:
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    def __init__(self, host: str, port: int, address: str, timeout: float) -> None:
        self._tls = ssl.create_default_context()
        super().__init__(host, port, timeout=timeout, context=self._tls)
        self._address = address

    def connect(self) -> None:
        raw = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._tls.wrap_socket(raw, server_hostname=self.host)


def post(url: str, headers: dict[str, str], body: bytes) -> tuple[int | None, str | None]:
    """POST `body` to `url` after checking where it leads: (status code, None) if the receiver answered,
    (None, why not) otherwise."""
    stage = get_settings().stage
    try:
        target = ssrf.parse(url, stage)
        address = ssrf.resolve(target, stage)
    except ssrf.UnsafeUrlError as exc:
        return None, f"refused: {exc.reason}"
    kind = _PinnedHTTPSConnection if target.scheme == "https" else _PinnedHTTPConnection
    connection = kind(target.host, target.port, address, TIMEOUT_SECONDS)
    watchdog = threading.Timer(ATTEMPT_SECONDS, _cut_off, args=(connection,))
    watchdog.daemon = True
    watchdog.start()
    try:
        connection.request("POST", target.path, body=body, headers={
            **headers, "Content-Type": "application/json", "User-Agent": USER_AGENT, "Connection": "close"})
        response = connection.getresponse()
        response.read(RESPONSE_READ_LIMIT)
        return response.status, None
    except (OSError, http.client.HTTPException, ValueError) as exc:
        return None, f"{type(exc).__name__}: {exc}"[:300]
    finally:
        watchdog.cancel()
        connection.close()


def _cut_off(connection: http.client.HTTPConnection) -> None:
    """End an attempt that outlived ATTEMPT_SECONDS: a blocked read returns at once."""
    sock = connection.sock
    if sock is not None:
        try:
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


def signed_headers(secret: str, message: DeliveryMessage) -> dict[str, str]:
    from standardwebhooks import Webhook

    moment = clock.now()
    signature = Webhook(secret).sign(message.event_id, moment, message.body)
    return {"webhook-id": message.event_id, "webhook-timestamp": str(int(moment.timestamp())),
            "webhook-signature": signature}


def _wanted(endpoint: Endpoint | None, message: DeliveryMessage) -> bool:
    """Whether the endpoint still wants the message (it may have been deleted, switched off or have
    unsubscribed since the message was queued). A ping goes to any existing endpoint."""
    if endpoint is None:
        return False
    if message.event == PING:
        return True
    return endpoint.enabled and message.event in endpoint.events


def deliver(message: DeliveryMessage, attempt: int) -> bool:
    """One attempt; True if the message is done with (delivered, or no longer wanted)."""
    repository = WebhookRepository()
    endpoint = repository.get(message.account_id, message.endpoint_id)
    if not _wanted(endpoint, message):
        return True
    assert endpoint is not None
    started = time.monotonic()
    status, error = post(endpoint.url, signed_headers(endpoint.secret, message), message.body.encode())
    ok = status is not None and 200 <= status < 300
    repository.record_attempt(message.account_id, endpoint.id, DeliveryAttempt(
        id=ids.new_id(), event_id=message.event_id, event=message.event, at=clock.now_iso(), attempt=attempt,
        status_code=status, ok=ok, error=error, duration_ms=int((time.monotonic() - started) * 1000)))
    if ok:
        if endpoint.failing_since:
            repository.mark_healthy(message.account_id, endpoint.id)
        return True
    logger.info("webhook delivery failed", extra={"account_id": message.account_id, "webhook_id": endpoint.id,
                                                  "event_id": message.event_id, "attempt": attempt,
                                                  "status_code": status, "error": error})
    try:
        since = repository.mark_failing(message.account_id, endpoint.id, clock.now_iso())
    except EndpointGoneError:
        return True
    if clock.now() - clock.parse(since) >= DISABLE_AFTER and message.event != PING:
        if repository.disable_failing(message.account_id, endpoint.id, clock.now_iso()):
            _tell_account(message.account_id, endpoint, since)
        return True
    return False


def _tell_account(account_id: str, endpoint: Endpoint, since: str) -> None:
    from chalicelib.accounts.service import load_partition
    from chalicelib.mail import Mail, send

    account = load_partition(account_id).account
    logger.warning("webhook disabled after failing for days", extra={"account_id": account_id,
                                                                     "webhook_id": endpoint.id, "since": since})
    if not account.notification_email:
        return
    send(Mail(to=account.notification_email, subject="Webhook deaktiviert / Webhook disabled", text=(
        f"Der Webhook {endpoint.url} hat seit {since[:16].replace('T', ' ')} UTC keine Zustellung angenommen und "
        "wurde deshalb deaktiviert. Sie können ihn in den Einstellungen wieder aktivieren.\n\n"
        f"The webhook {endpoint.url} has not accepted a delivery since {since[:16].replace('T', ' ')} UTC and "
        "was disabled. You can enable it again in the settings.\n")))


def backoff_seconds(attempt: int) -> int:
    return BACKOFF_SECONDS[min(attempt, len(BACKOFF_SECONDS)) - 1]


def handle_deliveries(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """The SQS batch handler: every message not done is a batch item failure, made visible again after its
    back-off (the last attempt's is left to the queue, which then moves it to the DLQ)."""
    failures = []
    for record in event.get("Records", []):
        try:
            message = DeliveryMessage.model_validate_json(record["body"])
        except ValueError:
            logger.error("dropping a malformed webhook delivery", extra={"message_id": record.get("messageId")})
            continue
        attempt = int((record.get("attributes") or {}).get("ApproximateReceiveCount", "1"))
        try:
            done = deliver(message, attempt)
        except Exception:
            logger.exception("webhook delivery crashed", extra={"event_id": message.event_id})
            done = False
        if not done:
            failures.append({"itemIdentifier": record["messageId"]})
            if attempt < MAX_ATTEMPTS:
                queue.retry_later(record["receiptHandle"], backoff_seconds(attempt))
    return {"batchItemFailures": failures}

