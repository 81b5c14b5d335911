"""The registration link for new customers: staff open, rotate and close it; a new customer registers,
joins the default group and continues on an upload link of their own."""

from __future__ import annotations

import pytest

from chalicelib.auth.tokens import issue_token


def token_of(url: str, prefix: str) -> str:
    return url.rsplit(prefix, 1)[1]


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
    assert reply.status == 201, reply
    portal = token_of(reply.json["url"], "/p/")
    context = anonymous.get(f"/p/{portal}/context").json
    assert context["customer"]["name"] == "Neu Kunde"
    assert [a["id"] for a in context["areas"]] == ["general", area]
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
