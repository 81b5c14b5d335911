"""The permanent customer portal's API: the access link, sign-in by e-mail and SMS, sessions and their cookie,
CSRF, permissions, uploads, the profile, and isolation between customers and accounts."""

from __future__ import annotations

import datetime

import pytest

from chalicelib import clock
from tests.support.events import sent_mails
from tests.support.jobs import drain_jobs
from tests.support.portal import PortalClient, access_link_session, follow, mailed_sign_in_url, sent_sms


@pytest.fixture
def customer(api) -> dict:
    return api.post("/customers", {"name": "Erika Muster", "email": "erika@example.com",
                                   "phone": "0170 1234567"}).json


def test_smoke(api, account, customer, application, aws) -> None:
    account_id = account[0]
    portal = access_link_session(api, account_id, customer["id"])
    context = portal.context()
    assert context["customer"]["name"] == "Erika Muster"
    assert context["permissions"]["upload"] is True
    reply = api.get(f"/customers/{customer['id']}")
    assert reply.json["portal"]["access_link"] is True, reply
    assert reply.json["portal"]["signed_in_by"] == "access_link"
    reply = portal.client.post(f"/c/{account_id}/login", {"email": "erika@example.com"})
    assert reply.status == 202, reply
    url = mailed_sign_in_url(application, aws, "erika@example.com")
    assert url
    reply, second = follow(api, account_id, url)
    assert reply.status == 303 and second.cookie, reply
    reply = portal.client.post(f"/c/{account_id}/login", {"phone": "+49 170 1234567"})
    assert reply.status == 202, reply
    drain_jobs(application, aws)
    assert any("/signin/" in s["body"] for s in sent_sms())
    reply = portal.post("api/messages", {"body": "Hallo"})
    assert reply.status == 201, reply
    reply = api.post(f"/customers/{customer['id']}/messages", {"body": "Guten Tag"})
    assert reply.status == 201, reply
    drain_jobs(application, aws)
    assert api.get(f"/customers/{customer['id']}").json["unread_messages"] == 1
    reply = api.post("/customers/portal", {"enabled": False, "all": True})
    assert reply.status == 202, reply
    drain_jobs(application, aws)
    assert api.get(f"/jobs/{reply.json['id']}").json["status"] == "done"
    assert portal.get("api/context").status == 401
