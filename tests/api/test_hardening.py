"""Hardening of the staff API: answers that tell the truth (resend, active links, every invalid field, an
expired token), required fields that do not lock unrelated changes, values that fit DynamoDB's item limit,
and the headers every answer carries."""

from __future__ import annotations

import datetime
import json
import time

import boto3

from chalicelib.auth.tokens import issue_token
from chalicelib.storage import keys


def _customer(api, **fields) -> dict:
    reply = api.post("/customers", {"name": "Erika Muster", "email": "erika@example.com", **fields})
    assert reply.status == 201, reply
    return reply.json


def _attribute(api, name: str, kind: str = "text", **fields) -> str:
    reply = api.post("/attributes", {"name": name, "type": kind, **fields})
    assert reply.status == 201, reply
    return reply.json["id"]


# --- links: what a resend and a customer answer -----------------------------------------------------------

def test_resending_a_link_answers_when_it_was_sent_now(api) -> None:
    customer = _customer(api)
    first = api.post(f"/customers/{customer['id']}/links", {"send_email": True}).json
    time.sleep(0.01)
    resent = api.post(f"/customers/{customer['id']}/links/{first['id']}/send")
    assert resent.status == 200, resent
    listed = api.get(f"/customers/{customer['id']}/links").json["items"][0]
    assert resent.json["last_sent_at"] == listed["last_sent_at"]
    assert resent.json["last_sent_at"] > first["last_sent_at"]
    assert resent.json["sent_count"] == 2


def test_active_links_count_leaves_out_revoked_and_expired_links(api, aws, monkeypatch) -> None:
    customer = _customer(api)
    path = f"/customers/{customer['id']}/links"
    short = api.post(path, {"expires_in_days": 1}).json
    revoked = api.post(path, {}).json
    api.post(path, {})
    assert api.delete(f"{path}/{revoked['id']}").status == 204
    shown = api.get(f"/customers/{customer['id']}").json
    assert (shown["links_count"], shown["active_links_count"]) == (2, 2)
    # A minute after the one-day link's expiry.
    from chalicelib import clock

    later = clock.iso(clock.parse(short["expires_at"]) + datetime.timedelta(minutes=1))
    monkeypatch.setattr(clock, "now_iso", lambda: later)
    shown = api.get(f"/customers/{customer['id']}").json
    assert (shown["links_count"], shown["active_links_count"]) == (2, 1)
    listed = api.get("/customers").json["items"][0]
    assert listed["active_links_count"] == 1


# --- every invalid value at its field ---------------------------------------------------------------------

def test_four_invalid_attribute_values_are_all_reported_each_at_its_field(api) -> None:
    number = _attribute(api, "Anzahl", "number")
    day = _attribute(api, "Stichtag", "date")
    choice = _attribute(api, "Art", "select", options=["a", "b"])
    flag = _attribute(api, "Aktiv", "boolean")
    customer = _customer(api)
    bad = {number: "viele", day: "gestern", choice: "c", flag: "ja"}
    for reply in (api.patch(f"/customers/{customer['id']}", {"attributes": bad}),
                  api.post("/customers", {"name": "Neu", "attributes": bad})):
        assert (reply.status, reply.error_code) == (422, "validation_error")
        fields = sorted(d["field"] for d in reply.json["error"]["details"])
        assert fields == sorted(f"attributes.{a}" for a in bad), reply.json
    assert api.get(f"/customers/{customer['id']}").json["attributes"] == {}


# --- an expired token says so -----------------------------------------------------------------------------

def test_an_expired_token_gets_401_saying_it_expired_with_www_authenticate(anonymous, account) -> None:
    expired = issue_token(account[0], "u1", "admin", ttl_seconds=-60)
    for reply in (anonymous.with_token(expired).get("/account"),
                  anonymous.with_token(expired).post("/customers", {"name": "Anna"})):
        assert (reply.status, reply.error_code) == (401, "unauthorized"), reply
        assert "expired" in reply.json["error"]["message"]
        challenge = reply.headers["WWW-Authenticate"]
        assert challenge.startswith('Bearer error="invalid_token", error_description="') and "expired" in challenge
    garbage = anonymous.with_token("not-a-token").get("/account")
    assert (garbage.status, garbage.error_code) == (401, "unauthorized")
    assert "expired" not in garbage.body.decode()


def test_an_expired_token_with_a_foreign_signature_is_garbage(anonymous, account) -> None:
    import jwt

    now = int(time.time())
    forged = jwt.encode({"iss": "dossier-local", "aud": "dossier", "sub": "u", "account": account[0],
                         "role": "admin", "iat": now - 7200, "exp": now - 3600}, "another-key" * 4, algorithm="HS256")
    reply = anonymous.with_token(forged).get("/account")
    assert reply.status == 401 and "expired" not in reply.body.decode()


def test_the_staff_authorizer_caches_for_at_most_a_minute(application) -> None:
    handlers = application.app.builtin_auth_handlers
    assert handlers and all(0 < handler.ttl_seconds <= 60 for handler in handlers)


# --- HSTS -------------------------------------------------------------------------------------------------

def test_every_answer_asks_browsers_for_https_only(api, anonymous) -> None:
    for reply in (api.get("/account"), api.get("/customers/nope"), anonymous.get("/account"),
                  anonymous.get("/p/nope"), api.request("TRACE", "/customers")):
        assert reply.headers.get("Strict-Transport-Security", "").startswith("max-age="), reply


# --- required fields where they are created or changed ----------------------------------------------------

def test_a_new_required_field_does_not_lock_unrelated_changes(api) -> None:
    customer = _customer(api)
    tax_id = _attribute(api, "Steuer-ID", required=True)
    shown = api.get(f"/customers/{customer['id']}").json
    assert shown["missing_fields"] == [tax_id]
    for change in ({"status": "partial"}, {"notes": "Rückruf"}, {"groups": []}, {"name": "Erika Musterfrau"}):
        reply = api.patch(f"/customers/{customer['id']}", change)
        assert reply.status == 200, (change, reply)
        assert reply.json["missing_fields"] == [tax_id]
    # Where the field is changed it is enforced: it cannot be cleared, and a new customer needs it.
    cleared = api.patch(f"/customers/{customer['id']}", {"attributes": {tax_id: None}})
    assert cleared.status == 422 and cleared.json["error"]["details"][0]["field"] == f"attributes.{tax_id}"
    assert api.post("/customers", {"name": "Neu"}).status == 422
    filled = api.patch(f"/customers/{customer['id']}", {"attributes": {tax_id: "12 345 678 901"}})
    assert filled.status == 200 and filled.json["missing_fields"] == []
    assert api.patch(f"/customers/{customer['id']}", {"attributes": {tax_id: ""}}).status == 422
    listed = api.get("/customers").json["items"]
    assert [c["missing_fields"] for c in listed] == [[]]


# --- DynamoDB's item limit --------------------------------------------------------------------------------

def test_long_texts_changed_at_once_are_stored_and_their_history_summarised(api) -> None:
    long_texts = [_attribute(api, f"Text {n}", "multiline_text") for n in range(14)]
    customer = _customer(api)
    first = api.patch(f"/customers/{customer['id']}", {"attributes": {a: "a" * 10_000 for a in long_texts}})
    assert first.status == 200, first
    second = api.patch(f"/customers/{customer['id']}", {"attributes": {a: "b" * 10_000 for a in long_texts}})
    assert second.status == 200, second
    assert second.json["attributes"][long_texts[0]] == "b" * 10_000
    history = api.get(f"/customers/{customer['id']}/activity").json["items"]
    changed = [e for e in history if e["type"] == "attributes_changed"][0]["data"]["changed"]
    assert set(changed) == set(long_texts)
    one = changed[long_texts[0]]
    assert one["to"].startswith("bbb") and len(one["to"]) < 1_000 and one["truncated"] is True


def test_24_long_texts_of_10000_characters_changed_once_are_a_clear_422_not_internal(api) -> None:
    long_texts = [_attribute(api, f"Text {n}", "multiline_text") for n in range(24)]
    customer = _customer(api)
    half = {a: "a" * 10_000 for a in long_texts[:12]}
    assert api.patch(f"/customers/{customer['id']}", {"attributes": half}).status == 200
    reply = api.patch(f"/customers/{customer['id']}", {"attributes": {a: "b" * 10_000 for a in long_texts}})
    assert (reply.status, reply.error_code) == (422, "validation_error"), reply
    assert reply.json["error"]["details"][0]["field"] == "attributes"
    assert "at most 163,840 bytes" in reply.json["error"]["message"]
    assert api.get(f"/customers/{customer['id']}").json["attributes"] == half


def test_values_too_large_for_one_customer_are_refused_before_anything_is_written(api, aws) -> None:
    long_texts = [_attribute(api, f"Text {n}", "multiline_text") for n in range(24)]
    customer = _customer(api)
    # 3 bytes a character, sent unescaped: each request is within the body limit, together they are not.
    def patch(attributes: list[str]):
        body = json.dumps({"attributes": {a: "€" * 10_000 for a in attributes}}, ensure_ascii=False).encode()
        return api.request("PATCH", f"/customers/{customer['id']}", raw=body)

    assert patch(long_texts[:4]).status == 200
    customer = api.get(f"/customers/{customer['id']}").json
    new = json.dumps({"name": "Groß", "attributes": {a: "€" * 10_000 for a in long_texts[:6]}}, ensure_ascii=False)
    for reply in (patch(long_texts[4:8]), api.request("POST", "/customers", raw=new.encode())):
        assert (reply.status, reply.error_code) == (422, "validation_error"), reply
        assert reply.json["error"]["details"][0]["field"] == "attributes"
        assert "bytes" in reply.json["error"]["message"]
    account_id = api.get("/account").json["id"]
    item = boto3.client("dynamodb").get_item(TableName=aws.outputs["TableName"],
                                             Key={k: {"S": v} for k, v in keys.customer(account_id,
                                                                                        customer["id"]).items()})
    assert item["Item"]["updated_at"]["S"] == customer["updated_at"]
    assert [c["name"] for c in api.get("/customers").json["items"]] == ["Erika Muster"]


def test_a_merge_whose_values_would_not_fit_is_refused_before_either_side_changes(api) -> None:
    long_texts = [_attribute(api, f"Text {n}", "multiline_text") for n in range(20)]
    target = _customer(api)
    source = _customer(api, name="Erika Doppelt")
    # 100 KB each fits; the union, 200 KB, does not.
    for customer, texts, letter in ((target, long_texts[:10], "a"), (source, long_texts[10:], "b")):
        values = {a: letter * 10_000 for a in texts}
        assert api.patch(f"/customers/{customer['id']}", {"attributes": values}).status == 200
    reply = api.post(f"/customers/{target['id']}/merge", {"source_id": source["id"]})
    assert (reply.status, reply.error_code) == (422, "validation_error"), reply
    assert reply.json["error"]["details"][0]["field"] == "attributes"
    assert api.get(f"/customers/{source['id']}").status == 200
    assert api.patch(f"/customers/{target['id']}", {"notes": "still changeable"}).status == 200
