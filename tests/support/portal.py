"""Driving the permanent customer portal in-process: sign-in by the access link or by a mailed or texted link,
and a client that carries the session cookie and the CSRF token like a browser."""

from __future__ import annotations

import re
from typing import Any

from tests.support.api import ApiClient, Reply
from tests.support.events import sent_mails
from tests.support.jobs import drain_jobs

_COOKIE = re.compile(r"dossier_portal=([^;]*)")


def sent_sms() -> list[dict[str, str]]:
    """Every SMS moto's SNS recorded in this process, oldest first."""
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.sns.models import sns_backends

    backend = sns_backends[DEFAULT_ACCOUNT_ID]["eu-central-1"]
    return [{"to": phone, "body": text} for phone, text in backend.sms_messages.values()]


def path_of(url: str) -> str:
    return "/" + url.split("://", 1)[1].split("/", 1)[1]


def cookie_of(reply: Reply) -> str | None:
    found = _COOKIE.search(reply.headers.get("Set-Cookie", ""))
    return found.group(1) if found else None


class PortalClient:
    """A browser's view of the portal: the session cookie on every request, X-CSRF-Token on state changes."""

    def __init__(self, client: ApiClient, account_id: str, cookie: str | None, csrf: str | None = None) -> None:
        self.client = client.with_token(None)
        self.account_id = account_id
        self.cookie = cookie
        self.csrf = csrf

    def request(self, method: str, path: str, json_body: Any = None, *, csrf: bool = True,
                headers: dict[str, str] | None = None) -> Reply:
        sent = dict(headers or {})
        if self.cookie is not None:
            sent["cookie"] = f"dossier_portal={self.cookie}"
        if csrf and self.csrf and method.upper() not in ("GET", "HEAD"):
            sent.setdefault("x-csrf-token", self.csrf)
        return self.client.request(method, f"/c/{self.account_id}/{path}", json_body, headers=sent)

    def get(self, path: str, **kwargs: Any) -> Reply:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, json_body: Any = None, **kwargs: Any) -> Reply:
        return self.request("POST", path, json_body, **kwargs)

    def put(self, path: str, json_body: Any = None, **kwargs: Any) -> Reply:
        return self.request("PUT", path, json_body, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> Reply:
        return self.request("DELETE", path, **kwargs)

    def context(self) -> dict[str, Any]:
        reply = self.get("api/context")
        assert reply.status == 200, reply
        self.csrf = reply.json["csrf_token"]
        return reply.json


def follow(client: ApiClient, account_id: str, url: str, cookie: str | None = None) -> tuple[Reply, PortalClient]:
    """Follow a sign-in or access link like a browser (with the cookie it may have): an access link by GET, a
    one-time sign-in link by GET (its page) and then its button; the last reply and the signed-in client (its
    cookie None when the link did not sign in)."""
    headers = {"cookie": f"dossier_portal={cookie}"} if cookie else {}
    anonymous = client.with_token(None)
    reply = anonymous.get(path_of(url), headers=headers)
    if "/signin/" in path_of(url):
        reply = press_sign_in(anonymous, path_of(url), headers)
    return reply, PortalClient(client, account_id, cookie_of(reply))


def press_sign_in(client: ApiClient, path: str, headers: dict[str, str] | None = None) -> Reply:
    """The sign-in page's button: its form's empty POST to the link's own address."""
    return client.with_token(None).post(path, raw=b"", headers={
        "content-type": "application/x-www-form-urlencoded", "sec-fetch-site": "same-origin", **(headers or {})})


def access_link_session(api: ApiClient, account_id: str, customer_id: str) -> PortalClient:
    """A customer signed in through a fresh permanent access link, with the context's CSRF token."""
    reply = api.post(f"/customers/{customer_id}/portal-access")
    assert reply.status == 201, reply
    followed, portal = follow(api, account_id, reply.json["url"])
    assert followed.status == 303 and portal.cookie, followed
    portal.context()
    return portal


def fresh_sign_in_token(account_id: str, phone: str) -> str:
    """A one-time sign-in link's token for the customer with this mobile number (E.164) and the portal on, stored
    and texted as the sign-in job does (without the job queue and the rate limits of asking for one)."""
    from chalicelib.customer_portal import service

    assert service.send_sign_in_link(account_id, None, phone), phone
    text = next(t for t in reversed(sent_sms()) if t["to"] == phone and "/signin/" in t["body"])
    return re.search(r"/signin/(\S+)", text["body"]).group(1)  # type: ignore[union-attr]


def mailed_sign_in_url(application: Any, aws: Any, to: str) -> str | None:
    """Run the queued sign-in jobs; the newest sign-in URL mailed to `to`, if any."""
    drain_jobs(application, aws)
    for mail in reversed(sent_mails()):
        if to in mail["to"] and "/signin/" in mail["body"]:
            return re.search(r"https?://\S+/signin/\S+", mail["body"]).group(0)  # type: ignore[union-attr]
    return None
