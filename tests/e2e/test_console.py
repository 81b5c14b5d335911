"""The staff console at /app/ in headless Chromium against the real local stack: a whole working day as a person
sees it (sign in, groups, attributes, customers, search, a link copied and used in the portal, the review inbox,
merge, export, delete), axe-core on every screen, and the key steps at 375 px.

The account is this module's own (`make account`), signed in through `make login`'s one-time URL. axe-core is
the version package.json pins (`make test` installs it); it is evaluated through the DevTools protocol, which the
page's CSP (`script-src 'self'`) rightly refuses to a script tag, so the CSP stays on while axe runs. With
DOSSIER_SCREENSHOT=1 the working day rewrites docs/console-customers.png and docs/console-customer.png.
"""

from __future__ import annotations

import os
import re
import time
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import ROOT
from tests.e2e.test_portal_page import Staff, png

pytestmark = [pytest.mark.e2e, pytest.mark.browser]

AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
SCREENSHOTS = os.environ.get("DOSSIER_SCREENSHOT") == "1"


class Office:
    """A tax advisor's account of this module's own, with its admin token for checks through the API."""

    def __init__(self, local_stack: Any) -> None:
        self.stack = local_stack
        self.account_id = f"console-{os.urandom(4).hex()}"
        self.staff = Staff(local_stack.api_url, local_stack.cli("account", "--id", self.account_id, "--plan", "team"))

    def login_url(self) -> str:
        url = self.stack.cli("login", "--id", self.account_id)
        assert re.fullmatch(re.escape(self.stack.api_url) + r"/app/#login=\S+", url), url
        return url


@pytest.fixture
def office(local_stack) -> Office:
    """An account per test, so the tests hold in any order (the working day starts from an empty register)."""
    return Office(local_stack)


def new_page(browser: Any, office: Office, width: int) -> Any:
    context = browser.new_context(locale="de-DE", viewport={"width": width, "height": 900},
                                  permissions=["clipboard-read", "clipboard-write"])
    page = context.new_page()
    page.set_default_timeout(15_000)
    problems: list[str] = []
    # The API's 4xx answers the test provokes (a field error) are logged by Chromium as failed loads: not problems.
    page.on("console", lambda message: problems.append(message.text)
            if message.type == "error" and "status of 422" not in message.text else None)
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.problems = problems  # type: ignore[attr-defined]
    return page


def check_accessibility(page: Any, screen: str) -> None:
    """axe-core finds no serious or critical violation on what the page shows now."""
    if not page.evaluate("() => typeof window.axe === 'object'"):
        assert AXE.exists(), "axe-core is missing: `make test` installs it (npm ci)"
        page.evaluate(AXE.read_text(encoding="utf-8"))
    result = page.evaluate("() => axe.run(document, {resultTypes: ['violations']})")
    bad = [f"{v['id']} ({v['impact']}): {v['help']} → {[n['target'] for n in v['nodes']][:3]}"
           for v in result["violations"] if v["impact"] in ("serious", "critical")]
    assert bad == [], f"{screen}: {bad}"


def api_requests(page: Any, api_url: str) -> list[str]:
    """Requests the page makes to the API (not the console's own files under /app/)."""
    seen: list[str] = []

    def record(request: Any) -> None:
        path = request.url[len(api_url):]
        if (request.url.startswith(api_url) and not path.startswith("/app/")
                and request.resource_type in ("fetch", "xhr")):
            seen.append(f"{request.method} {path}")

    page.on("request", record)
    return seen


def sign_in(page: Any, office: Office) -> list[str]:
    requests = api_requests(page, office.stack.api_url)
    page.goto(office.login_url())
    page.get_by_role("heading", name="Kundenverwaltung").wait_for()
    page.wait_for_load_state("networkidle")
    return requests


def rows(page: Any) -> list[str]:
    return page.locator("table.customers tbody tr td:first-child a").all_inner_texts()


def wait_rows(page: Any, expected: list[str]) -> None:
    deadline = time.monotonic() + 10
    while sorted(rows(page)) != sorted(expected) and time.monotonic() < deadline:
        page.wait_for_timeout(100)
    assert sorted(rows(page)) == sorted(expected)


def field(page: Any, scope: Any, label: str) -> Any:
    return scope.get_by_label(label, exact=True)


def add_customer(page: Any, name: str, **values: str) -> None:
    page.get_by_role("button", name="Kunde hinzufügen").first.click()
    dialog = page.locator("dialog")
    field(page, dialog, "Name *").fill(name)
    for label, value in values.items():
        field(page, dialog, label).fill(value)
    dialog.get_by_role("button", name="Kunde hinzufügen").click()


def wait_files(staff: Staff, customer_id: str, count: int) -> list[dict]:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        found = staff.files(customer_id)
        if len(found) >= count:
            return found
        time.sleep(0.3)
    raise AssertionError(f"{count} files did not show up")


def test_a_working_day_in_the_console(browser, office) -> None:
    staff = office.staff
    page = new_page(browser, office, 1100)

    # Sign in with the one-time URL: the code leaves the address bar, and no token is stored in the browser.
    requests = sign_in(page, office)
    assert "login=" not in page.url and page.url.endswith("#/customers")
    stored = page.evaluate("() => [...Object.values(localStorage), ...Object.values(sessionStorage)]")
    assert not any("eyJ" in value for value in stored), "a token in web storage"
    api_calls = [r for r in requests if not r.startswith("POST /_local/login")]
    assert len(api_calls) <= 3, api_calls  # the customer list's first page
    assert page.get_by_role("heading", name="Noch keine Kunden").is_visible(), "the empty state says what to do"
    check_accessibility(page, "customers, empty")

    # Einstellungen → Gruppen.
    page.get_by_role("link", name="Einstellungen").click()
    page.get_by_role("link", name="Gruppen").click()
    assert page.url.endswith("#/settings/groups")
    for name, default in (("Stammkunden", False), ("Neukunden", True)):
        page.get_by_label("Name der Gruppe").fill(name)
        if default:
            page.locator("form").get_by_label("Standardgruppe").check()
        page.locator("form").get_by_role("button", name="Kundengruppe hinzufügen").click()
        page.locator(".order-list li", has_text=name).wait_for()
    check_accessibility(page, "settings, groups")
    groups = {g["name"]: g for g in staff.call("GET", "/groups")["items"]}
    assert groups["Neukunden"]["is_default"] and not groups["Stammkunden"]["is_default"]

    # Attribute & Upload-Bereiche: a text with a pattern, an upload area, a number; then reordered by keyboard.
    page.get_by_role("link", name="Attribute & Upload-Bereiche").click()
    for name, kind, extra in (("Steuer-ID", "Text (einzeilig)", {"Muster (regulärer Ausdruck, optional)": "[0-9]{11}"}),
                              ("Lohnsteuerbescheinigung", "Datei-Upload", {}),
                              ("Kinder", "Zahl", {})):
        page.get_by_role("button", name="Attribut hinzufügen").click()
        dialog = page.locator("dialog")
        field(page, dialog, "Bezeichnung *").fill(name)
        field(page, dialog, "Typ").select_option(label=kind)
        for label, value in extra.items():
            field(page, dialog, label).fill(value)
        dialog.get_by_role("button", name="Speichern").click()
        page.locator(".order-list li", has_text=name).wait_for()
    check_accessibility(page, "settings, attributes")
    page.get_by_role("button", name="Nach oben: Kinder").focus()
    page.keyboard.press("Enter")
    page.locator("#live", has_text="„Kinder“ ist jetzt an Position 2.").wait_for()
    assert [a["name"] for a in staff.call("GET", "/attributes")["items"]] == [
        "Steuer-ID", "Kinder", "Lohnsteuerbescheinigung"]
    attributes = {a["name"]: a["id"] for a in staff.call("GET", "/attributes")["items"]}

    # Kunden: a field error at the field, nothing lost; then three customers.
    page.get_by_role("link", name="Kunden", exact=True).click()
    add_customer(page, "Anna Schmidt", **{"E-Mail": "anna.schmidt@gmail.com", "Firma": "Schmidt GmbH",
                                          "Steuer-ID": "12ab"})
    dialog = page.locator("dialog")
    error = dialog.locator(f'[data-field="attributes.{attributes["Steuer-ID"]}"] .field-error')
    error.wait_for()
    expect(field(page, dialog, "Steuer-ID")).to_be_focused()
    assert field(page, dialog, "Name *").input_value() == "Anna Schmidt", "nothing typed is lost"
    assert dialog.get_by_label("Neukunden").is_checked(), "the default group is preselected"
    field(page, dialog, "Steuer-ID").fill("12345678901")
    dialog.get_by_role("button", name="Kunde hinzufügen").click()
    page.locator("#main").get_by_text("Kunde „Anna Schmidt“ angelegt.").wait_for()
    add_customer(page, "Anna Schmitt", **{"E-Mail": "a.schmitt@example.com", "Telefon": "+49 821 55 66"})
    page.locator("#main").get_by_text("Kunde „Anna Schmitt“ angelegt.").wait_for()
    add_customer(page, "Bernd Keller", **{"Firma": "Keller Bau"})
    page.locator("#main").get_by_text("Kunde „Bernd Keller“ angelegt.").wait_for()
    wait_rows(page, ["Anna Schmidt", "Anna Schmitt", "Bernd Keller"])
    assert page.locator("tr", has_text="Bernd Keller").get_by_text("Keller Bau").is_visible()
    check_accessibility(page, "customers, list")

    # Search as you type (the API's search), then a status chip; both live in the URL.
    page.get_by_label("Suche").fill("schmidt")
    wait_rows(page, ["Anna Schmidt"])
    assert "q=schmidt" in page.url
    page.get_by_label("Suche").fill("@gmail.com")
    wait_rows(page, ["Anna Schmidt"])
    page.get_by_label("Suche").fill("")
    wait_rows(page, ["Anna Schmidt", "Anna Schmitt", "Bernd Keller"])
    page.get_by_role("button", name="Vollständig").click()
    page.locator("#main").get_by_text("Keine Kunden gefunden").wait_for()
    page.get_by_role("button", name="Alle").click()
    wait_rows(page, ["Anna Schmidt", "Anna Schmitt", "Bernd Keller"])
    if SCREENSHOTS:
        page.screenshot(path=str(ROOT / "docs" / "console-customers.png"))

    # The Kundenakte: a link created, its URL shown once and copied.
    page.get_by_role("link", name="Anna Schmidt").click()
    page.get_by_role("heading", name="Anna Schmidt").wait_for()
    anna = page.url.split("#/customers/")[1]
    assert page.locator("#main").get_by_text("12345678901").is_visible()
    check_accessibility(page, "customer, overview")
    page.get_by_role("button", name="Link erstellen").click()
    dialog = page.locator("dialog")
    dialog.get_by_label("Nachricht an den Kunden").fill("Bitte senden Sie uns Ihre Unterlagen für 2025.")
    dialog.get_by_role("button", name="Link erstellen").click()
    shown = page.locator("#link-url")
    shown.wait_for()
    assert page.url.endswith(f"#/customers/{anna}/links")
    url = shown.input_value()
    assert url.startswith(office.stack.api_url + "/p/")
    page.get_by_role("button", name="Link kopieren").click()
    page.get_by_role("button", name="Link kopiert.").wait_for()
    assert page.evaluate("() => navigator.clipboard.readText()") == url
    check_accessibility(page, "customer, links")

    # The customer uploads two files through the portal page.
    portal = page.context.new_page()
    portal.goto(url)
    general = portal.locator('section.area[data-area="general"]')
    general.locator('input[type="file"]').set_input_files([
        {"name": "Lohnzettel.png", "mimeType": "image/png", "buffer": png(120, 40)},
        {"name": "Kontoauszug.pdf", "mimeType": "application/pdf", "buffer": b"%PDF-1.7\n" + b"x" * 2000},
    ])
    portal.wait_for_function(
        "() => document.querySelectorAll('section.area[data-area=general] li.upload[data-state=done]').length === 2")
    portal.close()
    wait_files(staff, anna, 2)

    # Prüfen: newest first; the keyboard checks one file and asks about the other.
    page.get_by_role("link", name="Prüfen").click()
    inbox = page.locator("table.inbox tbody tr")
    inbox.first.wait_for()
    assert inbox.count() == 2
    assert inbox.first.get_by_role("cell").nth(1).inner_text() == "Anna Schmidt"
    page.locator(".preview-body img.preview, .preview-body button").first.wait_for()
    check_accessibility(page, "review")
    first = inbox.first.get_by_role("button").inner_text()
    page.locator("body").press("c")
    page.locator("#live", has_text=f"„{first}“: geprüft.").wait_for()
    assert inbox.count() == 1
    page.locator("body").press("r")
    comment = page.get_by_label("Kommentar für den Kunden")
    expect(comment).to_be_focused()  # moved there by an effect after the render, so waited for
    comment.fill("Bitte die zweite Seite auch.")
    page.get_by_role("button", name="Rückfrage senden").click()
    page.locator("#main").get_by_text("Alles geprüft").wait_for()
    reviews = {f["filename"]: (f["review"], f["review_comment"]) for f in staff.files(anna)}
    second = "Kontoauszug.pdf" if first == "Lohnzettel.png" else "Lohnzettel.png"
    assert reviews[first] == ("checked", None)
    assert reviews[second] == ("needs_clarification", "Bitte die zweite Seite auch.")

    # Dokumente: the review badges, an image preview through the presigned URL, a staff upload with progress.
    page.goto(f"{office.stack.api_url}/app/#/customers/{anna}/documents")
    general = page.locator('section.area[data-area="general"]')
    general.locator("li[data-file]").first.wait_for()
    assert general.locator(".badge.review-checked").count() == 1
    assert general.locator(".badge.review-needs_clarification").count() == 1
    general.locator("li[data-file]", has_text="Lohnzettel.png").get_by_role("button", name="Vorschau").click()
    image = page.locator("dialog img.preview")
    image.wait_for()
    page.wait_for_function("() => document.querySelector('dialog img.preview').naturalWidth === 120")
    check_accessibility(page, "customer, documents with preview")
    page.keyboard.press("Escape")
    area = page.locator(f'section.area[data-area="{attributes["Lohnsteuerbescheinigung"]}"]')
    area.locator('input[type="file"]').set_input_files([{"name": "Lohnsteuerbescheinigung 2025.pdf",
                                                          "mimeType": "application/pdf",
                                                          "buffer": b"%PDF-1.7\n" + b"y" * 300_000}])
    area.locator("li.upload[data-state='done']").wait_for()
    area.locator("li[data-file]", has_text="Lohnsteuerbescheinigung 2025.pdf").wait_for(timeout=20_000)
    if SCREENSHOTS:
        page.screenshot(path=str(ROOT / "docs" / "console-customer.png"))

    # Verlauf.
    page.get_by_role("link", name="Verlauf").click()
    page.get_by_role("heading", name="Aktivitätsverlauf").wait_for()
    page.locator("ol.timeline li").first.wait_for()
    assert page.locator("ol.timeline li").count() >= 3
    history = page.locator("ol.timeline").inner_text()
    assert "Kunde angelegt" in history and "Datei empfangen" in history and "Upload-Link erstellt" in history
    check_accessibility(page, "customer, activity")

    # Zusammenführen: Anna Schmitt is a duplicate; her phone number wins, Anna Schmidt's e-mail stays.
    schmitt = next(c for c in staff.call("GET", "/customers?q=schmitt")["items"])
    page.get_by_role("button", name="Zusammenführen").click()
    dialog = page.locator("dialog")
    dialog.get_by_label("Doppelten Kunden suchen").fill("Schmitt")
    dialog.locator("li", has_text="Anna Schmitt").get_by_role("button", name="Zusammenführen").click()
    dialog.locator("tr", has_text="Telefon").get_by_label("+49 821 55 66").check()
    check_accessibility(page, "merge")
    dialog.get_by_role("button", name="Zusammenführen: Anna Schmitt → Anna Schmidt").click()
    page.locator("#live", has_text="Kunden zusammengeführt.").wait_for()
    merged = staff.call("GET", f"/customers/{anna}")
    assert (merged["phone"], merged["email"]) == ("+49 821 55 66", "anna.schmidt@gmail.com")
    staff.call("GET", f"/customers/{schmitt['id']}", expect=404)

    # Exportieren: the ZIP's job is polled until its download is offered.
    page.get_by_role("button", name="Exportieren").click()
    download = page.locator("dialog").get_by_role("link", name="ZIP herunterladen")
    download.wait_for(timeout=30_000)
    assert download.get_attribute("href").startswith(f"http://127.0.0.1:{office.stack.moto_port}/")
    page.keyboard.press("Escape")

    # Löschen names what goes and needs a confirmation.
    page.get_by_role("link", name="Zurück zur Kundenliste").click()
    page.get_by_role("link", name="Bernd Keller").click()
    page.get_by_role("button", name="Löschen").click()
    dialog = page.locator("dialog")
    assert "Löscht „Bernd Keller“ mit 0 Dateien, 0 Links und dem Verlauf." in dialog.inner_text()
    check_accessibility(page, "delete")
    dialog.get_by_role("button", name="Kunde löschen").click()
    page.locator("#main").get_by_text("Kunde „Bernd Keller“ wird gelöscht.").wait_for()
    wait_rows(page, ["Anna Schmidt"])

    # Deep links survive a reload: the token was only in memory, so sign-in comes first, then the same screen.
    page.goto(f"{office.stack.api_url}/app/#/customers/{anna}/links")
    page.reload()
    page.get_by_role("heading", name="Anmeldung bei Dossier").wait_for()
    page.get_by_label("Zugangstoken").fill(staff.session.headers["Authorization"].split()[1])
    page.get_by_role("button", name="Anmelden").click()
    page.get_by_role("heading", name="Upload-Links").wait_for()
    assert page.problems == [], page.problems  # type: ignore[attr-defined]
    page.context.close()


def test_the_key_steps_at_375_px_and_in_english(browser, office) -> None:
    page = new_page(browser, office, 375)
    sign_in(page, office)
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 375, "nothing scrolls sideways"
    add_customer(page, "Carla Neumann", **{"E-Mail": "carla@example.com"})
    page.locator("#main").get_by_text("Kunde „Carla Neumann“ angelegt.").wait_for()
    page.get_by_label("Suche").fill("Neumann")
    wait_rows(page, ["Carla Neumann"])
    check_accessibility(page, "375 px, customers")
    page.get_by_role("link", name="Carla Neumann").click()
    page.get_by_role("heading", name="Carla Neumann").wait_for()
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 375
    page.get_by_role("link", name="Links").click()
    page.get_by_role("button", name="Link erstellen").first.click()
    page.locator("dialog").get_by_role("button", name="Link erstellen").click()
    page.locator("#link-url").wait_for()
    check_accessibility(page, "375 px, customer links")

    # English, by the switch: words and formats follow.
    page.get_by_label("Sprache").select_option("en")
    page.get_by_role("heading", name="Upload links").wait_for()
    assert page.evaluate("() => document.documentElement.lang") == "en"
    page.get_by_role("link", name="Review").click()
    page.get_by_role("heading", name="Review").wait_for()
    check_accessibility(page, "375 px, review")
    assert page.problems == [], page.problems  # type: ignore[attr-defined]
    page.evaluate("() => localStorage.removeItem('dossier.console.lang')")
    page.context.close()


def test_the_console_is_served_with_a_strict_policy(local_stack) -> None:
    import requests

    root = requests.get(local_stack.api_url + "/", allow_redirects=False, timeout=10)
    assert (root.status_code, root.headers["Location"]) == (302, "app/")
    shell = requests.get(local_stack.api_url + "/app/", timeout=10)
    policy = shell.headers["Content-Security-Policy"]
    assert "script-src 'self';" in policy and "default-src 'none'" in policy and "frame-ancestors 'none'" in policy
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
    assert re.search(r"img-src [^;]*http://127\.0\.0\.1:\d+/dossier-local-uploads", policy), policy
    assert "<script type=\"module\" src=\"assets/app.js?v=" in shell.text
    assert "style=" not in shell.text and "<script>" not in shell.text
    script = requests.get(local_stack.api_url + "/app/assets/app.js", timeout=10)
    assert script.headers["Content-Type"].startswith("text/javascript")
    again = requests.get(local_stack.api_url + "/app/assets/app.js", headers={"If-None-Match": script.headers["ETag"]},
                         timeout=10)
    assert again.status_code == 304
    assert requests.get(local_stack.api_url + "/app/assets/..%2Fpage.py", timeout=10).status_code == 404
    assert requests.get(local_stack.api_url + "/app/config.json", timeout=10).json()["mode"] == "local"


def test_a_lost_connection_offers_a_retry_and_an_ended_session_leads_to_sign_in(browser, office) -> None:
    page = new_page(browser, office, 1100)
    sign_in(page, office)
    page.route("**/customers?*", lambda route: route.abort("connectionreset"))
    page.get_by_label("Suche").fill("Anna")
    retry = page.locator("#main").get_by_role("button", name="Erneut versuchen")
    retry.wait_for()
    assert "Internetverbindung" in page.locator("#main .banner-error").inner_text()
    page.unroute("**/customers?*")
    with page.expect_response(lambda reply: "/customers?" in reply.url and reply.status == 200):
        retry.click()
    page.locator("#main .banner-error").wait_for(state="detached")

    page.route("**/customers?*", lambda route: route.fulfill(
        status=401, content_type="application/json",
        body='{"error": {"code": "unauthorized", "message": "A valid bearer token is required."}}'))
    page.get_by_label("Suche").fill("Bernd")
    page.get_by_role("heading", name="Anmeldung bei Dossier").wait_for()
    assert "Ihre Sitzung ist abgelaufen" in page.locator("main").inner_text()
    page.context.close()


def test_the_settings_screens(browser, office) -> None:
    staff = office.staff
    page = new_page(browser, office, 1100)
    sign_in(page, office)
    page.get_by_role("link", name="Einstellungen").click()
    page.get_by_role("heading", name="Konto & Branding").wait_for()

    # Konto & Branding: the preview follows what is typed; the logo is uploaded and checked by the API.
    page.get_by_label("Firmenname").fill("Steuerbüro Berger & Partner")
    preview = page.locator(".portal-preview")
    assert "Steuerbüro Berger & Partner" in preview.inner_text()
    page.get_by_label("Beschreibung im Portal").fill("Ihre Steuerberatung in Augsburg.")
    assert "Ihre Steuerberatung in Augsburg." in preview.inner_text()
    page.get_by_label("Benachrichtigungen an (E-Mail)").fill("kein-mail")
    page.get_by_role("button", name="Speichern").click()
    page.locator('[data-field="notification_email"] .field-error').wait_for()
    page.get_by_label("Benachrichtigungen an (E-Mail)").fill("kanzlei@berger.example")
    page.get_by_role("button", name="Speichern").click()
    page.locator("#main .banner-ok").wait_for()
    page.get_by_label("Logo (PNG, JPEG, WebP oder GIF, höchstens 1 MB)").set_input_files(
        [{"name": "logo.png", "mimeType": "image/png", "buffer": png(160, 48)}])
    page.wait_for_function("() => document.querySelector('.portal-preview img')?.naturalWidth === 160")
    check_accessibility(page, "settings, account")
    account = staff.call("GET", "/account")
    assert account["branding"]["company_name"] == "Steuerbüro Berger & Partner"
    assert account["notification_email"] == "kanzlei@berger.example" and account["branding"]["logo_url"]

    # Kundenportal.
    page.get_by_role("link", name="Kundenportal").click()
    page.get_by_label("Standardmäßig für neue Kunden aktivieren").set_checked(
        not account["portal"]["default_for_new_customers"])
    page.get_by_role("button", name="Speichern").click()
    page.locator("#main .banner-ok").wait_for()
    assert (staff.call("GET", "/account")["portal"]["default_for_new_customers"]
            is not account["portal"]["default_for_new_customers"])
    check_accessibility(page, "settings, portal")

    # Exporte: the schedule, and a CSV now whose download is offered when its job is done.
    page.get_by_role("link", name="Exporte").click()
    page.get_by_label("Täglicher Export (02:00 UTC)").check()
    page.get_by_role("button", name="Speichern").click()
    page.locator("#main .banner-ok").wait_for()
    assert staff.call("GET", "/account")["export_schedule"]["enabled"] is True
    page.get_by_role("button", name="Jetzt exportieren: CSV").click()
    page.locator("li[data-export]").get_by_role("button", name="Herunterladen").wait_for(timeout=30_000)
    check_accessibility(page, "settings, exports")

    # Neukunden-Link: the URL is shown once; back goes to the previous section.
    page.get_by_role("link", name="Neukunden-Link").click()
    page.get_by_role("button", name="Neuen Link erzeugen").click()
    url = page.locator("#main input.url-once")
    url.wait_for()
    assert "/intake/" in url.input_value()
    assert staff.call("GET", "/account")["intake_enabled"] is True
    check_accessibility(page, "settings, intake")
    page.go_back()
    page.get_by_role("heading", name="Exporte", exact=True).wait_for()
    assert page.url.endswith("#/settings/exports")
    assert page.problems == [], page.problems  # type: ignore[attr-defined]
    page.context.close()


def test_the_record_is_edited_in_place(browser, office) -> None:
    """Profile and attributes with an error at the field, the status, a link sent again and revoked, a file
    dropped by staff and deleted; attributes reordered by dragging."""
    staff = office.staff
    birthday = staff.attribute("Geburtsdatum", "date")
    children = staff.attribute("Kinder", "number")
    staff.attribute("Belege", "file")
    customer = staff.call("POST", "/customers", {"name": "Dora Weiß", "email": "dora@example.com"}, expect=201)
    staff.call("POST", f"/customers/{customer['id']}/links", {"areas": ["general"]}, expect=201)
    page = new_page(browser, office, 1100)
    sign_in(page, office)
    page.goto(f"{office.stack.api_url}/app/#/customers/{customer['id']}")
    page.get_by_role("heading", name="Dora Weiß").wait_for()

    page.get_by_role("button", name="Bearbeiten").click()
    form = page.locator("form.profile")
    form.get_by_label("E-Mail").fill("dora(at)example.com")
    form.get_by_label("Kinder").fill("2")
    form.get_by_label("Geburtsdatum").fill("1984-03-07")
    form.get_by_role("button", name="Speichern").click()
    form.locator('[data-field="email"] .field-error').wait_for()
    expect(form.get_by_label("E-Mail")).to_be_focused()
    assert form.get_by_label("Kinder").input_value() == "2", "nothing typed is lost"
    form.get_by_label("E-Mail").fill("dora.weiss@example.com")
    form.get_by_role("button", name="Speichern").click()
    form.wait_for(state="detached")
    overview = page.locator("#main").inner_text()
    assert "dora.weiss@example.com" in overview and "07.03.1984" in overview
    saved = staff.call("GET", f"/customers/{customer['id']}")
    assert saved["attributes"] == {children: 2, birthday: "1984-03-07"}
    page.get_by_label("Status ändern").select_option("complete")
    page.locator(".record-head .badge", has_text="Vollständig").wait_for()
    assert staff.call("GET", f"/customers/{customer['id']}")["status"] == "complete"

    # Links: sent again (a new URL, shown once), then revoked.
    page.get_by_role("link", name="Links").click()
    link = page.locator("li[data-link]").first
    link.get_by_role("button", name="Erneut senden").click()
    page.locator("#link-url").wait_for()
    link.get_by_role("button", name="Widerrufen").click()
    # The link's state line says so (the button is also labelled "Widerrufen": waiting for the text alone races).
    link.locator(".muted", has_text="Widerrufen").wait_for()
    assert link.get_by_role("button", name="Widerrufen").count() == 0
    assert [item["state"] for item in staff.call("GET", f"/customers/{customer['id']}/links")["items"]] == ["revoked"]

    # Dokumente: a file dropped on an area uploads with progress; then it is deleted after a confirmation.
    page.get_by_role("link", name="Dokumente").click()
    zone = page.locator('section.area[data-area="general"] .dropzone')
    zone.wait_for()
    page.evaluate("() => { window.progressSeen = []; new MutationObserver(changes => changes.forEach(change => {"
                  " if (change.target.tagName === 'PROGRESS') window.progressSeen.push(change.target.value); }))"
                  ".observe(document.body, {subtree: true, attributes: true, attributeFilter: ['value']}); }")
    transfer = page.evaluate_handle("""() => {
        const transfer = new DataTransfer();
        transfer.items.add(new File([new Uint8Array(600000)], 'Vollmacht.pdf', {type: 'application/pdf'}));
        return transfer;
    }""")
    zone.dispatch_event("dragenter", {"dataTransfer": transfer})
    assert "dragging" in zone.get_attribute("class")
    zone.dispatch_event("drop", {"dataTransfer": transfer})
    zone.locator("li.upload[data-state='done']").wait_for()
    seen = page.evaluate("window.progressSeen")
    assert seen and seen[-1] == 100, seen
    row = page.locator('section.area[data-area="general"] li[data-file]', has_text="Vollmacht.pdf")
    row.wait_for(timeout=20_000)
    page.once("dialog", lambda dialog: dialog.accept())
    row.get_by_role("button", name="Löschen").click()
    row.wait_for(state="detached")
    assert page.problems == [], page.problems  # type: ignore[attr-defined]

    # Attribute order by dragging.
    page.goto(f"{office.stack.api_url}/app/#/settings/attributes")
    items = page.locator(".order-list li")
    items.first.wait_for()
    items.filter(has_text="Belege").drag_to(items.filter(has_text="Geburtsdatum"))
    page.locator("#live", has_text="„Belege“ ist jetzt an Position 1.").wait_for()
    assert [a["name"] for a in staff.call("GET", "/attributes")["items"]] == ["Belege", "Geburtsdatum", "Kinder"]
    page.context.close()


def test_the_list_pages_with_the_cursor_and_sign_out_forgets_the_session(browser, office) -> None:
    for number in range(27):
        office.staff.call("POST", "/customers", {"name": f"Kunde {number:02d}"}, expect=201)
    page = new_page(browser, office, 1100)
    sign_in(page, office)
    page.locator("table.customers tbody tr").nth(24).wait_for()
    assert len(rows(page)) == 25
    page.get_by_role("button", name="Weitere laden").click()
    page.locator("table.customers tbody tr").nth(26).wait_for()
    assert sorted(rows(page)) == [f"Kunde {number:02d}" for number in range(27)]
    assert page.get_by_role("button", name="Weitere laden").count() == 0

    page.get_by_role("button", name="Abmelden").click()
    page.get_by_role("heading", name="Anmeldung bei Dossier").wait_for()
    assert page.locator("table.customers").count() == 0
    page.context.close()
