"""The demo data the local stack creates at start: account `demo`, an upload area, a field and a customer
with a portal link."""

from __future__ import annotations

from dataclasses import dataclass

from chalicelib.accounts import service as accounts
from chalicelib.activity.models import staff_actor
from chalicelib.attributes import service as attributes
from chalicelib.auth.tokens import Principal, issue_token
from chalicelib.customers import service as customers
from chalicelib.customers.models import NewCustomer
from chalicelib.links import service as links
from chalicelib.links.models import NewLink

DEMO_ACCOUNT = "demo"
DEMO_ADMIN = "demo-admin"


@dataclass
class Demo:
    account_id: str
    admin_token: str
    customer_id: str
    portal_url: str

    def describe(self) -> list[str]:
        return [
            f"account:      {self.account_id}",
            f"admin token:  {self.admin_token}",
            f"portal URL:   {self.portal_url}   (demo customer {self.customer_id})",
            f"try:          curl -H 'Authorization: Bearer {self.admin_token}' $API/account",
        ]


def seed_demo(api_url: str) -> Demo:
    account, _ = accounts.create_account(DEMO_ACCOUNT, name="Demo Steuerberatung", plan="team")
    admin = Principal(account.id, DEMO_ADMIN, "admin")
    accounts.update_settings(admin, {
        "notification_email": "team@demo-steuerberatung.example",
        "branding": {"company_name": "Demo Steuerberatung", "contact_email": "team@demo-steuerberatung.example",
                     "contact_phone": "+49 821 123456",
                     "description": "Bitte laden Sie Ihre Unterlagen für die Steuererklärung 2025 hoch."},
    })
    area = attributes.create_attribute(account.id, {"scope": "customer", "name": "Lohnsteuerbescheinigung",
                                                    "type": "file", "required": True})
    tax_id = attributes.create_attribute(account.id, {"scope": "customer", "name": "Steuer-ID", "type": "text",
                                                      "pattern": "^[0-9]{11}$"})
    actor = staff_actor(DEMO_ADMIN)
    customer = customers.create_customer(account.id, actor, NewCustomer(name="Erika Mustermann",
                                                                        email="erika@example.com"))
    _, url = links.create_link(account.id, actor, customer.id, NewLink(
        areas=[area.id, "general"], attributes=[tax_id.id], message="Vielen Dank für Ihre Mithilfe!"))
    token = issue_token(account.id, DEMO_ADMIN, "admin")
    return Demo(account_id=account.id, admin_token=token, customer_id=customer.id, portal_url=url)
