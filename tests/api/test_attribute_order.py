"""Attribute order: `position` on every attribute, `PUT /attributes/order`, and every list (staff, portal,
export columns) following it."""

from __future__ import annotations

from tests.support.staff import define_attribute


def listed_names(api, path: str = "/attributes") -> list[str]:
    return [a["name"] for a in api.get(path).json["items"]]


def test_new_attributes_are_placed_last_and_a_reorder_moves_every_list(api) -> None:
    first, second = define_attribute(api, "Steuer-ID"), define_attribute(api, "Belege", "file")
    third = define_attribute(api, "Geburtstag", "date")
    assert [first["position"], second["position"], third["position"]] == [0, 1, 2]
    assert listed_names(api) == ["Steuer-ID", "Belege", "Geburtstag"]

    reply = api.put("/attributes/order", {"ids": [third["id"], first["id"], second["id"]]})

    assert reply.status == 200, reply
    assert [(a["name"], a["position"]) for a in reply.json["items"]] == [
        ("Geburtstag", 0), ("Steuer-ID", 1), ("Belege", 2)]
    assert listed_names(api) == ["Geburtstag", "Steuer-ID", "Belege"]
    assert api.get(f"/attributes/{first['id']}").json["position"] == 1
    assert define_attribute(api, "Notfallkontakt")["position"] == 3


def test_attributes_not_named_follow_in_their_current_order(api) -> None:
    made = [define_attribute(api, name) for name in ("A", "B", "C", "D")]

    reply = api.put("/attributes/order", {"ids": [made[3]["id"], made[1]["id"]]})

    assert reply.status == 200, reply
    assert listed_names(api) == ["D", "B", "A", "C"]


def test_the_portal_shows_areas_and_fields_in_the_attribute_order(api) -> None:
    tax_id, receipts = define_attribute(api, "Steuer-ID"), define_attribute(api, "Belege", "file")
    payslips = define_attribute(api, "Lohn", "file")
    birthday = define_attribute(api, "Geburtstag", "date")
    customer = api.post("/customers", {"name": "Erika Mustermann"}).json
    link = api.post(f"/customers/{customer['id']}/links",
                    {"areas": [receipts["id"], payslips["id"]], "attributes": [tax_id["id"], birthday["id"]]}).json
    token = link["url"].rsplit("/p/", 1)[1]
    api.put("/attributes/order", {"ids": [birthday["id"], payslips["id"], receipts["id"], tax_id["id"]]})

    context = api.with_token(None).get(f"/p/{token}/context").json

    assert [a["name"] for a in context["areas"]] == ["Lohn", "Belege"]
    assert [a["name"] for a in context["attributes"]] == ["Geburtstag", "Steuer-ID"]


def test_a_bad_order_is_refused_naming_the_entry_and_changes_nothing(api, make_account, application) -> None:
    from chalicelib.auth.tokens import issue_token

    mine = [define_attribute(api, name) for name in ("A", "B")]
    other_account, _ = make_account()
    other = api.with_token(issue_token(other_account, "admin-user", "admin"))
    foreign = define_attribute(other, "Fremd")

    for body, field in (
        ({"ids": [mine[1]["id"], foreign["id"]]}, "ids.1"),
        ({"ids": [mine[1]["id"], "not-an-id"]}, "ids.1"),
        ({"ids": [mine[1]["id"], mine[1]["id"]]}, "ids"),
    ):
        reply = api.put("/attributes/order", body)
        assert (reply.status, reply.error_code) == (422, "validation_error"), (body, reply)
        assert [d["field"] for d in reply.json["error"]["details"]] == [field]
    assert api.put("/attributes/order", {"ids": "A"}).status in (400, 422)
    assert listed_names(api) == ["A", "B"]
    assert listed_names(other) == ["Fremd"]
