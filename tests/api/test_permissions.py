"""What members may do (`/account/permissions`): every switch on every route it names, checked in one place
(the routes' `permission=`), shown in the OpenAPI document and in `GET /me`."""

from __future__ import annotations

from typing import Any

import pytest

from chalicelib.auth.tokens import PERMISSIONS, issue_token
from tests.support import events

#: Every route a switch names, with a body that succeeds for the ids of `world` below.
SWITCHED_ROUTES: list[tuple[str, str, str, Any]] = [
    ("customers_delete", "DELETE", "/customers/{customer}", None),
    ("customers_merge", "POST", "/customers/{customer}/merge", {"source_id": "{duplicate}"}),
    ("attributes_manage", "POST", "/attributes", {"name": "Steuer-ID", "type": "text"}),
    ("attributes_manage", "PUT", "/attributes/order", {"ids": ["{attribute}"]}),
    ("attributes_manage", "PATCH", "/attributes/{attribute}", {"name": "Personalausweis"}),
    ("attributes_manage", "DELETE", "/attributes/{attribute}", None),
    ("groups_manage", "POST", "/groups", {"name": "Neue Gruppe"}),
    ("groups_manage", "PATCH", "/groups/{group}", {"name": "Umbenannt"}),
    ("groups_manage", "DELETE", "/groups/{group}", None),
    ("exports_all", "POST", "/exports", {"format": "csv"}),
    ("files_delete", "DELETE", "/customers/{customer}/files/{file}", None),
    ("links_send", "POST", "/customers/{customer}/links", {"areas": ["general"]}),
    ("links_send", "POST", "/customers/{customer}/links/{link}/send", None),
    ("links_send", "POST", "/requests/bulk", {"template_id": "{template}", "customer_ids": ["{customer}"]}),
    ("webhooks_manage", "GET", "/webhooks", None),
    ("webhooks_manage", "POST", "/webhooks", {"url": "http://127.0.0.1:9/neu", "events": ["customer.created"]}),
    ("webhooks_manage", "GET", "/webhooks/{webhook}", None),
    ("webhooks_manage", "PATCH", "/webhooks/{webhook}", {"enabled": False}),
    ("webhooks_manage", "DELETE", "/webhooks/{webhook}", None),
    ("webhooks_manage", "POST", "/webhooks/{webhook}/test", None),
    ("webhooks_manage", "GET", "/webhooks/{webhook}/deliveries", None),
]
NAMES = {"customer": "id", "attribute": "id", "group": "id", "webhook": "id", "file": "file_id", "link": "link_id"}


def fill(template: Any, ids: dict[str, str]) -> Any:
    if isinstance(template, str):
        for name, value in ids.items():
            template = template.replace("{" + name + "}", value)
        return template
    if isinstance(template, list):
        return [fill(v, ids) for v in template]
    if isinstance(template, dict):
        return {k: fill(v, ids) for k, v in template.items()}
    return template


@pytest.fixture
def world(api, application, aws) -> dict[str, str]:
    made = {"group": api.post("/groups", {"name": "Mandanten"}).json["id"],
            "attribute": api.post("/attributes", {"name": "Ausweis", "type": "file"}).json["id"]}
    made["customer"] = api.post("/customers", {"name": "Max Muster", "email": "max@example.com"}).json["id"]
    made["duplicate"] = api.post("/customers", {"name": "Max Muster (doppelt)"}).json["id"]
    made["link"] = api.post(f"/customers/{made['customer']}/links", {"areas": ["general"]}).json["id"]
    presigned = api.post(f"/customers/{made['customer']}/files",
                         {"filename": "a.pdf", "size": 9, "content_type": "application/pdf"}).json
    events.post_upload(presigned, b"%PDF-1.7 ")
    events.drain(application, aws)
    made["file"] = presigned["file_id"]
    made["webhook"] = api.post("/webhooks", {"url": "http://127.0.0.1:9/hooks",
                                             "events": ["customer.created"]}).json["id"]
    made["template"] = api.post("/templates", {"name": "Vorlage", "items": [{"attribute_id": "general"}]}).json["id"]
    return made


def test_the_table_names_every_switched_route_of_the_openapi_document(api) -> None:
    document = api.get("/openapi.json").json
    published = {(operation["x-permission"], method.upper(), path)
                 for path, operations in document["paths"].items() for method, operation in operations.items()
                 if "x-permission" in operation}
    tested = set()
    for permission, method, path, _ in SWITCHED_ROUTES:
        for name, parameter in NAMES.items():
            path = path.replace("{" + name + "}", "{" + parameter + "}")
        tested.add((permission, method, path))
    assert published == tested
    assert {permission for permission, *_ in SWITCHED_ROUTES} == set(PERMISSIONS)


@pytest.mark.parametrize(("permission", "method", "path", "body"), SWITCHED_ROUTES,
                         ids=[f"{p}: {m} {path}" for p, m, path, _ in SWITCHED_ROUTES])
def test_a_member_may_use_a_switched_route_only_while_the_switch_is_on(
        api, account, world, permission, method, path, body) -> None:
    member = api.with_token(issue_token(account[0], "bob", "member"))
    target, payload = fill(path, world), fill(body, world)

    assert api.patch("/account/permissions", {permission: False}).json[permission] is False
    entries_before = len(api.get("/audit?limit=200").json["items"])
    refused = member.request(method, target, payload)
    assert (refused.status, refused.error_code) == (403, "permission_denied"), refused
    assert refused.json["error"]["details"] == [{"permission": permission}]
    # Nothing happened, so nothing was recorded (the permission change itself was, before).
    assert len(api.get("/audit?limit=200").json["items"]) == entries_before

    assert api.patch("/account/permissions", {permission: True}).json[permission] is True
    allowed = member.request(method, target, payload)
    assert 200 <= allowed.status < 300, allowed


def test_admins_may_everything_whatever_the_switches_say(api, world) -> None:
    assert api.patch("/account/permissions", dict.fromkeys(PERMISSIONS, False)).status == 200
    assert api.get("/me").json["permissions"] == dict.fromkeys(PERMISSIONS, True)
    assert api.delete(f"/customers/{world['customer']}").status == 202


def test_defaults_and_what_me_tells_a_member(api, account) -> None:
    defaults = api.get("/account/permissions").json
    assert defaults == {"customers_delete": False, "customers_merge": True, "attributes_manage": False,
                        "groups_manage": True, "exports_all": False, "files_delete": True, "links_send": True,
                        "webhooks_manage": False}
    member = api.with_token(issue_token(account[0], "bob", "member"))
    assert member.get("/me").json == {"account_id": account[0], "user_id": "bob", "role": "member",
                                      "permissions": defaults}
    changed = api.patch("/account/permissions", {"exports_all": True}).json
    assert changed == {**defaults, "exports_all": True}
    assert member.get("/me").json["permissions"]["exports_all"] is True
    assert (member.get("/account/permissions").status, member.patch("/account/permissions", {}).status) == (403, 403)
    assert api.patch("/account/permissions", {"exports_all": "maybe"}).status == 422
    assert api.patch("/account/permissions", {"unknown_switch": True}).status == 422
