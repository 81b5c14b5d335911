"""The console's Freigaben tab in headless Chromium against the local stack: staff upload a quote as a sent file and
send it for approval; the customer approves it in the portal home with a signature drawn with the mouse; staff then
read the decision, the signer, the time, IP, browser, the SHA-256 of the exact version, and see the signature
image. axe-core on the tab, the tab at 375 px, and in English. With DOSSIER_SCREENSHOT=1 it rewrites
docs/console-approvals.png (the README's screenshot)."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest

from tests.e2e import test_console
from tests.e2e.conftest import ROOT
from tests.e2e.test_console import SCREENSHOTS, check_accessibility, new_page, sign_in
from tests.e2e.test_portal_page import pdf, post_file
from tests.support.keyboard_and_pen import draw_signature

pytestmark = [pytest.mark.e2e, pytest.mark.browser]

office = test_console.office

QUOTE = pdf(40_000)


def open_approvals(page: Any, customer: dict) -> Any:
    page.goto(page.url.split("#")[0] + f"#/customers/{customer['id']}/approvals")
    page.get_by_role("heading", name="Dokument zur Freigabe senden").wait_for()
    return page.get_by_role("region", name="Freigaben")


def draw_and_approve(browser: Any, office: Any, url: str, approval_id: str, name: str) -> None:
    """The customer, in the portal home: the signing dialog, the name, a signature drawn with the mouse."""
    page = new_page(browser, office, 960)
    page.goto(url)
    page.wait_for_url(f"**/c/{office.account_id}/home")
    item = page.locator(f"li[data-approval='{approval_id}']")
    item.get_by_role("button", name="Prüfen und freigeben").click()
    dialog = page.get_by_role("dialog", name="Dokument freigeben")
    dialog.get_by_label("Ihr vollständiger Name").fill(name)
    draw_signature(page, dialog.locator("canvas[data-signature-canvas]"))
    dialog.get_by_label("Kommentar (optional)").fill("Einverstanden")
    dialog.get_by_role("button", name="Freigeben", exact=True).click()
    item.get_by_text("Freigegeben", exact=True).wait_for()
    page.context.close()


def test_staff_send_a_document_for_approval_and_see_the_signed_decision(browser, office, tmp_path) -> None:
    staff = office.staff
    customer = staff.call("POST", "/customers", {"name": "Anna Schmidt", "email": "anna.schmidt@example.com"},
                          expect=201)
    page = new_page(browser, office, 1100)
    sign_in(page, office)
    page.goto(page.url.split("#")[0] + f"#/customers/{customer['id']}")
    page.get_by_role("link", name="Freigaben").click()
    page.get_by_role("heading", name="Dokument zur Freigabe senden").wait_for()
    approvals = page.get_by_role("region", name="Freigaben")
    approvals.get_by_text("Noch keine Dokumente zur Freigabe gesendet.").wait_for()
    check_accessibility(page, "approvals, empty")

    # No file was sent yet: the picker offers the upload of a new one, which goes to the customer as a sent file.
    form = page.locator("form.approval-form")
    assert form.get_by_label("Dokument").input_value() == "__new__"
    form.get_by_role("button", name="Zur Freigabe senden").click()
    form.get_by_text("Bitte wählen Sie eine Datei.").wait_for()
    quote = tmp_path / "Kostenvoranschlag.pdf"
    quote.write_bytes(QUOTE)
    form.get_by_label("Datei", exact=True).set_input_files(str(quote))
    form.get_by_label("Nachricht an den Kunden (optional)").fill("Bitte prüfen und freigeben.")
    form.get_by_role("button", name="Zur Freigabe senden").click()
    item = approvals.locator("li[data-approval]")
    item.get_by_text("Offen", exact=True).wait_for()
    assert item.locator("strong", has_text="Kostenvoranschlag.pdf").is_visible()
    page.locator("#live").get_by_text("„Kostenvoranschlag.pdf“ wurde zur Freigabe gesendet.").wait_for()
    [sent] = staff.files(customer["id"], "sent")
    [asked] = staff.call("GET", f"/customers/{customer['id']}/approvals")["items"]
    assert (asked["file_id"], asked["message"], asked["decision"]) == (sent["id"], "Bitte prüfen und freigeben.", None)
    # The sent file is now offered in the picker for a next approval.
    form.get_by_label("Dokument").locator("option", has_text="Kostenvoranschlag.pdf").wait_for(state="attached")

    access = staff.call("POST", f"/customers/{customer['id']}/portal-access", expect=201)
    draw_and_approve(browser, office, access["url"], asked["id"], "Anna Schmidt")

    approvals.get_by_role("button", name="Aktualisieren").click()
    item.get_by_text("Freigegeben", exact=True).first.wait_for()
    [decided] = staff.call("GET", f"/customers/{customer['id']}/approvals")["items"]
    assert decided["document_sha256"] == hashlib.sha256(QUOTE).hexdigest()
    evidence = item.locator("dl.approval-evidence")
    for label, value in (("Unterschrieben von", "Anna Schmidt"), ("Kommentar des Kunden", "Einverstanden"),
                         ("SHA-256 der Dokumentfassung", decided["document_sha256"]), ("IP-Adresse", decided["ip"])):
        assert evidence.locator("dt", has_text=label).locator("xpath=following-sibling::dd[1]").inner_text() == value
    assert "Chrome" in evidence.locator("dt", has_text="Browser").locator("xpath=following-sibling::dd[1]").inner_text()

    item.get_by_role("button", name="Unterschrift und Dokumentfassung anzeigen").click()
    signature = item.get_by_role("img", name="Unterschrift von Anna Schmidt")
    signature.wait_for()
    page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=signature.element_handle())
    version = item.get_by_role("link", name="Diese Fassung herunterladen")
    assert decided["version_id"] in version.get_attribute("href")
    check_accessibility(page, "approvals, decided")
    if SCREENSHOTS:
        page.screenshot(path=str(ROOT / "docs" / "console-approvals.png"), full_page=True)
    audited = staff.call("GET", f"/audit?customer_id={customer['id']}&action=get_approval")["items"]
    assert len(audited) == 1, "showing the signature is an audited read"
    assert page.problems == []  # type: ignore[attr-defined]


def test_the_tab_at_375_px_and_in_english(browser, office) -> None:
    staff = office.staff
    customer = staff.call("POST", "/customers", {"name": "Bernd Meier"}, expect=201)
    sent = staff.call("POST", f"/customers/{customer['id']}/files", {
        "filename": "Angebot-2026-0815-mit-sehr-langem-Dateinamen.pdf", "size": len(QUOTE),
        "content_type": "application/pdf", "area": "general", "direction": "sent"}, expect=201)
    post_file(sent, QUOTE, "application/pdf")
    staff.wait_for_files(customer["id"], 1, "sent")

    page = new_page(browser, office, 375)
    sign_in(page, office)
    approvals = open_approvals(page, customer)
    form = page.locator("form.approval-form")
    assert form.get_by_label("Dokument").input_value() == sent["file_id"]
    form.get_by_role("button", name="Zur Freigabe senden").click()
    approvals.locator("li[data-approval]").get_by_text("Offen", exact=True).wait_for()
    assert page.evaluate("document.documentElement.scrollWidth") <= 375, "the tab fits a phone's width"
    check_accessibility(page, "approvals at 375 px")

    page.get_by_label("Sprache").select_option("en")
    page.get_by_role("heading", name="Send a document for approval").wait_for()
    english = page.get_by_role("region", name="Approvals")
    english.locator("li[data-approval]").get_by_text("Open", exact=True).wait_for()
    assert page.get_by_role("link", name="Approvals").get_attribute("aria-current") == "page"
    english.get_by_role("button", name="Show the document version").click()
    english.get_by_role("link", name="Download this version").wait_for()
    check_accessibility(page, "approvals in English")
    assert page.problems == []  # type: ignore[attr-defined]
