"""One builder writes every UpdateExpression with changing clauses: placeholders for names and values, SET
and REMOVE (and ADD) joined, a condition's placeholders merged in."""

from __future__ import annotations

import pytest

from chalicelib.storage.dynamo import Table
from chalicelib.storage.tables import main_table
from chalicelib.storage.updates import UpdateExpression


def test_fields_with_a_value_are_set_and_none_or_an_empty_set_removed() -> None:
    update = UpdateExpression().set_or_remove({"name": "Ada", "email": None, "tags": set(), "size": 3})
    assert update.expression == "SET #u0 = :u0, #u3 = :u1 REMOVE #u1, #u2"
    assert update.names == {"#u0": "name", "#u1": "email", "#u2": "tags", "#u3": "size"}
    assert update.values == {":u0": "Ada", ":u1": 3}


def test_set_all_stores_none_as_null() -> None:
    update = UpdateExpression().set_all({"review": "pending", "review_comment": None})
    assert update.expression == "SET #u0 = :u0, #u1 = :u1"
    assert update.values == {":u0": "pending", ":u1": None}


def test_clauses_come_in_one_order_and_a_name_keeps_its_placeholder() -> None:
    update = UpdateExpression().add("count", 1).remove("gsi2pk").set("status", "done")
    update.set("expires", 5, if_not_exists=True)
    assert update.expression == "SET #u2 = :u1, #u3 = if_not_exists(#u3, :u2) REMOVE #u1 ADD #u0 :u0"
    assert update.name("status") == "#u2"
    assert update.name(("items", "status", "mark")) == "#u4.#u2.#u5"


def test_nothing_to_change_and_a_placeholder_meaning_two_things_are_refused() -> None:
    with pytest.raises(ValueError, match="change something"):
        _ = UpdateExpression().expression
    update = UpdateExpression().set("status", "done")
    with pytest.raises(ValueError, match="two things"):
        update.action({"pk": "p", "sk": "s"}, condition=":u0 = x", values={":u0": "other"})


def test_the_condition_brings_its_own_placeholders() -> None:
    update = UpdateExpression().set("status", "done")
    action = update.action({"pk": "p", "sk": "s"}, condition=f"{update.name('status')} = :seen",
                           names={"#closing": "closing"}, values={":seen": "running"})
    assert action.expression == "SET #u0 = :u0"
    assert action.names == {"#u0": "status", "#closing": "closing"}
    assert action.values == {":u0": "done", ":seen": "running"}
    assert action.condition == "#u0 = :seen"


def test_a_built_update_is_what_dynamodb_stores(aws) -> None:
    # Given an item with fields to keep, drop and count
    table = Table(main_table().name)
    key = {"pk": "t-updates#1", "sk": "x"}
    table.put({**key, "name": "old", "email": "a@example.com", "count": 1, "items": {"i1": {"mark": "na"}}})
    # When one update sets, removes, adds and sets into a map
    update = UpdateExpression().set_or_remove({"name": "new", "email": None}).add("count", 2)
    update.set(("items", "i1", "mark"), "done").set("expires", 9, if_not_exists=True)
    item = table.apply(update.action(key, condition="attribute_exists(pk)"))
    # Then DynamoDB holds exactly that
    assert {k: v for k, v in item.items() if k not in key} == {
        "name": "new", "count": 3, "items": {"i1": {"mark": "done"}}, "expires": 9}
