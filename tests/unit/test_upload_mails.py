"""Staff hear of a batch's uploads through links in one mail per customer and address, without AWS."""

from __future__ import annotations

from typing import Any

from chalicelib.accounts.models import Account
from chalicelib.customers.models import Customer
from chalicelib.events.notifications import upload_mails
from chalicelib.events.pipeline import Outcome
from chalicelib.files.models import StoredFile

AT = "2026-03-02T10:00:00Z"


def account(email: str | None) -> Account:
    return Account.model_validate({"id": "acme", "name": "Acme", "notification_email": email, "created_at": AT,
                                   "updated_at": AT})


def customer(number: int, name: str) -> Customer:
    return Customer.model_validate({"id": str(number) * 28, "number": number, "name": name, "created_at": AT,
                                    "updated_at": AT})


def stored(owner: Customer, filename: str, link_id: str | None = "l" * 28, **changes: Any) -> StoredFile:
    return StoredFile.model_validate({
        "id": filename.ljust(28, "0")[:28], "customer_id": owner.id, "key": "files/x", "area": "general",
        "filename": filename, "size": 10, "content_type": "application/pdf", "direction": "received",
        "state": "stored", "actor": "customer", "uploaded_at": AT, "link_id": link_id, **changes})


def test_one_mail_per_customer_for_the_files_uploaded_through_links() -> None:
    office, anna, ben = account("office@example.com"), customer(1, "Anna"), customer(2, "Ben")
    outcomes = [
        Outcome("stored", file=stored(anna, "a.pdf"), account=office, customer=anna),
        Outcome("stored", file=stored(anna, "b.pdf"), account=office, customer=anna),
        Outcome("stored", file=stored(ben, "c.pdf"), account=office, customer=ben),
        # staff's own upload, a rejected one, and an account without a notification address: no mail
        Outcome("stored", file=stored(ben, "d.pdf", link_id=None), account=office, customer=ben),
        Outcome("rejected", file=stored(ben, "e.pdf", state="rejected"), account=office, customer=ben),
        Outcome("stored", file=stored(ben, "f.pdf"), account=account(None), customer=ben),
    ]
    mails = upload_mails(outcomes)
    assert [(m.to, m.subject) for m in mails] == [("office@example.com", "Anna: 2 neue Dateien"),
                                                  ("office@example.com", "Ben: 1 neue Datei")]
    assert "Anna (Kundennummer 1) hat 2 neue Dateien" in mails[0].text
    assert "- a.pdf (10 Bytes)\n- b.pdf (10 Bytes)" in mails[0].text


def test_a_customer_gone_meanwhile_is_named_generically() -> None:
    anna = customer(1, "Anna")
    [mail] = upload_mails([Outcome("stored", file=stored(anna, "a.pdf"), account=account("o@example.com"))])
    assert mail.subject == "Ein Kunde: 1 neue Datei"
