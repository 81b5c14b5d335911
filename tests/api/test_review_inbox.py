"""The review inbox, `GET /files?review=`: received files of every customer waiting in one review state,
newest first, each with its customer; a review moves a file between the lists."""

from __future__ import annotations

from tests.support import events


def upload_through_link(api, anonymous, customer_id: str, names: list[str]) -> list[str]:
    token = api.post(f"/customers/{customer_id}/links", {}).json["url"].rsplit("/p/", 1)[1]
    file_ids = []
    for name in names:
        presigned = anonymous.post(f"/p/{token}/uploads", {"filename": name, "size": 4,
                                                           "content_type": "application/pdf"}).json
        events.post_upload(presigned, b"%PDF")
        file_ids.append(presigned["file_id"])
    return file_ids


def inbox(api, review: str = "pending", **params) -> dict:
    query = "&".join(f"{k}={v}" for k, v in {"review": review, **params}.items())
    reply = api.get(f"/files?{query}")
    assert reply.status == 200, reply
    return reply.json


def test_the_inbox_lists_waiting_files_of_every_customer_newest_first(api, anonymous, application, aws) -> None:
    erika = api.post("/customers", {"name": "Erika Mustermann"}).json
    jonas = api.post("/customers", {"name": "Jonas Beispiel"}).json
    first = upload_through_link(api, anonymous, erika["id"], ["Lohnzettel.pdf"])
    later = upload_through_link(api, anonymous, jonas["id"], ["Mietvertrag.pdf", "Kontoauszug.pdf"])
    sent = api.post(f"/customers/{erika['id']}/files",
                    {"filename": "Bescheid.pdf", "size": 4, "content_type": "application/pdf"}).json
    events.post_upload(sent, b"%PDF")
    events.drain(application, aws)

    items = inbox(api)["items"]

    assert [f["id"] for f in items] == [*reversed(later), *first]  # staff's own uploads never wait for review
    assert items[0]["customer"] == {"id": jonas["id"], "name": "Jonas Beispiel"}
    assert items[-1]["customer"] == {"id": erika["id"], "name": "Erika Mustermann"}
    assert {f["review"] for f in items} == {"pending"} and items[0]["filename"] == "Kontoauszug.pdf"
    assert inbox(api, "needs_clarification")["items"] == []


def test_a_review_moves_the_file_between_the_lists_and_pages_follow_the_cursor(
        api, anonymous, application, aws) -> None:
    customer = api.post("/customers", {"name": "Erika Mustermann"}).json
    ids = upload_through_link(api, anonymous, customer["id"], ["a.pdf", "b.pdf", "c.pdf"])
    events.drain(application, aws)
    base = f"/customers/{customer['id']}/files"

    assert api.patch(f"{base}/{ids[0]}", {"review": "checked"}).status == 200
    assert api.patch(f"{base}/{ids[1]}", {"review": "needs_clarification", "review_comment": "unscharf"}).status == 200

    assert [f["id"] for f in inbox(api)["items"]] == [ids[2]]
    clarifying = inbox(api, "needs_clarification")["items"]
    assert [(f["id"], f["review_comment"]) for f in clarifying] == [(ids[1], "unscharf")]

    assert api.patch(f"{base}/{ids[1]}", {"review": "pending"}).status == 200
    first_page = inbox(api, limit=1)
    assert [f["id"] for f in first_page["items"]] == [ids[2]] and first_page["next_cursor"]
    second_page = inbox(api, limit=1, cursor=first_page["next_cursor"])
    assert [f["id"] for f in second_page["items"]] == [ids[1]]


def test_deleted_files_and_customers_leave_the_inbox(api, anonymous, application, aws) -> None:
    kept = api.post("/customers", {"name": "Bleibt"}).json
    going = api.post("/customers", {"name": "Geht"}).json
    kept_files = upload_through_link(api, anonymous, kept["id"], ["a.pdf", "b.pdf"])
    upload_through_link(api, anonymous, going["id"], ["c.pdf"])
    events.drain(application, aws)

    assert api.delete(f"/customers/{kept['id']}/files/{kept_files[0]}").status == 204
    assert api.delete(f"/customers/{going['id']}").status == 202

    assert [f["id"] for f in inbox(api)["items"]] == [kept_files[1]]


def test_another_accounts_inbox_and_bad_queries(api, anonymous, application, aws, make_account) -> None:
    from chalicelib.auth.tokens import issue_token

    customer = api.post("/customers", {"name": "Erika Mustermann"}).json
    upload_through_link(api, anonymous, customer["id"], ["a.pdf"])
    events.drain(application, aws)
    other_account, _ = make_account()
    other = api.with_token(issue_token(other_account, "member-user", "member"))

    assert inbox(other)["items"] == []
    mine = inbox(api, limit=1)
    foreign_cursor = other.get(f"/files?review=pending&cursor={mine['next_cursor'] or 'x'}")
    assert (foreign_cursor.status, foreign_cursor.error_code) == (422, "validation_error")
    for query in ("review=checked", "review=rejected", "review=everything", "limit=0"):
        reply = api.get(f"/files?{query}")
        assert (reply.status, reply.error_code) == (422, "validation_error"), (query, reply)
    assert anonymous.get("/files").status == 401
