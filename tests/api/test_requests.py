"""Requests: a link's checklist items, its status, the customer's status following its requests, and
"not applicable" from both sides."""

from __future__ import annotations

import boto3
import pytest

from chalicelib.storage import keys
from tests.support import events, uploads


@pytest.fixture
def setup(api) -> dict:
    ids = {
        "ausweis": api.post("/attributes", {"name": "Ausweis", "type": "file", "required": True}).json["id"],
        "lohn": api.post("/attributes", {"name": "Lohnsteuerbescheinigung", "type": "file"}).json["id"],
        "einzug": api.post("/attributes", {"name": "Einzugsdatum", "type": "date", "scope": "request"}).json["id"],
    }
    customer = api.post("/customers", {"name": "Max Mieter", "email": "max@example.com"}).json
    return {"ids": ids, "customer": customer}


def new_link(api, setup: dict, body: dict) -> dict:
    reply = api.post(f"/customers/{setup['customer']['id']}/links", body)
    assert reply.status == 201, reply
    return {**reply.json, "token": reply.json["url"].rsplit("/p/", 1)[1]}


def upload(anonymous, application, aws, link: dict, area: str, content: bytes = b"%PDF-1.4") -> str:
    """The customer uploads `content` into `area` and its S3 event is handled; the file's id."""
    form = uploads.upload(anonymous, link["token"], content, area=area)
    events.drain(application, aws)
    return form["file_id"]


def link_of(api, setup: dict, link_id: str) -> dict:
    return next(link for link in api.get(f"/customers/{setup['customer']['id']}/links").json["items"]
                if link["id"] == link_id)


def items_of(link: dict) -> dict[str, dict]:
    return {item["id"]: item for item in link["items"]}


def status_of(api, setup: dict) -> str:
    return api.get(f"/customers/{setup['customer']['id']}").json["status"]


def history(api, setup: dict, kind: str) -> list[dict]:
    entries = api.get(f"/customers/{setup['customer']['id']}/activity?limit=100").json["items"]
    return [entry for entry in entries if entry["type"] == kind]


def test_a_link_gets_an_item_for_each_area_and_field_with_required_and_help(api, setup) -> None:
    ids = setup["ids"]
    link = new_link(api, setup, {"areas": [ids["ausweis"]], "attributes": [ids["einzug"]],
                                 "items": [{"attribute_id": ids["lohn"], "required": True, "help": "Vom Arbeitgeber"},
                                           {"attribute_id": ids["einzug"], "help": "Tag der Schlüsselübergabe"}]})
    assert link["areas"] == [ids["ausweis"], ids["lohn"]] and link["attributes"] == [ids["einzug"]]
    assert [(i["id"], i["kind"], i["attribute_id"], i["required"], i["help"], i["state"], i["files"], i["value"])
            for i in link["items"]] == [
        (ids["ausweis"], "area", ids["ausweis"], True, "", "missing", [], None),
        (ids["lohn"], "area", ids["lohn"], True, "Vom Arbeitgeber", "missing", [], None),
        (ids["einzug"], "field", ids["einzug"], False, "Tag der Schlüsselübergabe", "missing", [], None),
    ]
    assert link["status"] == "open"
    assert link_of(api, setup, link["id"])["items"] == link["items"]


def test_items_naming_unknown_attributes_are_refused_and_nothing_is_written(api, setup) -> None:
    for body, field in (({"items": [{"attribute_id": "nope"}]}, "items.0.attribute_id"),
                        ({"items": [{"attribute_id": setup["ids"]["ausweis"], "colour": 1}]}, "items.0.colour"),
                        ({"items": [{"attribute_id": setup["ids"]["ausweis"], "help": "x" * 1001}]},
                         "items.0.help")):
        reply = api.post(f"/customers/{setup['customer']['id']}/links", body)
        assert (reply.status, reply.error_code) == (422, "validation_error"), reply
        assert field in [d["field"] for d in reply.json["error"]["details"]]
    assert api.get(f"/customers/{setup['customer']['id']}/links").json["items"] == []


def test_items_and_statuses_follow_uploads_reviews_deletions_and_the_customer_follows(api, anonymous, application,
                                                                                     aws, setup) -> None:
    ids = setup["ids"]
    path = f"/customers/{setup['customer']['id']}"
    link = new_link(api, setup, {"areas": [ids["ausweis"], ids["lohn"]]})
    assert [i["required"] for i in link["items"]] == [True, False]

    file_id = upload(anonymous, application, aws, link, ids["ausweis"])
    link = link_of(api, setup, link["id"])
    assert items_of(link)[ids["ausweis"]]["state"] == "received"
    assert items_of(link)[ids["ausweis"]]["files"] == [file_id]
    assert link["status"] == "submitted"  # the only required item arrived
    assert status_of(api, setup) == "partial"  # the first upload, as before

    reply = api.patch(f"{path}/files/{file_id}", {"review": "needs_clarification", "review_comment": "unscharf"})
    assert reply.status == 200, reply
    link = link_of(api, setup, link["id"])
    assert items_of(link)[ids["ausweis"]]["state"] == "needs_clarification" and link["status"] == "partial"

    assert api.patch(f"{path}/files/{file_id}", {"review": "checked"}).status == 200
    link = link_of(api, setup, link["id"])
    assert items_of(link)[ids["ausweis"]]["state"] == "checked" and link["status"] == "complete"
    assert status_of(api, setup) == "complete"  # its only request is complete
    assert history(api, setup, "status_changed")[0]["data"] == {
        "from": "partial", "to": "complete", "reason": "every request complete"}

    # A deleted file reopens its item and the link (in the removal's own transaction).
    assert api.delete(f"{path}/files/{file_id}").status == 204
    events.drain(application, aws)
    link = link_of(api, setup, link["id"])
    assert items_of(link)[ids["ausweis"]]["state"] == "missing" and items_of(link)[ids["ausweis"]]["files"] == []
    assert link["status"] == "open"
    # The customer follows at the request's next change through the API: here the item is asked for again.
    staff_path = f"{path}/links/{link['id']}/items/{ids['ausweis']}"
    assert api.patch(staff_path, {"state": "missing", "comment": "Bitte erneut hochladen."}).status == 200
    assert status_of(api, setup) == "partial"
    assert history(api, setup, "status_changed")[0]["data"]["reason"] == "request reopened"


def test_a_new_request_reopens_a_complete_customer_and_cancelled_ones_do_not_count(api, anonymous, application,
                                                                                   aws, setup) -> None:
    ids = setup["ids"]
    path = f"/customers/{setup['customer']['id']}"
    first = new_link(api, setup, {"areas": [ids["ausweis"]]})
    second = new_link(api, setup, {"areas": [ids["lohn"]]})
    file_id = upload(anonymous, application, aws, first, ids["ausweis"])
    assert api.patch(f"{path}/files/{file_id}", {"review": "checked"}).status == 200
    assert link_of(api, setup, first["id"])["status"] == "complete"
    assert status_of(api, setup) == "partial"  # the second request is still open

    assert api.delete(f"{path}/links/{second['id']}").status == 204
    assert link_of(api, setup, second["id"])["status"] == "cancelled"
    assert status_of(api, setup) == "complete"  # every non-cancelled request is complete

    new_link(api, setup, {"areas": [ids["lohn"]]})
    assert status_of(api, setup) == "partial"
    assert history(api, setup, "status_changed")[0]["data"]["reason"] == "request opened"

    # Staff may still set it by hand; it is recorded with who did it.
    assert api.patch(path, {"status": "complete"}).status == 200
    manual = history(api, setup, "status_changed")[0]
    assert manual["data"] == {"from": "partial", "to": "complete"} and manual["actor"] != "system"


def test_a_field_item_is_done_when_it_holds_a_valid_value(api, anonymous, setup) -> None:
    ids = setup["ids"]
    link = new_link(api, setup, {"items": [{"attribute_id": ids["einzug"], "required": True}]})
    assert anonymous.put(f"/p/{link['token']}/attributes", {ids["einzug"]: "31.02.2026"}).status == 422
    assert link_of(api, setup, link["id"])["items"][0]["state"] == "missing"
    assert anonymous.put(f"/p/{link['token']}/attributes", {ids["einzug"]: "2026-03-01"}).status == 200
    link = link_of(api, setup, link["id"])
    assert (link["items"][0]["state"], link["items"][0]["value"]) == ("checked", "2026-03-01")
    assert link["status"] == "complete" and status_of(api, setup) == "complete"


def test_not_applicable_from_the_customer_and_staffs_answer(api, anonymous, setup) -> None:
    ids = setup["ids"]
    path = f"/customers/{setup['customer']['id']}"
    link = new_link(api, setup, {"areas": [ids["ausweis"]]})
    item_path = f"/p/{link['token']}/items/{ids['ausweis']}/not-applicable"

    for body in ({}, {"comment": ""}, {"comment": "x" * 2001}, {"comment": "ok", "extra": 1}):
        assert anonymous.post(item_path, body).status == 422, body
    assert anonymous.post(f"/p/{link['token']}/items/nope/not-applicable", {"comment": "x"}).status == 404
    assert link_of(api, setup, link["id"])["items"][0]["state"] == "missing"

    comment = "Ich habe keinen Ausweis, nur einen Pass."
    reply = anonymous.post(item_path, {"comment": comment})
    assert reply.status == 200, reply
    assert (reply.json["state"], reply.json["comment"]) == ("not_applicable", comment)
    assert link_of(api, setup, link["id"])["status"] == "submitted"
    # Marking again is idempotent: the same answer, nothing written.
    again = anonymous.post(item_path, {"comment": "anders"})
    assert again.status == 200 and again.json == reply.json
    assert len(history(api, setup, "item_not_applicable")) == 1

    undone = anonymous.delete(item_path)
    assert undone.status == 200 and undone.json["state"] == "missing" and undone.json["comment"] is None
    assert anonymous.delete(item_path).status == 200  # nothing to take back
    assert link_of(api, setup, link["id"])["status"] == "open"

    assert anonymous.post(item_path, {"comment": "Kein Ausweis"}).status == 200
    staff_path = f"{path}/links/{link['id']}/items/{ids['ausweis']}"
    for body in ({"state": "checked"}, {}, {"state": "missing", "comment": 5}):
        assert api.patch(staff_path, body).status == 422, body
    accepted = api.patch(staff_path, {"state": "accepted_na"})
    assert accepted.status == 200 and accepted.json["state"] == "accepted_na"
    assert accepted.json["comment"] == "Kein Ausweis"
    assert link_of(api, setup, link["id"])["status"] == "complete" and status_of(api, setup) == "complete"
    assert anonymous.delete(item_path).status == 409  # accepted: the customer cannot take it back

    back = api.patch(staff_path, {"state": "missing", "comment": "Bitte den Pass hochladen."})
    assert back.status == 200 and (back.json["state"], back.json["comment"]) == ("missing",
                                                                                 "Bitte den Pass hochladen.")
    assert link_of(api, setup, link["id"])["status"] == "open" and status_of(api, setup) == "partial"


def test_foreign_and_unknown_items_are_404(api, make_account, application, setup) -> None:
    from tests.support.api import ApiClient

    link = new_link(api, setup, {"areas": [setup["ids"]["ausweis"]]})
    path = f"/customers/{setup['customer']['id']}/links/{link['id']}/items"
    _, token = make_account()
    foreign = ApiClient(application.app, token)
    assert foreign.patch(f"{path}/{setup['ids']['ausweis']}", {"state": "accepted_na"}).status == 404
    assert api.patch(f"{path}/nope", {"state": "accepted_na"}).status == 404
    assert api.patch(f"/customers/{setup['customer']['id']}/links/{'0' * 26}/items/x",
                     {"state": "accepted_na"}).status == 404


def test_links_made_before_checklists_get_items_derived_on_read(api, anonymous, application, aws, setup) -> None:
    ids = setup["ids"]
    link = new_link(api, setup, {"areas": [ids["ausweis"], "general"]})
    account_id = link["token"].split(".")[0]
    boto3.client("dynamodb").update_item(
        TableName=aws.outputs["TableName"],
        Key={"pk": {"S": keys.links_partition(account_id)}, "sk": {"S": link["id"]}},
        UpdateExpression="REMOVE #items, #status", ExpressionAttributeNames={"#items": "items", "#status": "status"})
    old = link_of(api, setup, link["id"])
    assert [(i["id"], i["required"], i["state"]) for i in old["items"]] == [
        (ids["ausweis"], True, "missing"), ("general", False, "missing")]
    assert old["status"] == "open"
    upload(anonymous, application, aws, link, ids["ausweis"])
    old = link_of(api, setup, link["id"])
    assert old["items"][0]["state"] == "received" and old["status"] == "submitted"
    assert anonymous.post(f"/p/{link['token']}/items/general/not-applicable", {"comment": "x"}).status == 404


# --- templates ---

def test_templates_are_stored_listed_changed_and_deleted(api, setup) -> None:
    ids = setup["ids"]
    body = {"name": "Einkommensteuer 2025", "message": "Bitte bis Ende Mai.",
            "items": [{"attribute_id": ids["lohn"], "help": "Vom Arbeitgeber"},
                      {"attribute_id": ids["einzug"], "required": False}],
            "due_in_days": 30, "reminders": {"enabled": True, "before_due_days": [3, 7, 3], "every_days_after": 2}}
    reply = api.post("/templates", body)
    assert reply.status == 201, reply
    template = reply.json
    assert template["items"] == [
        {"attribute_id": ids["lohn"], "required": True, "help": "Vom Arbeitgeber", "missing": False},
        {"attribute_id": ids["einzug"], "required": False, "help": "", "missing": False}]
    assert template["reminders"] == {"enabled": True, "before_due_days": [7, 3], "every_days_after": 2}
    assert api.get("/templates").json["items"] == [template]
    assert api.get(f"/templates/{template['id']}").json == template
    changed = api.patch(f"/templates/{template['id']}", {"name": "ESt 2025", "due_in_days": None})
    assert changed.status == 200 and changed.json["name"] == "ESt 2025" and changed.json["due_in_days"] is None
    assert changed.json["items"] == template["items"]
    assert api.delete(f"/templates/{template['id']}").status == 204
    assert api.get(f"/templates/{template['id']}").status == 404
    assert api.delete(f"/templates/{template['id']}").status == 404


def test_bad_templates_are_refused_and_foreign_ones_are_404(api, make_account, application, setup) -> None:
    from tests.support.api import ApiClient

    ids = setup["ids"]
    for body, field in (
        ({"name": "x", "items": []}, "items"),
        ({"name": "", "items": [{"attribute_id": ids["lohn"]}]}, "name"),
        ({"name": "x", "items": [{"attribute_id": "nope"}]}, "items.0.attribute_id"),
        ({"name": "x", "items": [{"attribute_id": ids["lohn"]}, {"attribute_id": ids["lohn"]}]},
         "items.1.attribute_id"),
        ({"name": "x", "items": [{"attribute_id": ids["lohn"]}], "due_in_days": 0}, "due_in_days"),
        ({"name": "x", "items": [{"attribute_id": ids["lohn"]}], "reminders": {"before_due_days": [0]}},
         "reminders.before_due_days"),
    ):
        reply = api.post("/templates", body)
        assert (reply.status, reply.error_code) == (422, "validation_error"), (body, reply)
        assert field in [d["field"] for d in reply.json["error"]["details"]], reply
    assert api.get("/templates").json["items"] == []
    template = api.post("/templates", {"name": "x", "items": [{"attribute_id": ids["lohn"]}]}).json
    assert api.patch(f"/templates/{template['id']}", {"items": [{"attribute_id": "nope"}]}).status == 422
    assert api.patch(f"/templates/{template['id']}", {"name": None}).status == 422
    _, token = make_account()
    foreign = ApiClient(application.app, token)
    for reply in (foreign.get(f"/templates/{template['id']}"), foreign.patch(f"/templates/{template['id']}", {}),
                  foreign.delete(f"/templates/{template['id']}"),
                  foreign.post(f"/customers/{setup['customer']['id']}/links", {"template_id": template["id"]})):
        assert reply.status == 404, reply
    other = foreign.post("/customers", {"name": "Fremd"}).json
    assert foreign.post(f"/customers/{other['id']}/links", {"template_id": template["id"]}).status == 404
    assert api.get(f"/templates/{template['id']}").json["name"] == "x"


def test_a_link_from_a_template_skips_a_deleted_attribute_the_template_shows_missing(api, application, aws,
                                                                                    setup) -> None:
    from chalicelib import clock
    from tests.support import jobs

    ids = setup["ids"]
    template = api.post("/templates", {
        "name": "Mietinteressent", "message": "Willkommen", "due_in_days": 10,
        "items": [{"attribute_id": ids["ausweis"], "help": "Vorder- und Rückseite"},
                  {"attribute_id": ids["lohn"], "required": False}, {"attribute_id": ids["einzug"]}],
        "reminders": {"enabled": True, "before_due_days": [3]}}).json
    assert api.delete(f"/attributes/{ids['lohn']}").status == 202
    jobs.drain_jobs(application, aws)
    shown = api.get(f"/templates/{template['id']}").json
    assert [item["missing"] for item in shown["items"]] == [False, True, False]

    link = new_link(api, setup, {"template_id": template["id"]})
    assert link["template_id"] == template["id"] and link["message"] == "Willkommen"
    assert [(i["id"], i["required"], i["help"]) for i in link["items"]] == [
        (ids["ausweis"], True, "Vorder- und Rückseite"), (ids["einzug"], True, "")]
    assert link["areas"] == [ids["ausweis"]] and link["attributes"] == [ids["einzug"]]
    due = clock.parse(link["due_at"]) - clock.parse(link["created_at"])
    assert due.days == 10
    assert (clock.parse(link["expires_at"]) - clock.parse(link["due_at"])).days == 7  # open a week past it
    assert link["reminders"]["enabled"] is True and link["reminders"]["sent_count"] == 0
    assert (clock.parse(link["due_at"]) - clock.parse(link["reminders"]["next_at"])).days == 3

    # The body's own message and items win over the template's.
    own = new_link(api, setup, {"template_id": template["id"], "message": "Eigene",
                                "items": [{"attribute_id": ids["ausweis"], "required": False}]})
    assert own["message"] == "Eigene" and own["items"][0]["required"] is False
    assert api.post(f"/customers/{setup['customer']['id']}/links", {"template_id": "0" * 28}).status == 404


# --- due dates ---

def test_a_due_date_in_the_past_or_after_the_expiry_is_refused_and_nothing_is_written(api, setup) -> None:
    path = f"/customers/{setup['customer']['id']}/links"
    for body, field in (({"due_at": "2020-01-01T00:00:00Z"}, "due_at"),
                        ({"due_at": "2099-01-01T00:00:00Z", "expires_in_days": 5}, "due_at"),
                        ({"due_at": "morgen"}, "due_at"),
                        ({"due_at": "2099-01-01T00:00:00"}, "due_at"),
                        ({"reminders": {"enabled": True, "every_days_after": -1}}, "reminders.every_days_after")):
        reply = api.post(path, body)
        assert (reply.status, reply.error_code) == (422, "validation_error"), (body, reply)
        assert field in [d["field"] for d in reply.json["error"]["details"]], reply
    assert api.get(path).json["items"] == []
    assert api.get(f"/customers/{setup['customer']['id']}").json["links_count"] == 0


def test_customers_can_be_filtered_by_due_requests(api, anonymous, monkeypatch, setup) -> None:
    from chalicelib import clock

    ids = setup["ids"]
    soon, later = setup["customer"], api.post("/customers", {"name": "Spät"}).json
    done = api.post("/customers", {"name": "Fertig"}).json
    plain = api.post("/customers", {"name": "Ohne Frist"}).json
    now = clock.now()

    def at(days: float) -> str:
        return clock.iso(now + __import__("datetime").timedelta(days=days))

    api.post(f"/customers/{soon['id']}/links", {"areas": [ids["ausweis"]], "due_at": at(3)})
    api.post(f"/customers/{later['id']}/links", {"areas": [ids["ausweis"]], "due_at": at(15)})
    finished = api.post(f"/customers/{done['id']}/links", {"items": [{"attribute_id": ids["einzug"]}],
                                                            "due_at": at(2)}).json
    api.post(f"/customers/{plain['id']}/links", {"areas": [ids["ausweis"]]})
    token = finished["url"].rsplit("/p/", 1)[1]
    assert anonymous.put(f"/p/{token}/attributes", {ids["einzug"]: "2026-03-01"}).status == 200

    def names(due: str) -> set[str]:
        reply = api.get(f"/customers?due={due}")
        assert reply.status == 200, reply
        return {c["name"] for c in reply.json["items"]}

    assert names("this_week") == {"Max Mieter"}
    assert names("overdue") == set()
    monkeypatch.setattr(clock, "now", lambda: now + __import__("datetime").timedelta(days=10))
    assert names("overdue") == {"Max Mieter"}  # the finished request no longer counts
    assert names("this_week") == {"Spät"}
    assert api.get("/customers?due=tomorrow").status == 422


def test_a_redelivered_upload_event_records_the_file_on_its_item_once(api, anonymous, application, aws,
                                                                      setup) -> None:
    ids = setup["ids"]
    link = new_link(api, setup, {"areas": [ids["ausweis"]]})
    events.take_messages(aws)
    reply = anonymous.post(f"/p/{link['token']}/uploads", {"filename": "a.pdf", "size": 8,
                                                           "content_type": "application/pdf",
                                                           "area": ids["ausweis"]})
    events.post_upload(reply.json, b"%PDF-1.4")
    bodies = [m["Body"] for m in events.take_messages(aws)]
    assert bodies
    for _ in range(3):
        events.deliver(application, bodies)
    item = link_of(api, setup, link["id"])["items"][0]
    assert (item["state"], item["files"]) == ("received", [reply.json["file_id"]])
    customer = api.get(f"/customers/{setup['customer']['id']}").json
    assert customer["files_count"] == 1 and customer["status"] == "partial"


def test_a_merge_moves_a_due_request_to_the_customer_it_is_merged_into(api, setup) -> None:
    import datetime

    from chalicelib import clock

    source = api.post("/customers", {"name": "Doppelt"}).json
    due = clock.iso(clock.now() + datetime.timedelta(days=2))
    assert api.post(f"/customers/{source['id']}/links", {"areas": [setup["ids"]["ausweis"]], "due_at": due}).status \
        == 201
    assert [c["name"] for c in api.get("/customers?due=this_week").json["items"]] == ["Doppelt"]
    reply = api.post(f"/customers/{setup['customer']['id']}/merge", {"source_id": source["id"]})
    assert reply.status == 200, reply
    assert [c["name"] for c in api.get("/customers?due=this_week").json["items"]] == ["Max Mieter"]


def test_a_replaced_file_puts_its_checked_item_back_to_received(api, anonymous, application, aws, setup) -> None:
    ids = setup["ids"]
    link = new_link(api, setup, {"areas": [ids["ausweis"]]})
    reply = anonymous.post(f"/p/{link['token']}/uploads", {"filename": "a.pdf", "size": 8,
                                                           "content_type": "application/pdf",
                                                           "area": ids["ausweis"]})
    events.post_upload(reply.json, b"%PDF-1.4")
    events.drain(application, aws)
    file_path = f"/customers/{setup['customer']['id']}/files/{reply.json['file_id']}"
    assert api.patch(file_path, {"review": "checked"}).status == 200
    assert link_of(api, setup, link["id"])["status"] == "complete"
    events.post_upload(reply.json, b"%PDF-1.5")  # the same form used again: a new version
    events.drain(application, aws)
    assert api.get(file_path).json["review"] == "pending"
    link = link_of(api, setup, link["id"])
    assert link["items"][0]["state"] == "received" and link["status"] == "submitted"


def clarification_mails(to: str) -> list[dict]:
    return [m for m in events.sent_mails() if m["to"] == [to] and m["subject"].startswith("Rückfrage")]


def test_a_file_needing_clarification_mails_the_customer_the_comment_and_a_fresh_working_link(
        api, anonymous, application, aws, setup) -> None:
    ids = setup["ids"]
    path = f"/customers/{setup['customer']['id']}"
    link = new_link(api, setup, {"areas": [ids["ausweis"]]})
    file_id = upload(anonymous, application, aws, link, ids["ausweis"])
    before = len(clarification_mails("max@example.com"))

    reply = api.patch(f"{path}/files/{file_id}", {"review": "needs_clarification",
                                                  "review_comment": "Bitte auch die Rückseite."})
    assert reply.status == 200, reply
    [mail] = clarification_mails("max@example.com")[before:]
    assert "Bitte auch die Rückseite." in mail["body"] and "beleg.pdf" in mail["body"]
    token = mail["body"].split("/p/", 1)[1].split()[0]
    # The mail renews the link's URL: the mailed one opens the request, the one the customer had does not.
    assert anonymous.get(f"/p/{token}/context").status == 200
    assert anonymous.get(f"/p/{link['token']}/context").status == 404
    [entry] = history(api, setup, "clarification_mailed")
    assert entry["data"] == {"file_id": file_id, "link_id": link["id"], "to": "max@example.com"}

    # Checked or pending mails nothing; an account that switched the mail off mails nothing either.
    assert api.patch(f"{path}/files/{file_id}", {"review": "checked"}).status == 200
    switched = api.patch("/account", {"notifications": {"clarification_mail": False}}).json
    assert switched["notifications"] == {"clarification_mail": False, "sms_reminders": False}
    assert api.patch(f"{path}/files/{file_id}", {"review": "needs_clarification",
                                                 "review_comment": "Noch einmal bitte."}).status == 200
    assert len(clarification_mails("max@example.com")) == before + 1
    assert len(history(api, setup, "clarification_mailed")) == 1
    assert anonymous.get(f"/p/{token}/context").status == 200


def test_a_clarification_mail_that_may_not_go_leaves_the_review_done_and_says_why(
        api, anonymous, application, aws, setup) -> None:
    ids = setup["ids"]
    path = f"/customers/{setup['customer']['id']}"
    link = new_link(api, setup, {"areas": [ids["ausweis"]]})
    file_id = upload(anonymous, application, aws, link, ids["ausweis"])
    before = len(clarification_mails("max@example.com"))
    # The recipient limit of the mail path refuses the sixth mail in an hour: the review still succeeds.
    for round_ in range(6):
        assert api.patch(f"{path}/files/{file_id}", {"review": "checked"}).status == 200
        reply = api.patch(f"{path}/files/{file_id}", {"review": "needs_clarification",
                                                      "review_comment": f"Runde {round_}"})
        assert reply.status == 200, reply
        assert reply.json["review"] == "needs_clarification"
    assert len(clarification_mails("max@example.com")) - before == 5
    [refused] = history(api, setup, "clarification_mail_not_sent")
    assert refused["data"] == {"file_id": file_id, "link_id": link["id"], "reason": "rate_limited"}

    # A customer without an e-mail address: nothing mailed, the history says why.
    assert api.patch(path, {"email": None}).status == 200
    assert api.patch(f"{path}/files/{file_id}", {"review": "checked"}).status == 200
    assert api.patch(f"{path}/files/{file_id}", {"review": "needs_clarification",
                                                 "review_comment": "x"}).status == 200
    assert [e["data"]["reason"] for e in history(api, setup, "clarification_mail_not_sent")] == ["no_email",
                                                                                                 "rate_limited"]


def run_reminders(application, monkeypatch, moment) -> dict:
    from chalice.local import LambdaContext

    from chalicelib import clock
    from tests.support.jobs import scheduled_event

    monkeypatch.setattr(clock, "now", lambda: moment)
    return application.send_reminders(scheduled_event(clock.iso(moment)), LambdaContext("send_reminders", 512))


def reminder_mails(api, to: str) -> list[dict]:
    """Reminders to `to` on behalf of the account `api` works for (other tests' customers share the address)."""
    sender = f"„{api.get('/account').json['name']}“"
    return [m for m in events.sent_mails()
            if m["to"] == [to] and m["subject"].startswith("Erinnerung") and sender in m["body"]]


def test_due_reminders_go_once_each_move_on_and_stop_when_the_request_is_complete(
        api, anonymous, application, aws, monkeypatch, setup) -> None:
    import datetime

    from chalicelib import clock

    ids = setup["ids"]
    start = clock.now()
    due = start + datetime.timedelta(days=5)
    link = new_link(api, setup, {"areas": [ids["ausweis"]], "due_at": clock.iso(due),
                                 "reminders": {"enabled": True, "before_due_days": [3], "every_days_after": 2}})
    planned, due = clock.parse(link["reminders"]["next_at"]), clock.parse(link["due_at"])
    before = len(reminder_mails(api, "max@example.com"))
    # Other tests' accounts share the table (the run is for every account): count this customer's mails.
    # Not due yet: nothing.
    run_reminders(application, monkeypatch, planned - datetime.timedelta(hours=1))
    assert len(reminder_mails(api, "max@example.com")) == before
    # Due: one mail with a working URL; a rerun sends nothing twice.
    assert run_reminders(application, monkeypatch, planned + datetime.timedelta(minutes=5))["sent"] >= 1
    run_reminders(application, monkeypatch, planned + datetime.timedelta(minutes=6))
    [mail] = reminder_mails(api, "max@example.com")[before:]
    assert "Ausweis" in mail["body"]
    token = mail["body"].split("/p/", 1)[1].split()[0]
    assert anonymous.get(f"/p/{token}/context").status == 200
    shown = link_of(api, setup, link["id"])["reminders"]
    assert shown["sent_count"] == 1 and clock.parse(shown["next_at"]) == due + datetime.timedelta(days=2)
    [entry] = history(api, setup, "reminder_sent")
    assert entry["actor"] == "system" and entry["data"]["to"] == "max@example.com"

    # Without an e-mail address the reminder is skipped and recorded, and the plan moves on.
    assert api.patch(f"/customers/{setup['customer']['id']}", {"email": None}).status == 200
    assert run_reminders(application, monkeypatch, due + datetime.timedelta(days=2, minutes=1))["skipped"] >= 1
    assert [e["data"]["reason"] for e in history(api, setup, "reminder_not_sent")] == ["no_email"]

    # A revoked (cancelled) request gets no more reminders and leaves the index.
    assert api.delete(f"/customers/{setup['customer']['id']}/links/{link['id']}").status in (200, 204)
    assert run_reminders(application, monkeypatch, due + datetime.timedelta(days=4, minutes=1))["stopped"] >= 1
    assert link_of(api, setup, link["id"])["reminders"]["next_at"] is None
    run_reminders(application, monkeypatch, due + datetime.timedelta(days=6, minutes=1))
    assert len(reminder_mails(api, "max@example.com")) == before + 1
    assert len(history(api, setup, "reminder_sent")) == len(history(api, setup, "reminder_not_sent")) == 1


def test_a_status_record_that_loses_a_race_is_read_and_recorded_again_and_gives_up_quietly(
        api, anonymous, account, monkeypatch, setup) -> None:
    """Another writer recording the link's status first (LostRaceError) makes the refresh read the link again and
    record what it holds now; one that keeps losing leaves the status to the writers that won, and the request
    that moved the item still succeeds."""
    from chalicelib.links.repository import LinkRepository
    from chalicelib.races import LostRaceError

    ids = setup["ids"]
    link = new_link(api, setup, {"areas": [ids["ausweis"]]})
    item_path = f"/p/{link['token']}/items/{ids['ausweis']}/not-applicable"
    record = LinkRepository.record_status
    losses = {"left": 1, "tried": 0}

    def losing(self, *args, **kwargs):
        losses["tried"] += 1
        if losses["left"] > 0:
            losses["left"] -= 1
            raise LostRaceError
        return record(self, *args, **kwargs)

    monkeypatch.setattr(LinkRepository, "record_status", losing)
    assert anonymous.post(item_path, {"comment": "Nur ein Pass."}).status == 200
    assert losses["tried"] == 2
    assert LinkRepository().get(account[0], link["id"]).status == "submitted"

    losses.update(left=10, tried=0)
    assert anonymous.delete(item_path).status == 200
    assert losses["tried"] == 3, "three attempts, then the refresh gives up"
    assert LinkRepository().get(account[0], link["id"]).status == "submitted", "the lost record changed nothing"
