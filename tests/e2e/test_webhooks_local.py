"""Webhooks on the real local stack (`make run`'s process): the stream pump and the deliveries pump bring a
committed change to a receiver on 127.0.0.1, signed; the console's Settings → Webhooks screen manages the
endpoint and shows its deliveries (axe-core finds nothing serious)."""

from __future__ import annotations

import time
from typing import Any

import pytest
from standardwebhooks import Webhook

from tests.e2e.test_console import Office, check_accessibility, new_page, sign_in
from tests.support.webhooks import Receiver, receiver

pytestmark = [pytest.mark.e2e]


@pytest.fixture(scope="module")
def office(local_stack) -> Office:
    return Office(local_stack)


def wait_for_requests(site: Receiver, count: int, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while len(site.requests) < count and time.monotonic() < deadline:
        time.sleep(0.2)
    assert len(site.requests) >= count, f"{len(site.requests)} of {count} deliveries arrived"


def test_a_committed_change_reaches_a_receiver_through_the_local_pumps(office: Office) -> None:
    staff = office.staff
    with receiver() as site:
        hook = staff.call("POST", "/webhooks", {"url": site.url, "events": ["customer.created"]}, expect=201)
        customer = staff.call("POST", "/customers", {"name": "Wilma Webhook"}, expect=201)
        wait_for_requests(site, 1)
        payload = Webhook(hook["secret"]).verify(site.requests[0].body, site.requests[0].headers)
        assert (payload["type"], payload["data"]["customer_id"]) == ("customer.created", customer["id"])
        deadline = time.monotonic() + 10
        while not staff.call("GET", f"/webhooks/{hook['id']}/deliveries")["items"] and time.monotonic() < deadline:
            time.sleep(0.2)
        attempt, = staff.call("GET", f"/webhooks/{hook['id']}/deliveries")["items"]
        assert (attempt["event"], attempt["status_code"], attempt["ok"]) == ("customer.created", 200, True)
        staff.call("DELETE", f"/webhooks/{hook['id']}", expect=204)


@pytest.mark.browser
def test_the_settings_screen_adds_tests_and_lists_deliveries(browser: Any, office: Office) -> None:  # noqa: F811
    page = new_page(browser, office, 1280)
    sign_in(page, office)
    with receiver() as site:
        page.goto(office.stack.api_url + "/app/#/settings/webhooks")
        page.get_by_role("heading", name="Webhooks", exact=True).wait_for()
        check_accessibility(page, "settings, webhooks (empty)")
        page.get_by_label("Empfänger-URL (https)").fill(site.url)
        page.get_by_label("export.done").check()
        page.get_by_role("button", name="Webhook hinzufügen").last.click()
        secret = page.get_by_label("Signatur-Schlüssel").input_value()
        assert secret.startswith("whsec_")
        row = page.locator("li.webhook").filter(has_text=site.url)
        row.get_by_role("button", name="Test senden").click()
        wait_for_requests(site, 1)
        assert Webhook(secret).verify(site.requests[0].body, site.requests[0].headers)["type"] == "ping"
        row.get_by_role("button", name="Zustellungen").click()
        page.get_by_role("cell", name="ping").wait_for()
        check_accessibility(page, "settings, webhooks")
    assert page.problems == []  # type: ignore[attr-defined]
