"""Intake rules: staff open (and rotate) or close the registration link; a registration is confirmed by
e-mail before it becomes a customer (double opt-in).

- `register` checks the link, counts the registration against the link's rate limit, stores it as pending
  (with a TTL, not a customer: it counts against no plan limit and appears nowhere) and mails a one-time
  confirmation link. It answers the same whatever the address, so nobody learns who is a customer.
- `confirm` takes the pending registration (once), finds the customer the address already is or creates it
  (origin `portal`: default group, portal on), and answers the URL of a new upload link that asks for
  everything shown in the portal. The same address is always one customer.
"""

from __future__ import annotations

import datetime
import hashlib

from chalicelib import clock, errors, ids
from chalicelib.accounts.models import Account, IntakeLink
from chalicelib.accounts.service import find_account, get_account, load_partition, set_intake_link
from chalicelib.activity.models import CUSTOMER
from chalicelib.attributes.models import GENERAL_AREA
from chalicelib.auth.tokens import Principal
from chalicelib.customers.models import Customer, NewCustomer
from chalicelib.customers.service import create_customer, find_by_email, get_customer
from chalicelib.intake.messages import confirmation_mail
from chalicelib.intake.models import PendingRegistration, Registration
from chalicelib.intake.repository import RegistrationRepository
from chalicelib.limits.service import take
from chalicelib.links import tokens
from chalicelib.links.models import NewLink
from chalicelib.links.service import create_link
from chalicelib.mail import admit, send
from chalicelib.settings import get_settings

#: How long a confirmation link works.
CONFIRMATION_TTL = datetime.timedelta(hours=24)
#: Registrations one registration link accepts per window (a form on a website; more is abuse).
REGISTRATIONS_PER_WINDOW = 20
REGISTRATION_WINDOW_SECONDS = 600


def intake_url(token: str) -> str:
    return f"{get_settings().public_base_url}/intake/{token}"


def confirmation_url(token: str) -> str:
    return f"{get_settings().public_base_url}/registrations/{token}"


def open_intake(principal: Principal) -> tuple[str, str]:
    """A new registration link (the previous one stops working): its URL, shown only now, and its time."""
    get_account(principal)
    intake_id = ids.new_id()
    token, token_hash = tokens.new_token(principal.account_id, intake_id)
    intake = IntakeLink(id=intake_id, token_hash=token_hash, created_at=clock.now_iso())
    set_intake_link(principal.account_id, intake)
    return intake_url(token), intake.created_at


def close_intake(principal: Principal) -> None:
    get_account(principal)
    set_intake_link(principal.account_id, None)


def _gone() -> errors.NotFoundError:
    return errors.NotFoundError("There is no such registration link.")


def resolve(token: str) -> Account:
    """The account whose open registration link this is; anything else: NotFoundError, all alike."""
    parsed = tokens.parse(token)
    if parsed is None:
        raise _gone()
    account_id, intake_id, secret = parsed
    account = find_account(account_id)
    intake = account.intake if account else None
    if (account is None or intake is None or intake.id != intake_id or not tokens.matches(secret, intake.token_hash)
            or not account.portal.enabled):
        raise _gone()
    return account


def register(token: str, registration: Registration) -> None:
    """Store the registration as pending and mail its confirmation link (rate-limited per registration link)."""
    account = resolve(token)
    assert account.intake is not None  # resolve checked it
    take(account.id, f"intake#{account.intake.id}", REGISTRATIONS_PER_WINDOW, REGISTRATION_WINDOW_SECONDS,
         "Too many registrations through this link in a short time; please try again later.")
    now = clock.now()
    registration_id = ids.new_id()
    confirm_token, token_hash = tokens.new_token(account.id, registration_id)
    expires = now + CONFIRMATION_TTL
    pending = PendingRegistration(
        id=registration_id, intake_id=account.intake.id, token_hash=token_hash, name=registration.name,
        email=registration.email, company=registration.company or None, phone=registration.phone or None,
        created_at=clock.iso(now), expires_at=clock.iso(expires),
    )
    try:
        admit(account.id, pending.email)
    except errors.SuppressedAddressError:
        # The address bounced or complained: nothing is stored or sent, and the answer is the same as for any
        # other address.
        return
    RegistrationRepository().add(account.id, pending, int(expires.timestamp()))
    send(confirmation_mail(account, pending, confirmation_url(confirm_token)), admitted=True)


def _pending(token: str) -> tuple[Account, str, str]:
    """(account, registration id, secret) of a confirmation token whose registration link is still open."""
    parsed = tokens.parse(token)
    if parsed is None:
        raise errors.NotFoundError("There is no such registration to confirm.")
    account_id, registration_id, secret = parsed
    account = find_account(account_id)
    if account is None or account.intake is None or not account.portal.enabled:
        raise errors.NotFoundError("There is no such registration to confirm.")
    return account, registration_id, secret


def confirmation_account(token: str) -> Account:
    """The account a confirmation link belongs to, if it can still be confirmed (for its page)."""
    account, registration_id, secret = _pending(token)
    pending = RegistrationRepository().get(account.id, registration_id)
    if pending is None or not tokens.matches(secret, pending.token_hash) or pending.expires_at <= clock.now_iso():
        raise errors.NotFoundError("There is no such registration to confirm.")
    return account


def confirm(token: str) -> str:
    """Confirm a registration (once): its customer, new or existing, and the URL of a new upload link."""
    account, registration_id, secret = _pending(token)
    repository = RegistrationRepository()
    pending = repository.get(account.id, registration_id)
    if (pending is None or not tokens.matches(secret, pending.token_hash) or pending.expires_at <= clock.now_iso()
            or account.intake is None or pending.intake_id != account.intake.id):
        raise errors.NotFoundError("There is no such registration to confirm.")
    if repository.take(account.id, registration_id) is None:
        raise errors.NotFoundError("This registration was confirmed already.")
    customer = _customer_for(account, pending)
    definitions = load_partition(account.id).attributes.values()
    areas = [GENERAL_AREA] + sorted(a.id for a in definitions if a.is_area and a.in_portal)
    fields = sorted(a.id for a in definitions if not a.is_area and a.in_portal)
    _, url = create_link(account.id, CUSTOMER, customer.id, NewLink(areas=areas, attributes=fields))
    return url


def _email_hash(email: str) -> str:
    return hashlib.sha256(email.strip().casefold().encode()).hexdigest()


def _customer_for(account: Account, pending: PendingRegistration) -> Customer:
    """The customer the address already is, else a new one; never two for one address."""
    repository = RegistrationRepository()
    email_hash = _email_hash(pending.email)
    known = repository.customer_of(account.id, email_hash)
    if known:
        try:
            return get_customer(account.id, known)
        except errors.NotFoundError:
            pass  # deleted since: the address may register anew
    existing = find_by_email(account.id, pending.email)
    if existing is not None:
        repository.record_customer(account.id, email_hash, existing.id)
        return existing
    if not repository.claim(account.id, email_hash, pending.id, stale_customer_id=known):
        raise errors.ConflictError("This address is being registered right now; please try again in a moment.")
    try:
        customer = create_customer(account.id, CUSTOMER, NewCustomer(
            name=pending.name, email=pending.email, company=pending.company, phone=pending.phone,
            portal_enabled=True,
        ), origin="portal", require_fields=False)
    except Exception:
        repository.release(account.id, email_hash, pending.id)
        raise
    repository.record_customer(account.id, email_hash, customer.id)
    return customer
