"""The customer's own portal in headless Chromium against the real local stack: sign-in by a link from the local
outbox (e-mail and SMS) and by the permanent access link staff create in the console, an upload into an open
request, messages read and written on both sides, permissions that take actions away, 375 px and English;
axe-core on every screen. `DOSSIER_SCREENSHOT=1` rewrites docs/portal-home.png (the README's screenshot)."""

from __future__ import annotations

import os
import re
import time
from typing import Any

import pytest
import requests

from tests.e2e import test_console
from tests.e2e.conftest import ROOT
from tests.e2e.test_console import check_accessibility, new_page, sign_in
from tests.e2e.test_portal_page import pdf, post_file

pytestmark = [pytest.mark.e2e, pytest.mark.browser]

# The console tests' fixtures: a Chromium per module, an account per test.
office = test_console.office

SCREENSHOT = ROOT / "docs" / "portal-home.png"
EMAIL = "anna.schmidt@example.com"
PHONE = "+4915123456789"


def outbox_link(api_url: str, to: str, part: str, channel: str = "email", after: str = "") -> str:
    """The newest link containing `part` sent to `to` (the local outbox lists e-mail and SMS, newest first)."""
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        for item in requests.get(f"{api_url}/_local/outbox.json", timeout=30).json()["items"]:
            if item["channel"] == channel and item["to"] == to and item["at"] > after:
                found = [link for link in item["links"] if part in link]
                if found:
                    return found[0]
        time.sleep(0.3)
    raise AssertionError(f"no {channel} to {to} with a link containing {part}")


def newest_outbox_time(api_url: str) -> str:
    items = requests.get(f"{api_url}/_local/outbox.json", timeout=30).json()["items"]
    return items[0]["at"] if items else ""


def customer_with_request(office: Any, name: str = "Anna Schmidt", **extra: Any) -> tuple[dict, str, dict]:
    staff = office.staff
    area = staff.attribute("Lohnsteuerbescheinigung", "file")
    customer = staff.call("POST", "/customers", {"name": name, "email": EMAIL, "phone": PHONE, **extra}, expect=201)
    link = staff.call("POST", f"/customers/{customer['id']}/links", {
        "areas": [area], "message": "Bitte senden Sie uns die Lohnsteuerbescheinigung 2025."}, expect=201)
    return customer, area, link


def sign_in_by_mail(page: Any, office: Any, address: str = EMAIL, channel: str = "email") -> None:
    api_url = office.stack.api_url
    after = newest_outbox_time(api_url)
    page.goto(f"{api_url}/c/{office.account_id}")
    page.get_by_label("E-Mail-Adresse oder Mobilnummer").fill(address)
    page.get_by_role("button", name="Anmeldelink senden").click()
    page.get_by_role("heading", name="Bitte prüfen Sie Ihr Postfach").wait_for()
    check_accessibility(page, "portal sign-in, link sent")
    link = outbox_link(api_url, address, f"/c/{office.account_id}/signin/", channel, after)
    # The link opens a page with one button (a mail scanner opening it uses nothing up); the button signs in.
    page.goto(link)
    page.get_by_role("heading", name=re.compile(r"^Anmelden bei ")).wait_for()
    check_accessibility(page, "portal sign-in link page")
    page.get_by_role("button", name="Jetzt anmelden").click()
    page.wait_for_url(f"{api_url}/c/{office.account_id}/home")
    page.locator("#requests").wait_for()


def test_a_customer_signs_in_by_mail_uploads_into_a_request_and_messages_staff(browser, office) -> None:
    staff = office.staff
    customer, area, link = customer_with_request(office)
    sent = staff.call("POST", f"/customers/{customer['id']}/files", {
        "filename": "Steuerbescheid 2024.pdf", "size": 64_000, "content_type": "application/pdf",
        "area": "general", "direction": "sent"}, expect=201)
    post_file(sent, pdf(64_000), "application/pdf")
    page = new_page(browser, office, 960)

    page.goto(f"{office.stack.api_url}/c/{office.account_id}")
    check_accessibility(page, "portal sign-in")
    # Without a session the home page goes back to sign-in.
    page.goto(f"{office.stack.api_url}/c/{office.account_id}/home")
    page.wait_for_url("**/c/*?reason=expired")
    page.get_by_text("Ihre Sitzung ist abgelaufen.").wait_for()
    # Chromium logs the context's 401 as a failed load: the test asked for it.
    page.problems.clear()  # type: ignore[attr-defined]
    sign_in_by_mail(page, office)

    request = page.locator(f"article.request[data-request='{link['id']}']")
    request.get_by_text("Bitte senden Sie uns die Lohnsteuerbescheinigung 2025.").wait_for()
    request.locator(f"section.area[data-area='{area}'] input[type='file']").set_input_files(
        [{"name": "Lohnsteuerbescheinigung 2025.pdf", "mimeType": "application/pdf", "buffer": pdf(90_000)}])
    request.locator("li.upload[data-state='done']").wait_for(timeout=20_000)
    files = staff.wait_for_files(customer["id"], 1)
    assert files[0]["filename"] == "Lohnsteuerbescheinigung 2025.pdf"
    assert files[0]["area"] == area
    page.locator("#sent").get_by_text("Steuerbescheid 2024.pdf").wait_for()
    check_accessibility(page, "portal home")

    # Another document, sent by mistake: still waiting for review, the customer may delete it.
    general = page.locator("#general section.area[data-area='general']")
    general.locator("input[type='file']").set_input_files(
        [{"name": "Falsche Datei.pdf", "mimeType": "application/pdf", "buffer": pdf(20_000)}])
    general.locator("li.upload[data-state='done']").wait_for(timeout=20_000)
    page.once("dialog", lambda dialog: dialog.accept())
    general.get_by_role("button", name="„Falsche Datei.pdf“ löschen").click()
    page.get_by_text("„Falsche Datei.pdf“ ist gelöscht.").wait_for()
    assert [f["filename"] for f in staff.files_once_removed(customer["id"])] == ["Lohnsteuerbescheinigung 2025.pdf"]

    # A message to staff; staff see it (unread) and answer; the customer reads the answer.
    page.get_by_label("Ihre Nachricht").fill("Die Bescheinigung ist hochgeladen. Brauchen Sie noch etwas?")
    page.get_by_role("button", name="Senden", exact=True).click()
    page.locator("#messages .from-me").get_by_text("Brauchen Sie noch etwas?").wait_for()
    thread = staff.call("GET", f"/customers/{customer['id']}/messages")["items"]
    assert thread[0]["author"] == "customer"
    assert staff.call("GET", f"/customers/{customer['id']}")["unread_messages"] == 1
    staff.call("POST", f"/customers/{customer['id']}/messages", {"body": "Danke, das ist alles."}, expect=201)
    page.reload()
    page.locator("#messages .from-staff").get_by_text("Danke, das ist alles.").wait_for()
    check_accessibility(page, "portal home with messages")
    assert page.problems == []  # type: ignore[attr-defined]

    page.get_by_role("button", name="Abmelden").click()
    page.get_by_text("Sie sind abgemeldet.").wait_for()
    page.goto(f"{office.stack.api_url}/c/{office.account_id}/home")
    page.wait_for_url("**/c/*?reason=expired")


def test_staff_create_the_access_link_set_permissions_and_answer_in_the_console(browser, office) -> None:
    staff = office.staff
    customer, area, link = customer_with_request(office)
    console = new_page(browser, office, 1280)
    sign_in(console, office)
    console.goto(f"{office.stack.api_url}/app/#/customers/{customer['id']}/portal")
    console.get_by_text("Kein permanenter Zugangslink").wait_for()
    check_accessibility(console, "customer portal tab")
    console.get_by_role("button", name="Permanenten Zugangslink erzeugen").click()
    url = console.locator("#portal-access-url").input_value()
    assert url.startswith(f"{office.stack.api_url}/c/{office.account_id}/access/")
    console.locator(".portal-state[data-link='true']").wait_for()

    # The customer may neither upload nor write messages: the home offers neither.
    for name in ("Dateien hochladen", "Nachrichten senden"):
        console.get_by_label(name).select_option("off")
    console.locator(".portal-state").get_by_text("Zugangslink seit").wait_for()
    deadline = time.monotonic() + 30
    wanted = {"upload": False, "message": False}
    while staff.call("GET", f"/customers/{customer['id']}")["portal_permissions"] != wanted:
        assert time.monotonic() < deadline, "the permissions were not saved"
        time.sleep(0.2)
    check_accessibility(console, "customer portal tab, permissions")

    home = new_page(browser, office, 375)
    home.goto(url)
    home.wait_for_url(f"{office.stack.api_url}/c/{office.account_id}/home")
    request = home.locator(f"article.request[data-request='{link['id']}']")
    request.wait_for()
    assert request.locator(".dropzone").count() == 0
    assert home.get_by_label("Ihre Nachricht").count() == 0
    assert home.evaluate("() => document.documentElement.scrollWidth") <= 375
    check_accessibility(home, "portal home at 375 px, restricted")
    # The API refuses what the page does not offer.
    token = home.evaluate("() => window.DossierHome.context.csrf_token")
    refused = home.evaluate("""async token => (await fetch('api/messages', {method: 'POST',
        headers: {'Content-Type': 'application/json', 'X-CSRF-Token': token},
        body: JSON.stringify({body: 'Hallo'})})).status""", token)
    assert refused == 403
    home.problems.clear()  # type: ignore[attr-defined]  (Chromium logs that 403 as a failed load)

    # Staff write; the list and the record show what the customer wrote (unread) once messages are allowed.
    console.get_by_label("Nachrichten senden").select_option("default")
    home.reload()
    home.get_by_label("Ihre Nachricht").fill("Wann ist die Frist?")
    home.get_by_role("button", name="Senden", exact=True).click()
    home.locator("#messages .from-me").wait_for()
    console.goto(f"{office.stack.api_url}/app/#/customers")
    console.locator("tr", has_text="Anna Schmidt").locator(".badge-unread").wait_for()
    console.goto(f"{office.stack.api_url}/app/#/customers/{customer['id']}/messages")
    console.get_by_text("Wann ist die Frist?").wait_for()
    console.get_by_label("Nachricht an Anna Schmidt").fill("Bis zum 31. Juli.")
    console.get_by_role("button", name="Nachricht senden").click()
    console.locator(".thread .from-staff").get_by_text("Bis zum 31. Juli.").wait_for()
    check_accessibility(console, "customer messages")
    assert staff.call("GET", f"/customers/{customer['id']}")["unread_messages"] == 0

    # Revoked, the access link leads back to sign-in.
    console.goto(f"{office.stack.api_url}/app/#/customers/{customer['id']}/portal")
    console.get_by_role("button", name="Zugangslink widerrufen").click()
    console.locator("dialog").get_by_role("button", name="Zugangslink widerrufen").click()
    console.locator(".portal-state[data-link='false']").wait_for()
    other = new_page(browser, office, 960)
    other.goto(url)
    other.wait_for_url("**/c/*?reason=link")
    assert console.problems == [] and home.problems == []  # type: ignore[attr-defined]


def test_sign_in_by_sms_in_english_at_375_px(browser, office) -> None:
    customer, _, link = customer_with_request(office, name="Ben Walker")
    context = browser.new_context(locale="en-GB", viewport={"width": 375, "height": 800})
    page = context.new_page()
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(str(error)))
    api_url = office.stack.api_url
    after = newest_outbox_time(api_url)
    page.goto(f"{api_url}/c/{office.account_id}")
    page.get_by_label("E-mail address or mobile number").fill("+49 151 23456789")
    page.get_by_role("button", name="Send sign-in link").click()
    page.get_by_role("heading", name="Please check your inbox").wait_for()
    link_url = outbox_link(api_url, PHONE, f"/c/{office.account_id}/signin/", "sms", after)
    page.goto(link_url)
    page.get_by_role("heading", name=re.compile(r"^Sign in to ")).wait_for()
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 375
    check_accessibility(page, "portal sign-in link page in English at 375 px")
    page.reload()  # opened twice (as a mail scanner would first): the link is still good
    page.get_by_role("button", name="Sign in now").click()
    page.wait_for_url(f"{api_url}/c/{office.account_id}/home")
    page.get_by_role("heading", name="Welcome, Ben Walker").wait_for()
    page.locator(f"article.request[data-request='{link['id']}']").get_by_text("Open", exact=True).wait_for()
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 375
    check_accessibility(page, "portal home in English at 375 px")
    # A used sign-in link does not work twice.
    page.goto(link_url)
    page.get_by_role("button", name="Sign in now").click()
    page.wait_for_url("**/c/*?reason=link")
    page.get_by_text("This sign-in link is no longer valid").wait_for()
    assert problems == []
    context.close()


def test_bulk_portal_off_for_selected_customers_and_the_default_permissions(browser, office) -> None:
    staff = office.staff
    names = ["Bea Eins", "Carl Zwei", "Dana Drei"]
    ids = {name: staff.call("POST", "/customers", {"name": name}, expect=201)["id"] for name in names}
    page = new_page(browser, office, 1280)
    sign_in(page, office)
    for name in names[:2]:
        page.get_by_label(f"Auswählen: {name}").check()
    page.get_by_role("button", name="Kundenportal an/aus …").click()
    dialog = page.locator("dialog")
    dialog.get_by_label("Kundenportal deaktivieren").check()
    check_accessibility(page, "bulk portal dialog")
    dialog.get_by_role("button", name="Deaktivieren").click()
    dialog.locator(".bulk-job[data-status='done']").wait_for(timeout=30_000)
    dialog.get_by_text("Fertig: 2 Kunden geändert, 0 fehlgeschlagen.").wait_for()
    enabled = {name: staff.call("GET", f"/customers/{ids[name]}")["portal"]["enabled"] for name in names}
    assert enabled == {"Bea Eins": False, "Carl Zwei": False, "Dana Drei": True}
    dialog.get_by_role("button", name="Schließen").click()

    page.goto(f"{office.stack.api_url}/app/#/settings/portal")
    page.locator("input[data-permission='delete_pending_uploads']").uncheck()
    page.get_by_role("button", name="Speichern").click()
    page.get_by_text("Gespeichert.").first.wait_for()
    assert staff.call("GET", "/account")["portal"]["permissions"]["delete_pending_uploads"] is False
    check_accessibility(page, "portal settings")
    assert page.problems == []  # type: ignore[attr-defined]


def test_the_portal_home_screenshot(browser, office) -> None:
    """The README's picture: a request with its checklist, a file staff sent, a message thread."""
    staff = office.staff
    staff.call("PATCH", "/account", {"branding": {
        "company_name": "Steuerbüro Berger & Partner", "contact_email": "kanzlei@berger-partner.example",
        "contact_phone": "+49 821 123 45 67", "address": "Maximilianstraße 12\n86150 Augsburg"}})
    customer, area, link = customer_with_request(office)
    sent = staff.call("POST", f"/customers/{customer['id']}/files", {
        "filename": "Steuerbescheid 2024.pdf", "size": 64_000, "content_type": "application/pdf",
        "area": "general", "direction": "sent"}, expect=201)
    post_file(sent, pdf(64_000), "application/pdf")
    staff.call("POST", f"/customers/{customer['id']}/messages",
               {"body": "Guten Tag Frau Schmidt, Ihr Steuerbescheid 2024 liegt bei. Für 2025 fehlt uns noch die "
                        "Lohnsteuerbescheinigung."}, expect=201)
    url = staff.call("POST", f"/customers/{customer['id']}/portal-access", expect=201)["url"]
    page = new_page(browser, office, 960)
    page.goto(url)
    page.locator("#messages .from-staff").wait_for()
    page.locator("#sent").wait_for()
    shot = page.screenshot(full_page=True)
    assert shot.startswith(b"\x89PNG")
    if os.environ.get("DOSSIER_SCREENSHOT") == "1":
        SCREENSHOT.write_bytes(shot)
    assert page.problems == []  # type: ignore[attr-defined]
