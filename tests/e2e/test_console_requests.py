"""Document requests in the staff console, in headless Chromium against the real local stack: a link with a due
date, the customer marks items as not applicable through the portal API, staff accept one and ask for the other
again on the Links tab's checklist, and the customer list's due filter finds the customer; axe-core on each."""

from __future__ import annotations

import datetime
from urllib.parse import urlsplit

import pytest
import requests

from tests.e2e import test_console
from tests.e2e.test_console import check_accessibility, new_page, rows, sign_in, wait_rows

pytestmark = [pytest.mark.e2e, pytest.mark.browser]

# The console tests' fixtures: a Chromium per module, an account per test.
office = test_console.office


def test_staff_decide_on_not_applicable_items_and_filter_by_due_date(browser, office) -> None:
    staff = office.staff
    payslip = staff.attribute("Lohnsteuerbescheinigung", "file")
    receipts = staff.attribute("Spendenquittungen", "file")
    due_soon = staff.call("POST", "/customers", {"name": "Clara Fällig"}, expect=201)
    staff.call("POST", "/customers", {"name": "Dora Ohne"}, expect=201)
    template = staff.call("POST", "/templates", {
        "name": "Einkommensteuer", "message": "Bitte bis zur Frist hochladen.", "due_in_days": 10,
        "items": [{"attribute_id": payslip}, {"attribute_id": receipts, "required": False}]}, expect=201)
    page = new_page(browser, office, 1280)
    sign_in(page, office)

    # "Link erstellen" from the template: it prefills areas and message; the due date set here wins.
    page.goto(f"{office.stack.api_url}/app/#/customers/{due_soon['id']}/links")
    page.get_by_role("region", name="Upload-Links").get_by_role("button", name="Link erstellen").click()
    dialog = page.locator("dialog")
    dialog.get_by_label("Vorlage").select_option(label="Einkommensteuer")
    assert dialog.get_by_label("Nachricht an den Kunden").input_value() == "Bitte bis zur Frist hochladen."
    assert not dialog.get_by_label("Allgemeine Dokumente").is_checked()
    due_date = (datetime.date.today() + datetime.timedelta(days=3)).isoformat()
    dialog.get_by_label("Fällig am").fill(due_date)
    check_accessibility(page, "create a link from a template")
    dialog.get_by_role("button", name="Link erstellen").click()
    url = page.locator("#link-url").input_value(timeout=15_000)
    link = staff.call("GET", f"/customers/{due_soon['id']}/links")["items"][0]
    assert link["template_id"] == template["id"]
    assert link["due_at"][:10] in (due_date, (datetime.date.today() + datetime.timedelta(days=4)).isoformat())
    assert sorted(item["id"] for item in link["items"]) == sorted([payslip, receipts])
    token = urlsplit(url).path.rsplit("/", 1)[-1]
    for item_id, comment in ((payslip, "Ich war nicht angestellt."), (receipts, "Keine Spenden.")):
        reply = requests.post(f"{office.stack.api_url}/p/{token}/items/{item_id}/not-applicable",
                              json={"comment": comment}, timeout=30)
        assert reply.status_code == 200, reply.text

    page.goto(f"{office.stack.api_url}/app/#/customers")
    wait_rows(page, ["Clara Fällig", "Dora Ohne"])
    # The due filter, combined with the status chips and the search: one list call each, with `due=`.
    page.get_by_label("Fälligkeit").select_option("this_week")
    wait_rows(page, ["Clara Fällig"])
    assert "due=this_week" in page.url
    check_accessibility(page, "customers, due this week")
    page.get_by_label("Fälligkeit").select_option("overdue")
    page.locator("p.empty").wait_for()
    assert rows(page) == []
    page.get_by_label("Fälligkeit").select_option("")
    wait_rows(page, ["Clara Fällig", "Dora Ohne"])

    page.goto(f"{office.stack.api_url}/app/#/customers/{due_soon['id']}/links")
    checklist = page.locator(f"[data-link='{link['id']}'] .checklist")
    payslip_item = checklist.locator(f"[data-item='{payslip}']")
    payslip_item.get_by_text("Ich war nicht angestellt.").wait_for()
    check_accessibility(page, "customer links, not applicable items")

    payslip_item.get_by_role("button", name="Akzeptieren").click()
    checklist.locator(f"[data-item='{payslip}'][data-state='accepted_na']").wait_for()
    receipts_item = checklist.locator(f"[data-item='{receipts}']")
    receipts_item.get_by_role("button", name="Zurückweisen").click()
    dialog = page.locator("dialog")
    dialog.get_by_label("Nachricht an den Kunden").fill("Bitte die Quittung der Kirche hochladen.")
    check_accessibility(page, "reject a not applicable item")
    dialog.get_by_role("button", name="Zurückweisen").click()
    checklist.locator(f"[data-item='{receipts}'][data-state='missing']").wait_for()

    items = {item["id"]: item for item in staff.call("GET", f"/customers/{due_soon['id']}/links")["items"][0]["items"]}
    assert items[payslip]["state"] == "accepted_na"
    assert items[receipts]["state"] == "missing"
    assert items[receipts]["comment"] == "Bitte die Quittung der Kirche hochladen."
    assert page.problems == []  # type: ignore[attr-defined]
