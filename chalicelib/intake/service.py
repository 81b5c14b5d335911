"""Intake rules: staff open (and rotate) or close the registration link; a registration creates the
customer (origin `portal`: default group, portal on) and an upload link asking for everything shown in the
portal, and answers that link's URL."""

from __future__ import annotations

from chalicelib import clock, errors, ids
from chalicelib.accounts.models import Account, IntakeLink
from chalicelib.accounts.repository import AccountRepository
from chalicelib.accounts.service import get_account, load_partition
from chalicelib.activity.models import CUSTOMER
from chalicelib.attributes.models import GENERAL_AREA
from chalicelib.auth.tokens import Principal
from chalicelib.customers.models import NewCustomer
from chalicelib.customers.service import create_customer
from chalicelib.intake.models import Registration
from chalicelib.links import tokens
from chalicelib.links.models import NewLink
from chalicelib.links.service import create_link
from chalicelib.settings import get_settings


def intake_url(token: str) -> str:
    return f"{get_settings().public_base_url}/intake/{token}"


def open_intake(principal: Principal) -> tuple[str, str]:
    """A new registration link (the previous one stops working): its URL, shown only now, and its time."""
    get_account(principal)
    intake_id = ids.new_id()
    token, token_hash = tokens.new_token(principal.account_id, intake_id)
    intake = IntakeLink(id=intake_id, token_hash=token_hash, created_at=clock.now_iso())
    AccountRepository().set_fields(principal.account_id, {"intake": intake.model_dump()}, clock.now_iso())
    return intake_url(token), intake.created_at


def close_intake(principal: Principal) -> None:
    get_account(principal)
    AccountRepository().set_fields(principal.account_id, {"intake": None}, clock.now_iso())


def resolve(token: str) -> Account:
    """The account whose open registration link this is; anything else: NotFoundError, all alike."""
    parsed = tokens.parse(token)
    if parsed is None:
        raise errors.NotFoundError("There is no such registration link.")
    account_id, intake_id, secret = parsed
    account = AccountRepository().get(account_id)
    intake = account.intake if account else None
    if (account is None or intake is None or intake.id != intake_id or not tokens.matches(secret, intake.token_hash)
            or not account.portal.enabled):
        raise errors.NotFoundError("There is no such registration link.")
    return account


def register(token: str, registration: Registration) -> str:
    """Create the customer and their upload link; the link's URL."""
    account = resolve(token)
    customer = create_customer(account.id, CUSTOMER, NewCustomer(
        name=registration.name, email=registration.email, company=registration.company,
        phone=registration.phone, portal_enabled=True,
    ), origin="portal")
    definitions = load_partition(account.id).attributes.values()
    areas = [GENERAL_AREA] + sorted(a.id for a in definitions if a.is_area and a.in_portal)
    fields = sorted(a.id for a in definitions if not a.is_area and a.in_portal)
    _, url = create_link(account.id, CUSTOMER, customer.id, NewLink(areas=areas, attributes=fields))
    return url
