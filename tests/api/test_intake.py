"""The registration link for new customers: staff open, rotate and close it; a new customer registers,
joins the default group and continues on an upload link of their own."""

from __future__ import annotations

import pytest

from chalicelib.auth.tokens import issue_token
from tests.support import events


def token_of(url: str, prefix: str) -> str:
    return url.rsplit(prefix, 1)[1]


def confirmation_token(to: str) -> str:
    """The confirmation token of the latest registration mail to `to`."""
    from tests.support import events

    mail = [m for m in events.sent_mails() if m["to"] == [to]][-1]
    return mail["body"].split("/registrations/", 1)[1].split()[0]


@pytest.fixture
def intake(api) -> str:
    reply = api.post("/account/intake")
    assert reply.status == 201, reply
    assert api.get("/account").json["intake_enabled"] is True
    return token_of(reply.json["url"], "/intake/")


def test_a_registration_creates_the_customer_in_the_default_group_with_an_upload_link(api, anonymous,
                                                                                      intake) -> None:
    group = api.post("/groups", {"name": "Neukunden", "is_default": True}).json["id"]
    area = api.post("/attributes", {"name": "Ausweis", "type": "file", "required": True}).json["id"]
    hidden = api.post("/attributes", {"name": "Intern", "type": "file", "in_portal": False}).json["id"]
    tax_id = api.post("/attributes", {"name": "Steuer-ID", "type": "text"}).json["id"]
    api.patch("/account", {"branding": {"company_name": "Kanzlei am Markt"}})
    assert anonymous.get(f"/intake/{intake}/context").json["branding"]["company_name"] == "Kanzlei am Markt"

    reply = anonymous.post(f"/intake/{intake}", {"name": "Neu Kunde", "email": "neu@example.com"})
    assert (reply.status, reply.json) == (202, {"status": "confirmation_sent"}), reply
    assert api.get("/customers?q=neu@example.com").json["items"] == []  # not before it is confirmed
    reply = anonymous.post(f"/registrations/{confirmation_token('neu@example.com')}")
    assert reply.status == 200, reply
    portal = token_of(reply.json["url"], "/p/")
    context = anonymous.get(f"/p/{portal}/context").json
    assert context["customer"]["name"] == "Neu Kunde"
    assert [a["id"] for a in context["areas"]] == [area, "general"]  # the catch-all last (portal order)
    assert [f["id"] for f in context["attributes"]] == [tax_id]
    assert hidden not in [a["id"] for a in context["areas"]]

    [customer] = api.get("/customers?q=neu@example.com").json["items"]
    assert customer["groups"] == [group] and customer["portal_enabled"] is True
    assert customer["links_count"] == 1
    created = api.get(f"/customers/{customer['id']}/activity").json["items"][-1]
    assert created["type"] == "customer_created" and created["data"]["origin"] == "portal"
    assert created["actor"] == "customer"


def test_staff_created_customers_do_not_join_the_default_group(api) -> None:
    api.post("/groups", {"name": "Neukunden", "is_default": True})
    assert api.post("/customers", {"name": "Von Hand"}).json["groups"] == []


@pytest.mark.parametrize("body", [{}, {"name": "Ohne Mail"}, {"name": "", "email": "a@example.com"},
                                  {"name": "X", "email": "kein-mail"}, {"name": "X", "email": "a@example.com",
                                                                         "notes": "intern"}])
def test_invalid_registrations_create_nothing(api, anonymous, intake, body) -> None:
    reply = anonymous.post(f"/intake/{intake}", body)
    assert reply.status == 422, reply
    assert api.get("/account").json["customers_count"] == 0


def test_rotating_or_closing_the_link_ends_the_old_one(api, anonymous, intake) -> None:
    rotated = token_of(api.post("/account/intake").json["url"], "/intake/")
    assert anonymous.get(f"/intake/{intake}/context").status == 404
    assert anonymous.get(f"/intake/{rotated}/context").status == 200
    assert api.delete("/account/intake").status == 204
    assert api.get("/account").json["intake_enabled"] is False
    for token in (intake, rotated):
        reply = anonymous.post(f"/intake/{token}", {"name": "Zu spät", "email": "a@example.com"})
        assert (reply.status, reply.error_code) == (404, "not_found")


def test_the_plan_limit_applies_to_registrations(make_account, application) -> None:
    from tests.support.api import ApiClient

    api = ApiClient(application.app, token=make_account(plan="solo")[1])
    for n in range(10):
        api.post("/customers", {"name": f"K{n}"})
    token = token_of(api.post("/account/intake").json["url"], "/intake/")
    reply = api.with_token(None).post(f"/intake/{token}", {"name": "Elf", "email": "elf@example.com"})
    assert reply.status == 202, reply
    reply = api.with_token(None).post(f"/registrations/{confirmation_token('elf@example.com')}")
    assert (reply.status, reply.error_code) == (409, "plan_limit")


def test_only_admins_open_the_link_and_a_closed_portal_closes_it(api, anonymous, account, intake) -> None:
    member = api.with_token(issue_token(account[0], "bob", "member"))
    assert member.post("/account/intake").status == 403
    assert member.delete("/account/intake").status == 403
    api.patch("/account", {"portal": {"enabled": False}})
    assert anonymous.get(f"/intake/{intake}/context").status == 404


@pytest.mark.parametrize("mangle", [lambda t: t[:-1] + ("A" if t[-1] != "A" else "B"), lambda t: t[:10],
                                    lambda t: "other-account." + t.split(".", 1)[1]])
def test_a_wrong_token_reveals_nothing(anonymous, intake, mangle) -> None:
    reply = anonymous.get(f"/intake/{mangle(intake)}/context")
    assert (reply.status, reply.error_code) == (404, "not_found")


def test_the_registration_page_is_html_with_the_portal_headers(api, anonymous, intake) -> None:
    api.patch("/account", {"branding": {"company_name": "Kanzlei <Test>"}})
    reply = anonymous.get(f"/intake/{intake}", headers={"accept-language": "en-GB,en;q=0.9"})
    assert reply.status == 200 and reply.headers["Content-Type"].startswith("text/html")
    body = reply.body.decode()
    assert "Kanzlei &lt;Test&gt; – new customers" in body and "<Test>" not in body.split("</title>")[0]
    assert "frame-ancestors 'none'" in reply.headers["Content-Security-Policy"]
    assert reply.headers["X-Robots-Tag"].startswith("noindex")
    script = body.split('<script src="')[1].split('"')[0]
    assert anonymous.get("/" + script.lstrip("./")).status == 200
    missing = anonymous.get(f"/intake/{intake[:-2]}xx")
    assert missing.status == 404 and missing.headers["Content-Type"].startswith("text/html")


# --- double opt-in, one customer per address, rate limit, required fields -------------------------------

def test_a_pending_registration_is_no_customer_and_its_confirmation_link_works_once(api, anonymous, intake) -> None:
    for n in range(12):  # more than a solo plan's customers: pending ones count against nothing
        assert anonymous.post(f"/intake/{intake}", {"name": f"Neu {n}", "email": f"neu{n}@example.com"}).status == 202
    shown = api.get("/account").json
    assert shown["customers_count"] == 0 and api.get("/customers").json["items"] == []
    token = confirmation_token("neu3@example.com")
    page = anonymous.get(f"/registrations/{token}", headers={"accept-language": "en"})
    assert page.status == 200 and page.headers["Content-Type"].startswith("text/html")
    assert '"confirm": true' in page.body.decode() or '"confirm":true' in page.body.decode()
    first = anonymous.post(f"/registrations/{token}")
    assert first.status == 200 and "/p/" in first.json["url"]
    again = anonymous.post(f"/registrations/{token}")
    assert (again.status, again.error_code) == (404, "not_found")
    assert anonymous.get(f"/registrations/{token}").status == 404
    assert [c["name"] for c in api.get("/customers").json["items"]] == ["Neu 3"]
    mangled = token[:-1] + ("A" if token[-1] != "A" else "B")
    assert anonymous.post(f"/registrations/{mangled}").status == 404


def test_the_same_address_twice_is_one_customer_and_the_answer_reveals_nothing(api, anonymous, intake) -> None:
    staff_made = api.post("/customers", {"name": "Schon Da", "email": "Da@Example.com"}).json
    answers = [anonymous.post(f"/intake/{intake}", {"name": name, "email": email})
               for name, email in (("Schon Da", "da@example.com"), ("Ganz Neu", "neu@example.com"),
                                   ("Ganz Neu", "NEU@example.com"))]
    assert {(a.status, a.body) for a in answers} == {(202, answers[0].body)}
    urls = [anonymous.post(f"/registrations/{confirmation_token(to)}").json["url"]
            for to in ("da@example.com", "neu@example.com", "NEU@example.com")]
    assert len(set(urls)) == 3  # a new upload link each time
    customers = api.get("/customers").json["items"]
    assert sorted(c["name"] for c in customers) == ["Ganz Neu", "Schon Da"]
    contexts = [anonymous.get(f"/p/{token_of(url, '/p/')}/context").json["customer"]["name"] for url in urls]
    assert contexts == ["Schon Da", "Ganz Neu", "Ganz Neu"]
    assert api.get(f"/customers/{staff_made['id']}").json["links_count"] == 1


def test_registrations_are_rate_limited_per_link(api, anonymous, intake) -> None:
    from chalicelib.intake.service import REGISTRATIONS_PER_WINDOW

    for n in range(REGISTRATIONS_PER_WINDOW):
        reply = anonymous.post(f"/intake/{intake}", {"name": f"K{n}", "email": f"k{n}@example.com"})
        assert reply.status == 202, (n, reply)
    refused = anonymous.post(f"/intake/{intake}", {"name": "Zu viel", "email": "zu@example.com"})
    assert (refused.status, refused.error_code) == (429, "rate_limited")
    assert 0 < int(refused.headers["Retry-After"]) <= 600
    assert not [m for m in events.sent_mails() if m["to"] == ["zu@example.com"]]
    # Another account's link is not affected.
    other = api.with_token(None)
    assert other.get(f"/intake/{intake}/context").status == 200


def test_registration_works_when_the_account_has_required_fields(api, anonymous, intake) -> None:
    tax_id = api.post("/attributes", {"name": "Steuer-ID", "type": "text", "required": True}).json["id"]
    reply = anonymous.post(f"/intake/{intake}", {"name": "Pflicht Feld", "email": "pf@example.com"})
    assert reply.status == 202, reply
    url = anonymous.post(f"/registrations/{confirmation_token('pf@example.com')}").json["url"]
    portal = token_of(url, "/p/")
    context = anonymous.get(f"/p/{portal}/context").json
    field = [f for f in context["attributes"] if f["id"] == tax_id][0]
    assert field["required"] is True
    [customer] = api.get("/customers?q=pf@example.com").json["items"]
    assert customer["missing_fields"] == [tax_id]
    saved = anonymous.put(f"/p/{portal}/attributes", {tax_id: "12 345 678 901"})
    assert saved.status in (200, 204), saved
    assert api.get(f"/customers/{customer['id']}").json["missing_fields"] == []


def test_the_confirmation_mail_is_dossiers_with_the_business_only_in_the_body(api, anonymous, intake) -> None:
    api.patch("/account", {"branding": {"company_name": "PayPal Sicherheitsteam", "contact_email": "a@b.example"}})
    anonymous.post(f"/intake/{intake}", {"name": "Opfer", "email": "opfer@example.com"})
    mail = [m for m in events.sent_mails() if m["to"] == ["opfer@example.com"]][-1]
    assert "PayPal" not in mail["subject"]
    assert "„PayPal Sicherheitsteam“" in mail["body"] and "über Dossier" in mail["body"]


def test_a_suppressed_address_gets_the_same_answer_and_no_mail(api, anonymous, intake, application) -> None:
    from tests.api.test_mail_abuse import _deliver, _feedback_record

    account_id = api.get("/account").json["id"]
    _deliver(application, _feedback_record(account_id, "Bounce", "weg@example.com"))
    before = len(events.sent_mails())
    ordinary = anonymous.post(f"/intake/{intake}", {"name": "Normal", "email": "normal@example.com"})
    suppressed = anonymous.post(f"/intake/{intake}", {"name": "Weg", "email": "weg@example.com"})
    assert (suppressed.status, suppressed.body) == (ordinary.status, ordinary.body) == (202, ordinary.body)
    assert [m["to"] for m in events.sent_mails()[before:]] == [["normal@example.com"]]


def test_a_confirmation_stops_working_when_its_registration_link_is_rotated(api, anonymous, intake) -> None:
    anonymous.post(f"/intake/{intake}", {"name": "Spät", "email": "spaet@example.com"})
    token = confirmation_token("spaet@example.com")
    api.post("/account/intake")
    assert anonymous.post(f"/registrations/{token}").status == 404
    assert api.get("/customers").json["items"] == []
