"""One meaning of "staff see this customer": gone from the moment its deletion is asked for; the source of an
unfinished merge stays visible (so the merge can be run again), while what would change it is refused."""

from __future__ import annotations

import csv
import io

from chalicelib.customers.repository import CustomerRepository
from tests.api.test_exports import download, run


def _create(api, name: str) -> str:
    reply = api.post("/customers", {"name": name})
    assert reply.status == 201, reply
    return reply.json["id"]


def test_the_source_of_an_unfinished_merge_is_visible_everywhere_staff_look(api, application, aws) -> None:
    account_id = api.get("/account").json["id"]
    target, source = _create(api, "Ziel Kunde"), _create(api, "Quelle Kunde")
    # Given a merge that flagged both sides and stopped (a crash half way)
    CustomerRepository().mark_merge(account_id, target, source)
    # Then staff still see the source: by id, in the list, in the register's export
    assert api.get(f"/customers/{source}").status == 200
    assert source in {c["id"] for c in api.get("/customers").json["items"]}
    job = run(api, application, aws, "/exports", {"format": "csv"})
    rows = list(csv.reader(io.StringIO(download(job).content.decode("utf-8-sig")), delimiter=";"))
    assert "Quelle Kunde" in {row[1] for row in rows[1:]}
    # And what would change it, or archive it half moved, is refused as a conflict, not hidden
    assert api.patch(f"/customers/{source}", {"name": "Neu"}).status == 409
    assert api.post(f"/customers/{source}/export").status == 409


def test_a_customer_whose_deletion_was_asked_for_is_gone_everywhere_staff_look(api, application, aws) -> None:
    account_id = api.get("/account").json["id"]
    doomed = _create(api, "Weg Kunde")
    CustomerRepository().mark_closing(account_id, doomed)
    assert api.get(f"/customers/{doomed}").status == 404
    assert doomed not in {c["id"] for c in api.get("/customers").json["items"]}
    job = run(api, application, aws, "/exports", {"format": "csv"})
    rows = list(csv.reader(io.StringIO(download(job).content.decode("utf-8-sig")), delimiter=";"))
    assert "Weg Kunde" not in {row[1] for row in rows[1:]}
    assert api.post(f"/customers/{doomed}/export").status == 404
