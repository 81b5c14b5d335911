"""Approvals in headless Chromium against the local stack: staff send a document for approval, the customer opens
the signing dialog in the portal home, draws a signature with the mouse (pointer events on the canvas) and
approves; another customer signs with their typed name using the keyboard only. axe-core on the dialog."""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e import test_console
from tests.e2e.test_console import check_accessibility, new_page
from tests.e2e.test_portal_page import pdf, post_file
from tests.support.keyboard_and_pen import draw_signature, tab_to

pytestmark = [pytest.mark.e2e, pytest.mark.browser]

office = test_console.office


def approval_for(office: Any, name: str, email: str) -> tuple[dict, dict, str]:
    """A customer, a sent document waiting for their approval, and their permanent access link."""
    staff = office.staff
    customer = staff.call("POST", "/customers", {"name": name, "email": email}, expect=201)
    sent = staff.call("POST", f"/customers/{customer['id']}/files", {
        "filename": "Kostenvoranschlag.pdf", "size": 30_000, "content_type": "application/pdf", "area": "general",
        "direction": "sent"}, expect=201)
    post_file(sent, pdf(30_000), "application/pdf")
    staff.wait_for_files(customer["id"], 1, "sent")
    approval = staff.call("POST", f"/customers/{customer['id']}/approvals", {
        "file_id": sent["file_id"], "message": "Bitte prüfen und freigeben."}, expect=201)
    access = staff.call("POST", f"/customers/{customer['id']}/portal-access", expect=201)
    return customer, approval, access["url"]


def test_a_customer_approves_with_a_drawn_signature(browser, office) -> None:
    customer, approval, url = approval_for(office, "Anna Schmidt", "anna.schmidt@example.com")
    page = new_page(browser, office, 375)
    page.goto(url)
    page.wait_for_url(f"**/c/{office.account_id}/home")
    item = page.locator(f"li[data-approval='{approval['id']}']")
    item.get_by_text("Bitte prüfen und freigeben.").wait_for()
    item.get_by_role("button", name="Prüfen und freigeben").click()
    dialog = page.get_by_role("dialog", name="Dokument freigeben")
    dialog.wait_for()
    dialog.get_by_label("Ihr vollständiger Name").fill("Anna Schmidt")
    canvas = dialog.locator("canvas[data-signature-canvas]")
    draw_signature(page, canvas)
    box = canvas.bounding_box()
    assert box and box["width"] <= 375
    check_accessibility(page, "approval dialog")
    dialog.get_by_role("button", name="Freigeben", exact=True).click()
    item.get_by_text("Freigegeben", exact=True).wait_for()
    decided = office.staff.call("GET", f"/customers/{customer['id']}/approvals")["items"][0]
    assert decided["decision"] == "approved" and decided["signer_name"] == "Anna Schmidt"
    assert decided["document_sha256"] and len(decided["document_sha256"]) == 64
    assert decided["user_agent"]


def test_the_typed_alternative_by_keyboard_only(browser, office) -> None:
    customer, approval, url = approval_for(office, "Bernd Meier", "bernd.meier@example.com")
    page = new_page(browser, office, 960)
    page.goto(url)
    page.wait_for_url(f"**/c/{office.account_id}/home")
    button = page.locator(f"li[data-approval='{approval['id']}']").get_by_role("button", name="Prüfen und freigeben")
    button.focus()
    page.keyboard.press("Enter")
    dialog = page.get_by_role("dialog", name="Dokument freigeben")
    dialog.wait_for()
    # The name field has the focus; Tab reaches the typed-name checkbox past the document link and the pad's buttons.
    page.keyboard.type("Bernd Meier")
    typed = dialog.get_by_label("Statt zu zeichnen: meinen eingegebenen Namen als Unterschrift verwenden")
    tab_to(page, typed, 10)
    page.keyboard.press("Space")
    assert typed.is_checked()
    page.keyboard.press("Tab")
    page.keyboard.type("Nur mit Tastatur")
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")  # past "Freigeben" to "Ablehnen"
    page.keyboard.press("Enter")
    page.locator(f"li[data-approval='{approval['id']}']").get_by_text("Abgelehnt", exact=True).wait_for()
    decided = office.staff.call("GET", f"/customers/{customer['id']}/approvals")["items"][0]
    assert (decided["decision"], decided["signer_name"], decided["comment"]) == (
        "declined", "Bernd Meier", "Nur mit Tastatur")
