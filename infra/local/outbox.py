"""The local outbox: every e-mail and SMS the local stack "sent", read from what moto's SES and SNS recorded.

`GET /_local/outbox` (HTML, newest first, links clickable) and `GET /_local/outbox.json`
(`{"items": [{"at", "channel", "to", "subject", "body", "links"}]}`). Only the local stack registers these
routes, since only there does moto run in the API's process; the app answers 404 for `/_local/*` on any other
stage anyway (chalicelib/locallogin/middleware.py).
"""

from __future__ import annotations

import email
import email.policy
import functools
import html
import json
import re
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, nullcontext
from datetime import UTC, datetime
from typing import Any

from chalice import Blueprint, Response

from chalicelib.api.pages import PAGE_SECURITY_HEADERS

_LINK = re.compile(r"https?://[^\s<>\"')\]]+")



#: sha256 of each moto function `record_send_times` wraps (moto 5.2.5: SES's send methods return the message,
#: SNS's publish the message id, SMS kept in `sms_messages`), checked by tests/infra/test_moto_pins.py.
PINNED_SOURCES = {
    "moto.ses.models.SESBackend.send_email": "965d7929fe2e2300af30065fbc721c675db1d6101715dd01ea31cc9655bb23c0",
    "moto.ses.models.SESBackend.send_raw_email": "b6e917a99ff41f4a444611ffac34f7c6034da19b97255e0d7159294592dbc760",
    "moto.ses.models.SESBackend.send_templated_email":
        "1e9de5a8a6dc9a4cf821d98a5c5d46b57f5cf536170603801648619ebc737c32",
    "moto.sns.models.SNSBackend.publish": "ecbb36450fe352ab1d419ae53132aeafe1ab44b0f7f133e4ecd11da4de943f23",
}


def record_send_times() -> None:
    """moto records mail and SMS without a time; stamp each as it is sent (idempotent). A patch of moto 5.2.5
    (`PINNED_SOURCES`)."""
    from moto.ses.models import SESBackend
    from moto.sns.models import SNSBackend

    if getattr(SESBackend, "_dossier_timed", False):
        return

    def stamped(method: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(method)
        def send(self: Any, *args: Any, **kwargs: Any) -> Any:
            message = method(self, *args, **kwargs)
            message.dossier_sent_at = time.time()
            return message

        return send

    for name in ("send_email", "send_raw_email", "send_templated_email"):
        setattr(SESBackend, name, stamped(getattr(SESBackend, name)))
    publish = SNSBackend.publish

    @functools.wraps(publish)
    def publish_stamped(self: Any, *args: Any, **kwargs: Any) -> Any:
        message_id = publish(self, *args, **kwargs)
        if message_id in self.sms_messages:
            self.__dict__.setdefault("dossier_sms_sent_at", {})[message_id] = time.time()
        return message_id

    SNSBackend.publish = publish_stamped  # type: ignore[method-assign]
    SESBackend._dossier_timed = True  # type: ignore[attr-defined]


def _iso(epoch: float | None) -> str:
    moment = datetime.fromtimestamp(epoch or 0, UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def _mail_item(message: Any) -> dict[str, Any]:
    raw = getattr(message, "raw_data", None)
    if raw is not None:
        parsed = email.message_from_string(raw, policy=email.policy.default)
        part = parsed.get_body(preferencelist=("plain", "html"))
        body = part.get_content() if part is not None else ""
        subject = str(parsed.get("Subject", ""))
        # moto lists an address once per place it found it (Destinations and the To header).
        to = ", ".join(dict.fromkeys(getattr(message, "destinations", []) or [str(parsed.get("To", ""))]))
    else:
        body = getattr(message, "body", "") or ""
        subject = getattr(message, "subject", "") or ""
        destinations = getattr(message, "destinations", {}) or {}
        to = ", ".join(address for addresses in destinations.values() for address in addresses)
    return {"at": _iso(getattr(message, "dossier_sent_at", None)), "channel": "email", "to": to,
            "subject": subject, "body": body, "links": _LINK.findall(body)}


def _items() -> Iterator[dict[str, Any]]:
    from moto.backends import get_backend

    for regions in list(get_backend("ses").values()):  # type: ignore[no-untyped-call]
        for backend in list(regions.values()):
            for message in list(backend.sent_messages):
                yield _mail_item(message)
    for regions in list(get_backend("sns").values()):  # type: ignore[no-untyped-call]
        for backend in list(regions.values()):
            sent_at = getattr(backend, "dossier_sms_sent_at", {})
            for message_id, (phone, text) in list(backend.sms_messages.items()):
                yield {"at": _iso(sent_at.get(message_id)), "channel": "sms", "to": phone, "subject": "",
                       "body": text, "links": _LINK.findall(text)}


def outbox_items(exclusive: Callable[[], AbstractContextManager[Any]] | None = None) -> list[dict[str, Any]]:
    """Everything sent, newest first; `exclusive` holds moto's requests off while it reads."""
    with (exclusive or nullcontext)():
        items = list(_items())
    return sorted(items, key=lambda item: item["at"], reverse=True)


def render_page(items: list[dict[str, Any]]) -> str:
    """The outbox as HTML: every value escaped, every link a link."""
    def linked(text: str) -> str:
        out, last = [], 0
        for match in _LINK.finditer(text):
            out.append(html.escape(text[last:match.start()]))
            url = html.escape(match.group(0), quote=True)
            out.append(f'<a href="{url}">{url}</a>')
            last = match.end()
        out.append(html.escape(text[last:]))
        return "".join(out)

    entries = []
    for item in items:
        heading = html.escape(item["subject"] or ("SMS" if item["channel"] == "sms" else "(no subject)"))
        entries.append(
            f"<article><h2>{heading}</h2>"
            f"<p>{html.escape(item['channel'])} to <b>{html.escape(item['to'])}</b>, "
            f"<time>{html.escape(item['at'])}</time></p>"
            f"<pre>{linked(item['body'])}</pre></article>")
    body = "\n".join(entries) or "<p>Nothing sent yet.</p>"
    return ("<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>Outbox (local)</title>"
            "<meta name=\"robots\" content=\"noindex\"></head><body>"
            "<h1>Outbox</h1><p>What the local stack sent, newest first "
            "(<a href=\"/_local/outbox.json\">JSON</a>).</p>\n"
            f"{body}\n</body></html>\n")


def blueprint(exclusive: Callable[[], AbstractContextManager[Any]] | None = None) -> Blueprint:
    """The outbox routes, reading moto under `exclusive` (the moto server's lock)."""
    from chalicelib.portal.page import content_security_policy

    routes = Blueprint(__name__)

    @routes.route("/_local/outbox", methods=["GET"])
    def outbox_page() -> Response:
        headers = {"Content-Type": "text/html; charset=utf-8",
                   "Content-Security-Policy": content_security_policy(), **PAGE_SECURITY_HEADERS}
        return Response(body=render_page(outbox_items(exclusive)), status_code=200, headers=headers)

    @routes.route("/_local/outbox.json", methods=["GET"])
    def outbox_json() -> Response:
        return Response(body=json.dumps({"items": outbox_items(exclusive)}), status_code=200,
                        headers={"Content-Type": "application/json", **PAGE_SECURITY_HEADERS})

    return routes
