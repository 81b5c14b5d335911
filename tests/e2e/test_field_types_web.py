"""The field types time, signature and info on every screen, in headless Chromium against the local stack: staff
define a display text in Einstellungen → Attribute; a customer fills a time and draws a signature on the link page
(mouse), another fills them in the portal home at 375 px (the signature as the typed name, by keyboard); the display
text is shown in place and never an input; staff read the values in the record, see the signature image, change the
time and remove a signature. English on the link page. axe-core on each screen."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from tests.e2e import test_console
from tests.e2e.test_console import check_accessibility, field, new_page, sign_in
from tests.support.keyboard_and_pen import draw_signature, tab_to

pytestmark = [pytest.mark.e2e, pytest.mark.browser]

office = test_console.office

INFO_DE = "Ihre Angaben verwenden wir nur für diesen Auftrag.\nMehr dazu in unserer Datenschutzerklärung."
INFO_EN = "We use your details for this order only."


def define_fields(browser: Any, office: Any) -> dict[str, str]:
    """A time and a signature field through the API, the display text through Einstellungen in the console."""
    staff = office.staff
    ids = {"time": staff.attribute("Wunschtermin", "time"), "signature": staff.attribute("Einverständnis", "signature")}
    page = new_page(browser, office, 1100)
    sign_in(page, office)
    page.get_by_role("link", name="Einstellungen").click()
    page.get_by_role("link", name="Attribute & Upload-Bereiche").click()
    page.get_by_role("button", name="Attribut hinzufügen").click()
    dialog = page.locator("dialog")
    field(page, dialog, "Bezeichnung *").fill("Datenschutz")
    field(page, dialog, "Typ").select_option(label="Anzeigetext")
    assert dialog.get_by_label("Pflichtfeld").count() == 0, "display text is never required"
    field(page, dialog, "Anzeigetext (Deutsch) *").fill(INFO_DE)
    field(page, dialog, "Anzeigetext (Englisch, optional)").fill(INFO_EN)
    check_accessibility(page, "settings, a display text")
    dialog.get_by_role("button", name="Speichern").click()
    page.locator(".order-list li", has_text="Datenschutz").get_by_text("Anzeigetext").wait_for()
    [info] = [a for a in staff.call("GET", "/attributes")["items"] if a["name"] == "Datenschutz"]
    assert (info["type"], info["text"], info["text_en"], info["required"]) == ("info", INFO_DE, INFO_EN, False)
    ids["info"] = info["id"]
    page.context.close()
    return ids


def assert_info_is_text_only(scope: Any, info_id: str, text: str) -> None:
    shown = scope.locator(f"[data-field='{info_id}']")
    expect(shown.locator(".info-text")).to_have_text(text)
    assert shown.locator("input, textarea, select, button").count() == 0, "display text is never an input"


def test_time_signature_and_info_on_the_link_page_in_the_portal_home_and_in_the_record(browser, office) -> None:
    staff = office.staff
    ids = define_fields(browser, office)

    # The link page: the time typed, the signature drawn with the mouse.
    anna = staff.call("POST", "/customers", {"name": "Anna Schmidt", "email": "anna.schmidt@example.com"},
                      expect=201)
    link = staff.call("POST", f"/customers/{anna['id']}/links",
                      {"areas": ["general"], "attributes": [ids["info"], ids["time"], ids["signature"]]}, expect=201)
    page = new_page(browser, office, 960)
    page.goto(link["url"])
    form = page.locator("form", has=page.get_by_role("button", name="Angaben speichern"))
    form.wait_for()
    assert_info_is_text_only(form, ids["info"], INFO_DE)
    form.get_by_label("Wunschtermin").fill("09:30")
    signature = form.locator(f"[data-field='{ids['signature']}']")
    expect(signature.locator(".signature-state")).to_have_text("Noch nicht unterschrieben.")
    signature.get_by_role("button", name="Unterschreiben").click()
    draw_signature(page, signature.locator("canvas[data-signature-canvas]"))
    check_accessibility(page, "link page, signing a field")
    form.get_by_role("button", name="Angaben speichern").click()
    form.get_by_text("Vielen Dank, Ihre Angaben sind gespeichert.").wait_for()
    expect(signature.locator(".signature-state")).to_contain_text("Unterschrieben am")
    assert signature.locator("canvas").count() == 0, "the pad closes once the signature is stored"
    values = staff.call("GET", f"/customers/{anna['id']}")["attributes"]
    assert values[ids["time"]] == "09:30" and ids["info"] not in values
    assert values[ids["signature"]]["sha256"] and values[ids["signature"]]["size"] > 0
    # Saving again sends the stored reference back: the signature stays as it was.
    form.get_by_label("Wunschtermin").fill("09:45")
    # The status line already thanks for the first save: wait for the second one's answer instead.
    with page.expect_response(lambda reply: reply.request.method == "PUT") as saved:
        form.get_by_role("button", name="Angaben speichern").click()
    assert saved.value.ok
    expect(signature.locator(".signature-state")).to_contain_text("Unterschrieben am")
    again = staff.call("GET", f"/customers/{anna['id']}")["attributes"]
    assert again[ids["signature"]] == values[ids["signature"]] and again[ids["time"]] == "09:45"
    assert page.problems == []  # type: ignore[attr-defined]
    page.context.close()

    # The portal home at 375 px: the profile's time, and the signature as the typed name, by keyboard only.
    bernd = staff.call("POST", "/customers", {"name": "Bernd Meier", "email": "bernd.meier@example.com"},
                       expect=201)
    access = staff.call("POST", f"/customers/{bernd['id']}/portal-access", expect=201)
    page = new_page(browser, office, 375)
    page.goto(access["url"])
    page.wait_for_url(f"**/c/{office.account_id}/home")
    profile = page.get_by_role("region", name="Ihre Angaben", exact=True)
    assert_info_is_text_only(profile, ids["info"], INFO_DE)
    profile.get_by_label("Wunschtermin").fill("18:05")
    signature = profile.locator(f"[data-field='{ids['signature']}']")
    signature.get_by_role("button", name="Unterschreiben").focus()
    page.keyboard.press("Enter")
    name = signature.get_by_label("Ihr Name (für die Unterschrift mit dem getippten Namen)")
    expect(name).to_be_focused()
    expect(name).to_have_value("Bernd Meier")
    typed = signature.get_by_label("Statt zu zeichnen: meinen eingegebenen Namen als Unterschrift verwenden")
    tab_to(page, typed, 8)
    page.keyboard.press("Space")
    assert typed.is_checked()
    assert page.evaluate("document.documentElement.scrollWidth") <= 375, "the form fits a phone's width"
    check_accessibility(page, "portal home, signing a field at 375 px")
    profile.get_by_role("button", name="Angaben speichern").click()
    profile.get_by_text("Vielen Dank, Ihre Angaben sind gespeichert.").wait_for()
    expect(signature.locator(".signature-state")).to_contain_text("Unterschrieben am")
    values = staff.call("GET", f"/customers/{bernd['id']}")["attributes"]
    assert values[ids["time"]] == "18:05" and values[ids["signature"]]["sha256"]
    assert page.problems == []  # type: ignore[attr-defined]
    page.context.close()

    # The record: the values, the info text, the signature image; the time changed, Anna's signature removed.
    page = new_page(browser, office, 1100)
    sign_in(page, office)
    page.goto(page.url.split("#")[0] + f"#/customers/{anna['id']}")
    page.get_by_role("heading", name="Anna Schmidt").wait_for()
    fields = page.get_by_role("region", name="Kundenattribute")
    expect(fields.locator(f"dd[data-attribute='{ids['time']}']")).to_have_text("09:45")
    expect(fields.locator(f"dd[data-attribute='{ids['info']}']")).to_have_text(INFO_DE)
    shown = fields.locator(f"dd[data-attribute='{ids['signature']}']")
    expect(shown).to_contain_text("Unterschrieben am")
    shown.get_by_role("button", name="Unterschrift anzeigen").click()
    image = shown.get_by_role("img", name="Unterschrift „Einverständnis“ von Anna Schmidt")
    image.wait_for()
    page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=image.element_handle())
    check_accessibility(page, "customer, signature shown")
    page.get_by_role("button", name="Bearbeiten").click()
    edit = page.locator("form.profile")
    assert edit.get_by_label("Wunschtermin").get_attribute("type") == "time"
    assert edit.locator(f"[name='{ids['info']}']").count() == 0, "display text is never an input"
    edit.get_by_label("Wunschtermin").fill("10:15")
    edit.get_by_label("Unterschrift entfernen").check()
    check_accessibility(page, "customer, editing the new field types")
    edit.get_by_role("button", name="Speichern").click()
    expect(fields.locator(f"dd[data-attribute='{ids['time']}']")).to_have_text("10:15")
    expect(fields.locator(f"dd[data-attribute='{ids['signature']}']")).to_have_text("—")
    values = staff.call("GET", f"/customers/{anna['id']}")["attributes"]
    assert values[ids["time"]] == "10:15" and ids["signature"] not in values
    assert page.problems == []  # type: ignore[attr-defined]


def test_the_link_page_in_english_shows_the_english_text_and_refuses_a_missing_signature(browser, office) -> None:
    staff = office.staff
    signature = staff.attribute("Consent", "signature", required=True, scope="request")
    info = staff.attribute("Privacy", "info", text=INFO_DE, text_en=INFO_EN)
    customer = staff.call("POST", "/customers", {"name": "Jane Doe"}, expect=201)
    link = staff.call("POST", f"/customers/{customer['id']}/links",
                      {"areas": ["general"], "attributes": [info, signature]}, expect=201)
    context = browser.new_context(locale="en-GB", viewport={"width": 960, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.goto(link["url"])
    form = page.locator("form", has=page.get_by_role("button", name="Save details"))
    form.wait_for()
    assert_info_is_text_only(form, info, INFO_EN)
    form.get_by_role("button", name="Save details").click()
    problem = form.locator(f"[data-field='{signature}'] .field-error")
    expect(problem).to_have_text("Please sign here.")
    expect(form.get_by_role("button", name="Sign", exact=True)).to_be_focused()
    form.get_by_role("button", name="Sign", exact=True).click()
    draw_signature(page, form.locator("canvas[data-signature-canvas]"))
    form.get_by_role("button", name="Save details").click()
    form.get_by_text("Thank you, your details are saved.").wait_for()
    check_accessibility(page, "link page in English")
    [stored] = staff.call("GET", f"/customers/{customer['id']}/links")["items"]
    items = {item["id"]: item for item in stored["items"]}
    assert items[signature]["state"] == "checked" and items[info]["kind"] == "info"
    context.close()
