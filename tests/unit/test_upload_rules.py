"""The S3 pipeline's rules without AWS: whether a new upload may stay (customer, link, reservation, quota),
what an event for a recorded file is (exactly once: a duplicate changes nothing), and whether an overwrite
keeps its reservation."""

from __future__ import annotations

from typing import Any

import pytest

from chalicelib.accounts.models import Account
from chalicelib.customers.models import Customer
from chalicelib.events.rules import StoredObject, breach, overwrite_breach, recorded
from chalicelib.files.ledger import Ledger
from chalicelib.files.models import Reservation, StoredFile
from chalicelib.files.records import EventState

AT = "2026-03-02T10:00:00Z"
LINK = "l" * 28


def reservation(**changes: Any) -> Reservation:
    return Reservation.model_validate({
        "file_id": "f" * 28, "customer_id": "c" * 28, "key": "files/acme/c/f", "area": "general",
        "filename": "a.pdf", "size": 100, "content_type": "application/pdf", "direction": "received",
        "actor": "customer", "created_at": AT, "expires_at": "2026-03-02T11:00:00Z", **changes})


def state(account: dict[str, Any] | None = None, customer: dict[str, Any] | None = None,
          ledger: dict[str, Any] | None = None, **reserved: Any) -> EventState:
    return EventState(
        reservation=reservation(**reserved), file=None,
        customer=Customer.model_validate({"id": "c" * 28, "number": 1, "name": "Ada", "created_at": AT,
                                          "updated_at": AT, **(customer or {})}),
        account=Account.model_validate({"id": "acme", "name": "Acme", "base_quota_bytes": 1000,
                                        "extra_storage_bytes": 500, "used_bytes": 1300, "created_at": AT,
                                        "updated_at": AT, **(account or {})}),
        customer_ledger=Ledger(ledger or {}),
    )


def stored(size: int = 100, etag: str = "e1", content_type: str = "application/pdf",
           written_at: str = "2026-03-02T10:30:00Z") -> StoredObject:
    return StoredObject(size=size, etag=etag, content_type=content_type, version_id=None, written_at=written_at)


def test_an_upload_that_keeps_its_reservation_and_fits_the_quota_stays() -> None:
    # quota 1000 + 500 extra, 1300 used: 200 bytes are free
    assert breach(state(), 100, stored()) is None
    assert breach(state(size=200), 200, stored(size=200)) is None


def test_the_quota_is_the_base_plus_the_extra_storage_minus_what_is_used() -> None:
    assert breach(state(size=300), 201, stored(size=201)) == "quota_exceeded"
    assert breach(state(size=300, account={"extra_storage_bytes": 501}), 201, stored(size=201)) is None
    assert breach(state(account={"used_bytes": 1600}), 1, stored(size=1)) == "quota_exceeded"  # a downgrade


@pytest.mark.parametrize(("customer", "reason"), [({"closing": "delete"}, "customer_gone"),
                                                  ({"closing": "merge"}, "customer_gone"), ({}, None)])
def test_a_closing_customer_takes_no_new_file(customer: dict[str, Any], reason: str | None) -> None:
    assert breach(state(customer=customer), 100, stored()) == reason


def test_a_missing_customer_or_account_is_gone() -> None:
    for missing in ("customer", "account"):
        gone = state()
        setattr(gone, missing, None)
        assert breach(gone, 100, stored()) == "customer_gone"


def test_the_object_must_match_its_reservation() -> None:
    assert breach(state(), 101, stored(size=101)) == "larger_than_declared"
    assert breach(state(), 100, stored(content_type="image/png")) == "type_differs"


def test_an_object_written_through_a_link_after_it_closed_is_late_to_the_second() -> None:
    revoked = {f"revoked_{LINK}": "2026-03-02T10:30:00.900Z"}
    assert breach(state(ledger=revoked, link_id=LINK), 100, stored(written_at="2026-03-02T10:29:59Z")) is None
    assert breach(state(ledger=revoked, link_id=LINK), 100, stored(written_at="2026-03-02T10:30:00Z")) \
        == "link_revoked"
    expiring = state(link_id=LINK, link_expires_at="2026-03-02T10:30:00Z")
    assert breach(expiring, 100, stored(written_at="2026-03-02T10:30:00Z")) == "link_expired"
    # Without a link, revocations and expiries are not the upload's business
    assert breach(state(ledger=revoked, link_expires_at=AT), 100, stored()) is None


def recorded_file(**changes: Any) -> StoredFile:
    return StoredFile.model_validate({
        "id": "f" * 28, "customer_id": "c" * 28, "key": "files/acme/c/f", "area": "general", "filename": "a.pdf",
        "size": 100, "content_type": "application/pdf", "direction": "received", "state": "stored", "etag": "e1",
        "actor": "customer", "uploaded_at": AT, "declared_size": 150, **changes})


def test_an_event_for_the_object_a_record_describes_is_a_duplicate() -> None:
    assert recorded(recorded_file(), stored(etag="e1")) == "duplicate"
    assert recorded(recorded_file(etag=None), stored(etag="e2")) == "duplicate"  # recorded before etags


def test_an_object_under_a_deleted_or_rejected_file_is_not_a_new_version() -> None:
    assert recorded(recorded_file(deleting=True), stored(etag="e2")) == "deleted_file"
    assert recorded(recorded_file(state="rejected"), stored(etag="e2")) == "rejected_file"
    assert recorded(recorded_file(), stored(etag="e2")) == "overwrite"


def test_an_overwrite_keeps_the_declared_size_the_type_and_the_link() -> None:
    assert overwrite_breach(state(), recorded_file(), stored(size=150, etag="e2")) is None
    assert overwrite_breach(state(), recorded_file(), stored(size=151, etag="e2")) == "overwrite_breaks_reservation"
    assert overwrite_breach(state(), recorded_file(), stored(content_type="text/plain")) \
        == "overwrite_breaks_reservation"
    revoked = state(ledger={f"revoked_{LINK}": "2026-03-02T10:00:00Z"})
    assert overwrite_breach(revoked, recorded_file(link_id=LINK), stored(etag="e2")) == "link_revoked"
