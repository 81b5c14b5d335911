"""Custom attributes: definitions, the one validation engine (staff, portal), RE2 patterns, type changes,
option removal and deletion with everything that refers to the attribute."""

from __future__ import annotations

import pytest

from tests.support import events, jobs
from tests.support.staff import create_customer, define_attribute, error_fields, link_token
from tests.support.uploads import presign, upload

# --- definitions ---


def test_an_attribute_of_every_type_is_defined_listed_read_and_changed(api) -> None:
    made = {}
    for type_ in ("text", "multiline_text", "boolean", "number", "decimal", "date", "file"):
        made[type_] = define_attribute(api, f"Feld {type_}", type_)
    made["select"] = define_attribute(api, "Familienstand", "select", options=["ledig", "verheiratet"])
    made["request"] = define_attribute(api, "Steuerjahr", "number", scope="request", required=True, in_portal=False)

    assert made["text"]["scope"] == "customer"
    assert (made["text"]["required"], made["text"]["in_portal"], made["text"]["options"],
            made["text"]["pattern"]) == (False, True, [], None)
    assert made["select"]["options"] == ["ledig", "verheiratet"]
    assert made["request"]["scope"] == "request" and made["request"]["required"] is True
    assert made["request"]["in_portal"] is False

    listed = api.get("/attributes").json["items"]
    assert {a["id"] for a in listed} == {a["id"] for a in made.values()}
    assert [a["id"] for a in api.get("/attributes?scope=request").json["items"]] == [made["request"]["id"]]
    assert len(api.get("/attributes?scope=customer").json["items"]) == 8
    assert api.get(f"/attributes/{made['date']['id']}").json == made["date"]

    changed = api.patch(f"/attributes/{made['text']['id']}",
                        {"name": "Steuer-ID", "required": True, "pattern": "[0-9]{11}", "in_portal": False})
    assert changed.status == 200, changed
    assert (changed.json["name"], changed.json["required"], changed.json["pattern"], changed.json["in_portal"]) == (
        "Steuer-ID", True, "[0-9]{11}", False)
    assert api.get(f"/attributes/{made['text']['id']}").json == changed.json


def test_attribute_names_are_unique_per_scope(api) -> None:
    define_attribute(api, "Geburtsdatum", "date")
    reply = api.post("/attributes", {"name": "geburtsdatum", "type": "text"})
    assert (reply.status, reply.error_code) == (409, "conflict")
    define_attribute(api, "Geburtsdatum", "date", scope="request")
    other = define_attribute(api, "Geburtsort", "text")
    assert api.patch(f"/attributes/{other['id']}", {"name": "GEBURTSDATUM"}).status == 409


@pytest.mark.parametrize(
    "body,field",
    [
        ({"type": "text"}, "name"),
        ({"name": "", "type": "text"}, "name"),
        ({"name": "x" * 101, "type": "text"}, "name"),
        ({"name": "a\nb", "type": "text"}, "name"),
        ({"name": "A"}, "type"),
        ({"name": "A", "type": "color"}, "type"),
        ({"name": "A", "type": "text", "scope": "link"}, "scope"),
        ({"name": "A", "type": "text", "required": "vielleicht"}, "required"),
        ({"name": "A", "type": "select"}, "options"),
        ({"name": "A", "type": "select", "options": []}, "options"),
        ({"name": "A", "type": "select", "options": ["a", "A"]}, "options"),
        ({"name": "A", "type": "select", "options": ["ok", ""]}, "options.1"),
        ({"name": "A", "type": "select", "options": ["ok", "zwei\nZeilen"]}, "options.1"),
        ({"name": "A", "type": "select", "options": [str(n) for n in range(101)]}, "options"),
        ({"name": "A", "type": "text", "options": ["a"]}, "options"),
        ({"name": "A", "type": "number", "pattern": "[0-9]+"}, "pattern"),
        ({"name": "A", "type": "text", "pattern": "(a)\\1"}, "pattern"),
        ({"name": "A", "type": "text", "pattern": "(?=a)a"}, "pattern"),
        ({"name": "A", "type": "text", "pattern": "[unclosed"}, "pattern"),
        ({"name": "A", "type": "text", "pattern": "a" * 257}, "pattern"),
        ({"name": "A", "type": "text", "pattern": ""}, "pattern"),
        ({"name": "A", "type": "text", "id": "0" * 28}, "id"),
    ],
)
def test_invalid_definitions_are_refused_naming_the_field(api, body, field) -> None:
    reply = api.post("/attributes", body)
    assert (reply.status, reply.error_code) == (422, "validation_error"), reply
    assert field in error_fields(reply)
    assert api.get("/attributes").json["items"] == []


def test_attributes_of_another_account_are_not_found(api, make_account) -> None:
    mine = define_attribute(api, "Privat", "text")
    foreign = api.with_token(make_account()[1])
    assert foreign.get(f"/attributes/{mine['id']}").status == 404
    assert foreign.patch(f"/attributes/{mine['id']}", {"name": "Geklaut"}).status == 404
    assert foreign.delete(f"/attributes/{mine['id']}").status == 404
    reply = foreign.post("/customers", {"name": "X", "attributes": {mine["id"]: "wert"}})
    assert reply.status == 422 and f"attributes.{mine['id']}" in error_fields(reply)
    assert api.get(f"/attributes/{mine['id']}").json == mine
    for bad in ("nope", "0" * 28):
        assert api.get(f"/attributes/{bad}").status == 404


# --- values: one engine for staff and portal writes ---

BAD_VALUES = [
    ("text", {}, 5, "must be a string"),
    ("text", {}, True, "must be a string"),
    ("text", {}, ["a"], "must be a string"),
    ("text", {}, "x" * 10_001, "10000"),
    ("text", {}, "zwei\nZeilen", "single line"),
    ("text", {}, "tab\there", "single line"),
    ("text", {}, "bell\u0007", "control"),
    ("text", {}, "nul\u0000", "control"),
    ("text", {}, "next line\u0085", "control"),
    ("text", {"pattern": "[0-9]{5}"}, "1234", "format"),
    ("text", {"pattern": "[0-9]{5}"}, "12345x", "format"),
    ("multiline_text", {}, 12, "must be a string"),
    ("multiline_text", {}, "x" * 10_001, "10000"),
    ("multiline_text", {}, "escape\u001b[0m", "control"),
    ("boolean", {}, "true", "true or false"),
    ("boolean", {}, 1, "true or false"),
    ("boolean", {}, "", "true or false"),
    ("number", {}, 1.5, "whole number"),
    ("number", {}, "1.5", "whole number"),
    ("number", {}, "12a", "whole number"),
    ("number", {}, "", "whole number"),
    ("number", {}, True, "whole number"),
    ("number", {}, "1e3", "whole number"),
    ("number", {}, "\u0664\u0662", "whole number"),
    ("number", {}, 10**15, "too large"),
    ("number", {}, [1], "whole number"),
    ("decimal", {}, "12,5", "dot"),
    ("decimal", {}, "1.234,56", "dot"),
    ("decimal", {}, "1,2,3", "dot"),
    ("decimal", {}, "abc", "decimal"),
    ("decimal", {}, "", "decimal"),
    ("decimal", {}, "1.1234567", "decimal"),
    ("decimal", {}, 1e20, "decimal"),
    ("decimal", {}, "1234567890123456", "decimal"),
    ("decimal", {}, False, "decimal"),
    ("decimal", {}, {"value": 1}, "decimal"),
    ("select", {"options": ["ledig", "verheiratet"]}, "geschieden", "one of"),
    ("select", {"options": ["ledig", "verheiratet"]}, "Ledig", "one of"),
    ("select", {"options": ["ledig", "verheiratet"]}, ["ledig"], "must be a string"),
    ("date", {}, "1981-02-29", "not a calendar date"),
    ("date", {}, "2024-13-01", "not a calendar date"),
    ("date", {}, "2024-02-30", "not a calendar date"),
    ("date", {}, "01.02.2024", "YYYY-MM-DD"),
    ("date", {}, "2024-1-5", "YYYY-MM-DD"),
    ("date", {}, "2024-01-05T10:00:00", "YYYY-MM-DD"),
    ("date", {}, "2024-01-05\n", "YYYY-MM-DD"),
    ("date", {}, 20240105, "must be a string"),
    ("file", {}, "beleg.pdf", "upload area"),
]


@pytest.mark.parametrize("type_,definition,value,message", BAD_VALUES,
                         ids=[f"{t}-{i}" for i, (t, *_rest) in enumerate(BAD_VALUES)])
def test_bad_values_are_refused_on_create_and_update_naming_the_field(api, type_, definition, value,
                                                                      message) -> None:
    attribute = define_attribute(api, "Feld", type_, **definition)
    field = f"attributes.{attribute['id']}"

    reply = api.post("/customers", {"name": "Neu", "attributes": {attribute["id"]: value}})
    assert (reply.status, reply.error_code) == (422, "validation_error"), reply
    detail = next(d for d in reply.json["error"]["details"] if d["field"] == field)
    assert message in detail["message"]
    assert api.get("/customers").json["items"] == []
    assert api.get("/account").json["customers_count"] == 0

    customer = create_customer(api)
    reply = api.patch(f"/customers/{customer['id']}", {"attributes": {attribute["id"]: value}})
    assert (reply.status, reply.error_code) == (422, "validation_error"), reply
    assert field in error_fields(reply)
    assert api.get(f"/customers/{customer['id']}").json == customer


GOOD_VALUES = [
    ("text", {}, "Hauptstraße 1", "Hauptstraße 1"),
    ("text", {"pattern": "[0-9]{5}"}, "12345", "12345"),
    ("text", {"pattern": "[A-Z]{2}[0-9]{2}( ?[0-9]{4}){4}( ?[0-9]{2})?"}, "DE89 3704 0044 0532 0130 00",
     "DE89 3704 0044 0532 0130 00"),
    ("multiline_text", {}, "Zeile 1\nZeile 2\tmit Tab", "Zeile 1\nZeile 2\tmit Tab"),
    ("boolean", {}, False, False),
    ("number", {}, 42, 42),
    ("number", {}, "-7", -7),
    ("number", {}, 10**15 - 1, 10**15 - 1),
    ("decimal", {}, "12.50", 12.5),
    ("decimal", {}, 0.1, 0.1),
    ("decimal", {}, 3, 3),
    ("decimal", {}, "-1234.567891", -1234.567891),
    ("select", {"options": ["ledig", "verheiratet"]}, "verheiratet", "verheiratet"),
    ("date", {}, "2024-02-29", "2024-02-29"),
    ("date", {}, "1981-02-28", "1981-02-28"),
]


@pytest.mark.parametrize("type_,definition,value,stored", GOOD_VALUES,
                         ids=[f"{t}-{i}" for i, (t, *_rest) in enumerate(GOOD_VALUES)])
def test_good_values_are_stored_in_their_type(api, type_, definition, value, stored) -> None:
    attribute = define_attribute(api, "Feld", type_, **definition)
    customer = create_customer(api, attributes={attribute["id"]: value})
    assert customer["attributes"] == {attribute["id"]: stored}
    assert api.get(f"/customers/{customer['id']}").json["attributes"] == {attribute["id"]: stored}


def test_null_and_empty_text_clear_a_value_and_changes_are_recorded(api) -> None:
    city = define_attribute(api, "Ort", "text")
    size = define_attribute(api, "Größe", "number")
    customer = create_customer(api, attributes={city["id"]: "Köln", size["id"]: 3})
    cleared = api.patch(f"/customers/{customer['id']}", {"attributes": {city["id"]: None}}).json
    assert cleared["attributes"] == {size["id"]: 3}
    cleared = api.patch(f"/customers/{customer['id']}", {"attributes": {size["id"]: 4}}).json
    assert cleared["attributes"] == {size["id"]: 4}
    entry = api.get(f"/customers/{customer['id']}/activity").json["items"][0]
    assert entry["type"] == "attributes_changed"
    assert entry["data"]["changed"] == {size["id"]: {"from": 3, "to": 4}}
    assert api.patch(f"/customers/{customer['id']}", {"attributes": {size["id"]: "   "}}).status == 422
    assert api.get(f"/customers/{customer['id']}").json["attributes"] == {size["id"]: 4}


def test_request_attributes_are_not_kept_on_the_customer(api) -> None:
    year = define_attribute(api, "Steuerjahr", "number", scope="request")
    reply = api.post("/customers", {"name": "X", "attributes": {year["id"]: 2024}})
    assert reply.status == 422 and f"attributes.{year['id']}" in error_fields(reply)


def test_required_attributes_are_enforced_on_staff_writes(api) -> None:
    tax_id = define_attribute(api, "Steuer-ID", "text", required=True)
    # An upload area is filled by uploads, never required here.
    define_attribute(api, "Unterlagen", "file", required=True)
    define_attribute(api, "Steuerjahr", "number", scope="request", required=True)  # asked per link, not on the customer

    reply = api.post("/customers", {"name": "Ohne"})
    assert reply.status == 422 and f"attributes.{tax_id['id']}" in error_fields(reply)
    reply = api.post("/customers", {"name": "Leer", "attributes": {tax_id["id"]: " "}})
    assert reply.status == 422 and f"attributes.{tax_id['id']}" in error_fields(reply)
    assert api.get("/account").json["customers_count"] == 0

    customer = create_customer(api, attributes={tax_id["id"]: "12345678901"})
    reply = api.patch(f"/customers/{customer['id']}", {"attributes": {tax_id["id"]: None}})
    assert reply.status == 422 and f"attributes.{tax_id['id']}" in error_fields(reply)
    assert api.get(f"/customers/{customer['id']}").json == customer
    assert api.patch(f"/customers/{customer['id']}", {"status": "complete"}).status == 200


def test_a_catastrophic_pattern_cannot_stall_a_request(api) -> None:
    """`^(a+)+$` backtracks exponentially on a backtracking engine; RE2 runs it in linear time."""
    attribute = define_attribute(api, "Nur a", "text", pattern="^(a+)+$")
    evil = "a" * 9_999 + "!"
    reply = api.post("/customers", {"name": "Evil", "attributes": {attribute["id"]: evil}})
    assert reply.status == 422 and f"attributes.{attribute['id']}" in error_fields(reply)
    fine = create_customer(api, attributes={attribute["id"]: "a" * 10_000})
    assert fine["attributes"][attribute["id"]] == "a" * 10_000
    # Nested quantifiers of any depth are fine too; what RE2 cannot do is refused with a clear error.
    define_attribute(api, "Verschachtelt", "text", pattern="((a*)*b*)*c")
    reply = api.post("/attributes", {"name": "Rückbezug", "type": "text", "pattern": "^(a+)\\1$"})
    assert reply.status == 422
    assert "backreferences" in reply.json["error"]["details"][0]["message"]


def test_the_portal_validates_values_like_staff_writes(api, anonymous) -> None:
    birthday = define_attribute(api, "Geburtsdatum", "date", required=True)
    amount = define_attribute(api, "Betrag", "decimal", scope="request")
    customer = create_customer(api, attributes={birthday["id"]: "1980-01-01"})
    token = link_token(api, customer["id"], areas=[], attributes=[birthday["id"], amount["id"]])

    for body, field in (({birthday["id"]: "1981-02-29"}, f"attributes.{birthday['id']}"),
                        ({birthday["id"]: None}, f"attributes.{birthday['id']}"),
                        ({amount["id"]: "12,50"}, f"attributes.{amount['id']}"),
                        ({amount["id"]: "1.5", birthday["id"]: "gestern"}, f"attributes.{birthday['id']}")):
        reply = anonymous.put(f"/p/{token}/attributes", body)
        assert (reply.status, reply.error_code) == (422, "validation_error"), reply
        assert field in error_fields(reply)
    assert api.get(f"/customers/{customer['id']}").json["attributes"] == {birthday["id"]: "1980-01-01"}
    link = api.get(f"/customers/{customer['id']}/links").json["items"][0]
    assert link["submitted_at"] is None

    reply = anonymous.put(f"/p/{token}/attributes", {birthday["id"]: "1981-02-28", amount["id"]: "12.50"})
    assert reply.status == 200, reply
    assert api.get(f"/customers/{customer['id']}").json["attributes"] == {birthday["id"]: "1981-02-28"}


# --- changing and deleting definitions ---


def test_the_type_changes_only_while_no_value_exists(api) -> None:
    attribute = define_attribute(api, "Kinder", "text")
    changed = api.patch(f"/attributes/{attribute['id']}", {"type": "number"})
    assert changed.status == 200 and changed.json["type"] == "number"

    customer = create_customer(api, attributes={attribute["id"]: 2})
    for change in ({"type": "text"}, {"scope": "request"}, {"type": "select", "options": ["2"]}):
        reply = api.patch(f"/attributes/{attribute['id']}", change)
        assert (reply.status, reply.error_code) == (409, "conflict"), reply
    assert api.get(f"/attributes/{attribute['id']}").json == changed.json
    assert api.get(f"/customers/{customer['id']}").json["attributes"] == {attribute["id"]: 2}

    # Once the value is cleared, the type may change again.
    api.patch(f"/customers/{customer['id']}", {"attributes": {attribute["id"]: None}})
    assert api.patch(f"/attributes/{attribute['id']}", {"type": "text"}).status == 200


def test_a_request_attribute_with_values_on_links_keeps_its_type(api, anonymous) -> None:
    year = define_attribute(api, "Steuerjahr", "number", scope="request")
    customer = create_customer(api)
    token = link_token(api, customer["id"], areas=[], attributes=[year["id"]])
    assert anonymous.put(f"/p/{token}/attributes", {year["id"]: 2024}).status == 200
    reply = api.patch(f"/attributes/{year['id']}", {"type": "text"})
    assert (reply.status, reply.error_code) == (409, "conflict")


def test_an_upload_area_with_files_keeps_its_type(api, anonymous, application, aws) -> None:
    area = define_attribute(api, "Belege", "file")
    customer = create_customer(api)
    token = link_token(api, customer["id"], areas=[area["id"]])
    upload(anonymous, token, b"%PDF-1.7 Beleg", area=area["id"])
    events.drain(application, aws)
    reply = api.patch(f"/attributes/{area['id']}", {"type": "text"})
    assert (reply.status, reply.error_code) == (409, "conflict")


def test_options_in_use_cannot_be_removed(api) -> None:
    status = define_attribute(api, "Familienstand", "select", options=["ledig", "verheiratet", "verwitwet"])
    create_customer(api, attributes={status["id"]: "verheiratet"})

    reply = api.patch(f"/attributes/{status['id']}", {"options": ["ledig", "verwitwet"]})
    assert (reply.status, reply.error_code) == (409, "conflict")
    assert "verheiratet" in reply.json["error"]["message"]
    assert api.get(f"/attributes/{status['id']}").json["options"] == ["ledig", "verheiratet", "verwitwet"]

    reply = api.patch(f"/attributes/{status['id']}", {"options": ["verheiratet", "geschieden"]})
    assert reply.status == 200, reply
    assert reply.json["options"] == ["verheiratet", "geschieden"]


@pytest.mark.parametrize("change,field", [({"options": []}, "options"), ({"pattern": "x"}, "pattern"),
                                          ({"type": "colour"}, "type"), ({"name": ""}, "name"),
                                          ({"required": None}, "required"), ({"shown": True}, "shown")])
def test_invalid_changes_change_nothing(api, change, field) -> None:
    attribute = define_attribute(api, "Wahl", "select", options=["a", "b"])
    reply = api.patch(f"/attributes/{attribute['id']}", change)
    assert (reply.status, reply.error_code) == (422, "validation_error"), reply
    assert field in error_fields(reply)
    assert api.get(f"/attributes/{attribute['id']}").json == attribute


def test_deleting_an_attribute_removes_its_values_from_customers_and_links(api, anonymous, application, aws) -> None:
    doomed = define_attribute(api, "Religion", "select", options=["rk", "ev"])
    kept = define_attribute(api, "Ort", "text")
    asked = define_attribute(api, "Steuerjahr", "number", scope="request")
    customers = [create_customer(api, f"K{n}", attributes={doomed["id"]: "rk", kept["id"]: "Bonn"}) for n in range(3)]
    token = link_token(api, customers[0]["id"], areas=["general"], attributes=[doomed["id"], asked["id"]])
    assert anonymous.put(f"/p/{token}/attributes", {doomed["id"]: "ev", asked["id"]: 2023}).status == 200

    customers = [api.get(f"/customers/{c['id']}").json for c in customers]
    assert api.delete(f"/attributes/{doomed['id']}").status == 202
    assert api.get(f"/attributes/{doomed['id']}").status == 404
    jobs.drain_jobs(application, aws)
    for customer in customers:
        after = api.get(f"/customers/{customer['id']}").json
        assert after["attributes"] == {kept["id"]: "Bonn"}
        assert after["updated_at"] > customer["updated_at"]
        entry = api.get(f"/customers/{customer['id']}/activity").json["items"][0]
        assert (entry["type"], entry["actor"]) == ("attributes_changed", "staff:admin-user")
        assert entry["data"] == {"changed": {doomed["id"]: {"from": customer["attributes"][doomed["id"]], "to": None}},
                                 "reason": "attribute_deleted"}
    link = api.get(f"/customers/{customers[0]['id']}/links").json["items"][0]
    assert link["attributes"] == [asked["id"]]
    fields = anonymous.get(f"/p/{token}/context").json["attributes"]
    assert [(f["id"], f["value"]) for f in fields] == [(asked["id"], 2023)]

    # The request attribute goes from the link's values too.
    assert api.delete(f"/attributes/{asked['id']}").status == 202
    jobs.drain_jobs(application, aws)
    assert anonymous.get(f"/p/{token}/context").json["attributes"] == []
    from chalicelib.storage import keys
    from chalicelib.storage.tables import main_table

    stored = main_table().get(keys.link(api.get("/account").json["id"], link["id"]))
    assert stored["values"] == {} and stored["attributes"] == []
    assert api.delete(f"/attributes/{asked['id']}").status == 404


def test_deleting_an_upload_area_moves_its_files_to_general(api, anonymous, application, aws) -> None:
    area = define_attribute(api, "Lohnsteuerbescheinigung", "file")
    other = define_attribute(api, "Kontoauszüge", "file")
    customer = create_customer(api)
    token = link_token(api, customer["id"], areas=[area["id"], other["id"], "general"])
    in_area = [upload(anonymous, token, b"%PDF-1.7 L" + bytes([48 + n]), area=area["id"])["file_id"]
               for n in range(2)]
    in_other = upload(anonymous, token, b"%PDF-1.7 K", area=other["id"])["file_id"]
    events.drain(application, aws)
    used = api.get("/account").json["used_bytes"]

    assert api.delete(f"/attributes/{area['id']}").status == 202
    jobs.drain_jobs(application, aws)

    files = {f["id"]: f for f in api.get(f"/customers/{customer['id']}/files").json["items"]}
    assert {files[i]["area"] for i in in_area} == {"general"}
    assert files[in_other]["area"] == other["id"]
    assert api.get("/account").json["used_bytes"] == used
    after = api.get(f"/customers/{customer['id']}").json
    assert after["files_count"] == 3
    link = api.get(f"/customers/{customer['id']}/links").json["items"][0]
    assert link["areas"] == [other["id"], "general"]
    context = anonymous.get(f"/p/{token}/context").json
    general = next(a for a in context["areas"] if a["id"] == "general")
    assert sorted(f["id"] for f in general["files"]) == sorted(in_area)
    # The link no longer offers the deleted area.
    assert presign(anonymous, token, 10, area=area["id"]).status == 422
