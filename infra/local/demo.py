"""The demo data the local stack creates when it is missing: account `demo`, an upload area, a field and a
customer with a portal link. Only a hash of a link's secret is stored, so the portal URL is kept in the state
folder (`demo.json`) to be shown again after a restart; when it no longer opens (expired, revoked) the demo
customer gets a new link."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

from chalicelib.accounts import service as accounts
from chalicelib.activity.models import staff_actor
from chalicelib.attributes import service as attributes
from chalicelib.auth.tokens import Principal, issue_token
from chalicelib.customers import service as customers
from chalicelib.customers.models import NewCustomer
from chalicelib.errors import DossierError
from chalicelib.links import service as links
from chalicelib.links.models import NewLink

DEMO_ACCOUNT = "demo"
DEMO_ADMIN = "demo-admin"


@dataclass
class Demo:
    account_id: str
    admin_token: str
    customer_id: str | None
    portal_url: str | None
    created: bool


DEMO_FILE = "demo.json"


def _seed(account_id: str) -> tuple[str, str]:
    """Settings, an upload area, a field and a customer with a link; (customer id, portal URL)."""
    admin = Principal(account_id, DEMO_ADMIN, "admin")
    accounts.update_settings(admin, {
        "notification_email": "team@demo-steuerberatung.example",
        "branding": {"company_name": "Demo Steuerberatung", "contact_email": "team@demo-steuerberatung.example",
                     "contact_phone": "+49 821 123456",
                     "description": "Bitte laden Sie Ihre Unterlagen für die Steuererklärung 2025 hoch."},
    })
    attributes.create_attribute(account_id, {"scope": "customer", "name": "Lohnsteuerbescheinigung",
                                             "type": "file", "required": True})
    attributes.create_attribute(account_id, {"scope": "customer", "name": "Steuer-ID", "type": "text",
                                             "pattern": "^[0-9]{11}$"})
    customer = customers.create_customer(account_id, staff_actor(DEMO_ADMIN),
                                         NewCustomer(name="Erika Mustermann", email="erika@example.com"))
    return customer.id, _new_link(account_id, customer.id)


def _new_link(account_id: str, customer_id: str) -> str:
    partition = accounts.load_partition(account_id)
    areas = [a.id for a in partition.attributes.values() if a.type == "file" and a.scope == "customer"][:1]
    fields = [a.id for a in partition.attributes.values() if a.type != "file" and a.scope == "customer"][:1]
    _, url = links.create_link(account_id, staff_actor(DEMO_ADMIN), customer_id, NewLink(
        areas=[*areas, "general"], attributes=fields, message="Vielen Dank für Ihre Mithilfe!"))
    return url


def _opens(url: str) -> bool:
    try:
        links.resolve(url.rsplit("/p/", 1)[1])
    except (DossierError, IndexError):
        return False
    return True


def seed_demo(state: Path | None = None) -> Demo:
    """The demo account, created when missing; its portal URL is remembered in `state` (a folder)."""
    account, created = accounts.create_account(DEMO_ACCOUNT, name="Demo Steuerberatung", plan="team")
    remembered = state / DEMO_FILE if state else None
    customer_id: str | None = None
    url: str | None = None
    if created:
        customer_id, url = _seed(account.id)
    elif remembered and remembered.exists():
        saved = json.loads(remembered.read_text())
        customer_id, url = saved.get("customer_id"), saved.get("portal_url")
        if url and "/p/" in url:  # on this run's origin (an earlier run may have used another PORT)
            url = links.portal_url(url.rsplit("/p/", 1)[1])
        if url and not _opens(url):
            try:
                url = _new_link(account.id, customers.get_customer(account.id, str(customer_id)).id)
            except DossierError:  # the demo customer is gone
                customer_id = url = None
    if remembered and url:
        remembered.parent.mkdir(parents=True, exist_ok=True)
        temporary = remembered.with_name(remembered.name + ".tmp")
        temporary.write_text(json.dumps({"customer_id": customer_id, "portal_url": url}) + "\n")
        os.replace(temporary, remembered)
    token = issue_token(account.id, DEMO_ADMIN, "admin")
    return Demo(account_id=account.id, admin_token=token, customer_id=customer_id, portal_url=url, created=created)
