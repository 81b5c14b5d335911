"""The local stack runs the hourly `send_reminders` on its own schedule (`LOCAL_REMINDERS_SECONDS`)."""

from __future__ import annotations

import datetime

import requests

from chalicelib import clock
from tests.e2e.conftest import start_stack
from tests.support.local_stack import Staff, wait_for


def test_a_stack_with_a_short_reminder_interval_sends_a_due_reminder_by_itself() -> None:
    stack = start_stack(extra_env={"LOCAL_REMINDERS_SECONDS": "1"})
    try:
        staff = Staff(stack.api_url, stack.admin_token)
        staff.call("PATCH", "/account", {"notifications": {"sms_reminders": True}}, expect=200)
        customer = staff.call("POST", "/customers", {"name": "Erika Erinnerung", "email": "erika@example.com",
                                                     "phone": "0170 9876543"}, expect=201)
        # Due in a day and a few seconds, reminded a day before: the reminder is due a few seconds from now.
        due = clock.now() + datetime.timedelta(days=1, seconds=4)
        link = staff.call("POST", f"/customers/{customer['id']}/links", {
            "areas": ["general"], "due_at": clock.iso(due),
            "reminders": {"enabled": True, "before_due_days": [1], "every_days_after": 0}}, expect=201)
        assert link["reminders"]["next_at"] > clock.now_iso()

        def sent(channel: str, to: str) -> dict | None:
            items = requests.get(f"{stack.api_url}/_local/outbox.json", timeout=10).json()["items"]
            return next((item for item in items if item["channel"] == channel and item["to"] == to
                         and "Erinnerung" in item["subject"] + item["body"]), None)

        mail = wait_for(lambda: sent("email", "erika@example.com"), seconds=30, what="the scheduled reminder")
        assert any("/p/" in url for url in mail["links"])
        # The SMS moto's SNS recorded shows in the outbox too, with the same URL.
        text = wait_for(lambda: sent("sms", "+491709876543"), seconds=10, what="the reminder's SMS")
        assert text["links"] == [url for url in mail["links"] if "/p/" in url]
        shown = staff.call("GET", f"/customers/{customer['id']}/links", expect=200)["items"][0]["reminders"]
        assert shown["sent_count"] == 1 and shown["next_at"] is None  # the only planned one went
    finally:
        assert stack.stop() == 0
