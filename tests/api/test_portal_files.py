"""The portal context shows a customer's newest files only, and a cursor leads to the rest: what the context
reads does not grow with what the customer has."""

from __future__ import annotations

from bench.counting import dynamodb_cost
from chalicelib import clock, ids
from chalicelib.files.models import StoredFile, object_key
from chalicelib.files.repository import file_to_item
from chalicelib.portal.service import CONTEXT_FILES
from chalicelib.storage.tables import main_table

FILES = CONTEXT_FILES + 7


def _seed_files(account_id: str, customer_id: str, count: int) -> list[str]:
    """File records as the event pipeline leaves them (received, some sent), without the uploads."""
    made = []
    for n in range(count):
        file_id = ids.new_id()
        direction = "sent" if n % 10 == 0 else "received"
        main_table().put(file_to_item(account_id, StoredFile(
            id=file_id, customer_id=customer_id, key=object_key(account_id, customer_id, file_id), area="general",
            filename=f"beleg-{n}.pdf", size=10, content_type="application/pdf", direction=direction, state="stored",
            actor="customer", uploaded_at=clock.now_iso())))
        made.append(file_id)
    return made


def test_the_context_shows_the_newest_files_and_a_cursor_to_the_rest(api, anonymous, account) -> None:
    customer = api.post("/customers", {"name": "Viele Belege"}).json
    token = api.post(f"/customers/{customer['id']}/links", {"areas": ["general"]}).json["url"].rsplit("/p/", 1)[1]
    made = _seed_files(account[0], customer["id"], FILES)

    with dynamodb_cost() as cost:
        context = anonymous.get(f"/p/{token}/context").json
    shown = [f["id"] for a in context["areas"] for f in a["files"]] + [f["id"] for f in context["sent_files"]]
    assert len(shown) == CONTEXT_FILES and set(shown) == set(made[-CONTEXT_FILES:]), "the newest"
    assert context["more_files_cursor"]
    assert cost.read <= CONTEXT_FILES + 20, cost  # the files shown, the link, customer, account partition

    rest, cursor = [], context["more_files_cursor"]
    while cursor:
        page = anonymous.get(f"/p/{token}/files?cursor={cursor}&limit=3")
        assert page.status == 200, page
        rest += page.json["items"]
        cursor = page.json["next_cursor"]
    assert [f["id"] for f in rest] == list(reversed(made[:FILES - CONTEXT_FILES]))
    assert {f["direction"] for f in rest} == {"received", "sent"}
    assert all(f["download_url"] for f in rest if f["direction"] == "sent")


def test_a_small_customer_has_no_cursor(api, anonymous, account) -> None:
    customer = api.post("/customers", {"name": "Wenige"}).json
    token = api.post(f"/customers/{customer['id']}/links", {"areas": ["general"]}).json["url"].rsplit("/p/", 1)[1]
    _seed_files(account[0], customer["id"], 3)
    assert anonymous.get(f"/p/{token}/context").json["more_files_cursor"] is None


def test_the_cursor_of_another_customer_is_refused(api, anonymous, account) -> None:
    tokens = []
    for name in ("Erste", "Zweite"):
        customer = api.post("/customers", {"name": name}).json
        tokens.append(api.post(f"/customers/{customer['id']}/links", {"areas": ["general"]}
                               ).json["url"].rsplit("/p/", 1)[1])
        _seed_files(account[0], customer["id"], CONTEXT_FILES + 1)
    cursor = anonymous.get(f"/p/{tokens[0]}/context").json["more_files_cursor"]
    reply = anonymous.get(f"/p/{tokens[1]}/files?cursor={cursor}")
    assert (reply.status, reply.error_code) == (422, "validation_error")
