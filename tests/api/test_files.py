"""Staff work with a customer's files: list, download, review, delete, upload."""

from __future__ import annotations

import urllib.parse

import pytest

from tests.support import events


@pytest.fixture
def customer(api) -> dict:
    return api.post("/customers", {"name": "Jonas Beispiel"}).json


@pytest.fixture
def stored(api, anonymous, application, aws, customer) -> dict:
    """Two received files (via the portal) and one sent file (staff)."""
    token = api.post(f"/customers/{customer['id']}/links", {}).json["url"].rsplit("/p/", 1)[1]
    received = []
    for name, body in (("Lohnzettel März.pdf", b"%PDF maerz"), ("scan.png", b"\x89PNG....")):
        content_type = "application/pdf" if name.endswith(".pdf") else "image/png"
        presigned = anonymous.post(f"/p/{token}/uploads", {"filename": name, "size": len(body),
                                                           "content_type": content_type}).json
        events.post_upload(presigned, body)
        received.append(presigned["file_id"])
    sent = api.post(f"/customers/{customer['id']}/files",
                    {"filename": "Bescheid.pdf", "size": 4, "content_type": "application/pdf"}).json
    events.post_upload(sent, b"%PDF")
    events.drain(application, aws)
    return {"received": received, "sent": sent["file_id"], "token": token}


def test_files_list_newest_first_and_filter_by_direction(api, customer, stored) -> None:
    base = f"/customers/{customer['id']}/files"
    everything = api.get(base).json["items"]
    assert [f["id"] for f in everything] == [stored["sent"], *reversed(stored["received"])]
    received = api.get(f"{base}?direction=received").json["items"]
    assert {f["id"] for f in received} == set(stored["received"])
    [sent] = api.get(f"{base}?direction=sent").json["items"]
    assert sent["id"] == stored["sent"] and sent["direction"] == "sent" and sent["link_id"] is None
    assert api.get(f"{base}?direction=sideways").status == 422


def test_file_lists_page_without_skipping_or_repeating(api, customer, stored) -> None:
    base = f"/customers/{customer['id']}/files?direction=received&limit=1"
    first = api.get(base).json
    second = api.get(base + "&cursor=" + first["next_cursor"]).json
    assert len(first["items"]) == len(second["items"]) == 1
    assert {first["items"][0]["id"], second["items"][0]["id"]} == set(stored["received"])
    if second["next_cursor"]:
        assert api.get(base + "&cursor=" + second["next_cursor"]).json["items"] == []


def test_a_file_downloads_briefly_as_an_attachment_under_its_name(api, customer, stored) -> None:
    reply = api.get(f"/customers/{customer['id']}/files/{stored['received'][0]}")
    assert reply.status == 200
    file = reply.json
    assert file["filename"] == "Lohnzettel März.pdf" and file["size"] == 10
    query = urllib.parse.parse_qs(urllib.parse.urlparse(file["download_url"]).query)
    assert int(query["X-Amz-Expires"][0]) <= 300
    disposition = query["response-content-disposition"][0]
    assert disposition.startswith("attachment;") and "Lohnzettel%20M%C3%A4rz.pdf" in disposition
    import requests

    assert requests.get(file["download_url"], timeout=10).content == b"%PDF maerz"


def test_reviewing_a_file_records_the_decision_and_the_comment(api, anonymous, customer, stored) -> None:
    path = f"/customers/{customer['id']}/files/{stored['received'][1]}"
    reply = api.patch(path, {"review": "needs_clarification"})
    assert reply.status == 422 and reply.json["error"]["details"][0]["field"] == "review_comment"
    reply = api.patch(path, {"review": "needs_clarification", "review_comment": "Bitte die Rückseite mitschicken."})
    assert reply.status == 200
    assert (reply.json["review"], reply.json["review_comment"]) == ("needs_clarification",
                                                                     "Bitte die Rückseite mitschicken.")
    area = anonymous.get(f"/p/{stored['token']}/context").json["areas"][0]
    shown = {f["id"]: f for f in area["files"]}[stored["received"][1]]
    assert shown["review_comment"] == "Bitte die Rückseite mitschicken."
    assert api.patch(path, {"review": "checked"}).json["review"] == "checked"
    for bad in ({"review": "rejected"}, {"review": "ok"}, {"review_comment": "x"}, {"review": "checked", "x": 1}):
        assert api.patch(path, bad).status == 422
    history = api.get(f"/customers/{customer['id']}/activity").json["items"]
    assert [e["data"]["review"] for e in history if e["type"] == "file_reviewed"] == ["checked",
                                                                                      "needs_clarification"]


def test_a_rejected_file_cannot_be_reviewed_and_deletes_at_once(api, anonymous, application, aws, customer,
                                                                stored) -> None:
    presigned = anonymous.post(f"/p/{stored['token']}/uploads",
                               {"filename": "x.pdf", "size": 2, "content_type": "application/pdf"}).json
    events.post_upload(presigned, b"too long")
    events.drain(application, aws)
    path = f"/customers/{customer['id']}/files/{presigned['file_id']}"
    rejected = api.get(path).json
    assert rejected["review"] == "rejected" and rejected["download_url"] is None
    assert api.patch(path, {"review": "checked"}).status == 409
    assert api.delete(path).status == 204
    assert api.get(path).status == 404


def test_deleting_a_file_frees_its_bytes_once_the_event_is_handled(api, application, aws, customer, stored) -> None:
    before = api.get("/account").json["used_bytes"]
    path = f"/customers/{customer['id']}/files/{stored['received'][0]}"
    assert api.delete(path).status == 204
    assert api.get(path).json["deleting"] is True
    events.drain(application, aws)
    assert api.get(path).status == 404
    assert api.get("/account").json["used_bytes"] == before - 10
    assert api.get(f"/customers/{customer['id']}").json["files_count"] == 2


def test_staff_uploads_are_checked_like_customer_uploads(api, customer) -> None:
    base = f"/customers/{customer['id']}/files"
    cases = [
        ({"filename": "a.pdf", "size": 6_000_000, "content_type": "application/pdf"}, 413),
        ({"filename": "a.js", "size": 6, "content_type": "text/javascript"}, 415),
        ({"filename": "a.pdf", "size": 6, "content_type": "application/pdf", "area": "nope"}, 422),
        ({"filename": "a.pdf", "size": 6, "content_type": "application/pdf", "direction": "up"}, 422),
    ]
    for body, status in cases:
        assert api.post(base, body).status == status, body


def test_files_of_another_account_are_404(api, make_account, customer, stored) -> None:
    foreign = api.with_token(make_account()[1])
    path = f"/customers/{customer['id']}/files/{stored['received'][0]}"
    for reply in (foreign.get(path), foreign.patch(path, {"review": "checked"}), foreign.delete(path),
                  foreign.get(f"/customers/{customer['id']}/files"),
                  foreign.post(f"/customers/{customer['id']}/files",
                               {"filename": "a.pdf", "size": 1, "content_type": "application/pdf"})):
        assert (reply.status, reply.error_code) == (404, "not_found")
    other = foreign.post("/customers", {"name": "Fremd"}).json
    assert foreign.get(f"/customers/{other['id']}/files/{stored['received'][0]}").status == 404
    assert api.get(path).json["review"] == "pending"
