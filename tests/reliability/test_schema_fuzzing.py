"""Fuzzing against the published schema: schemathesis generates requests for every operation of
`/openapi.json` and calls the app in-process (tests/support/wsgi.py), moto behind it.

Every response must be no 5xx, carry a status code, content type, headers and body the document declares,
and the app must not answer a method it does not route. Staff requests carry an admin token; half of the
generated cases (deletes aside) have their path ids replaced by real ones (a customer with a stored file, a
link, an upload area, a group, an export, a registration link, a webhook), so the fuzzed bodies and queries
reach the code behind the 404s too.
"""

from __future__ import annotations

import itertools
import zlib
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    allow_header_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
    unsupported_method,
)

import app as application_module
from chalicelib.activity.models import staff_actor
from chalicelib.auth.tokens import Principal
from tests.support import events
from tests.support.portal import fresh_sign_in_token
from tests.support.world import one_of_each
from tests.support.wsgi import wsgi_app

#: Per operation; about 45 operations, so this bounds the test to a couple of thousand requests.
EXAMPLES = 20
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance,
          response_headers_conformance, unsupported_method, allow_header_conformance]

#: Under pytest-xdist the module runs on one worker (`--dist loadfile`), every operation's test with its own id
#: (tests/conftest.py gives them one and refuses tests that share an id).

schema = schemathesis.openapi.from_wsgi("/openapi.json", wsgi_app(application_module.app))


@pytest.fixture(scope="module")
def world(aws: Any, application: Any) -> dict[str, Any]:
    """A `team` account (no customer limit) with one of everything, and its admin token."""
    from chalicelib.accounts.service import create_account
    from chalicelib.auth.tokens import issue_token
    from tests.conftest import new_account_id
    from tests.support.api import ApiClient

    events.take_messages(aws)
    account_id = new_account_id("fuzz")
    create_account(account_id, name="Fuzz", plan="team")
    token = issue_token(account_id, "fuzzer", "admin")
    api = ApiClient(application.app, token=token)
    real = one_of_each(api, application, aws, customer_name="Fritz Fuzz")
    real["template"] = api.post("/templates", {"name": "Vorlage", "items": [{"attribute_id": "general"}]}).json["id"]
    return {"token": token, "real": real, "account_id": account_id,
            "principal": Principal(account_id=account_id, user_id="fuzzer", role="admin")}


_SIGN_IN_NUMBERS = itertools.count(1)
#: The fuzzing admin, as the activity log names the author of the set-up writes.
STAFF = staff_actor("fuzzer")


def _portal_open(world: dict[str, Any]) -> None:
    """The portal on for the account and the customer, as fuzzed requests may have switched either off. Through
    the services, and only when it is off: the same state as an admin's PATCH, without two HTTP round trips and
    writes of unchanged settings before every portal case."""
    from chalicelib.accounts.service import find_account, update_settings
    from chalicelib.customers.models import CustomerChanges
    from chalicelib.customers.service import get_customer, update_customer

    account = find_account(world["account_id"])
    assert account is not None
    if not account.portal.enabled:
        update_settings(world["principal"], {"portal": {"enabled": True}})
    customer_id = world["real"]["customer"]
    if not get_customer(world["account_id"], customer_id).portal_enabled:
        update_customer(world["account_id"], STAFF, customer_id, CustomerChanges(portal_enabled=True))


def real_path_parameters(path: str, world: dict[str, Any]) -> dict[str, str]:
    """Real values for the path's parameters. Tokens are fresh each time: fuzzed requests resend links (a new
    secret), switch the portal off and close the registration link. Made through the services (what the admin's
    API calls would do), so each case costs one request, not three to five."""
    from chalicelib.customer_portal.service import create_access_link
    from chalicelib.customers.models import CustomerChanges
    from chalicelib.customers.service import update_customer
    from chalicelib.intake.service import open_intake
    from chalicelib.links.models import NewLink
    from chalicelib.links.service import create_link

    real = world["real"]
    if path.startswith("/p/"):
        account_id = world["account_id"]
        _portal_open(world)
        _, url = create_link(account_id, STAFF, real["customer"], NewLink(areas=["general"]))
        return {"token": url.rsplit("/p/", 1)[1]}
    if path.startswith("/c/"):
        # The permanent portal: the account's own id; a token from a fresh permanent access link (its API answers
        # 401 without the session cookie, which generated cases never carry).
        account_id = world["account_id"]
        _portal_open(world)
        portal = {"account_id": account_id, "file_id": real["file"], "link_id": real["link"], "item_id": "general"}
        if "/signin/{token}" in path:
            # A one-time sign-in link: its page for GET, a sign-in (once) for POST.
            # (A number of its own each time: texts are rate-limited per number.)
            phone = f"+49170{next(_SIGN_IN_NUMBERS):07d}"
            update_customer(account_id, STAFF, real["customer"], CustomerChanges(phone=phone))
            portal["token"] = fresh_sign_in_token(account_id, phone)
        elif "{token}" in path:
            portal["token"] = create_access_link(account_id, STAFF, real["customer"])[0].rsplit("/", 1)[1]
        return {name: value for name, value in portal.items() if "{" + name + "}" in path}
    if path.startswith("/intake/"):
        return {"token": open_intake(world["principal"])[0].rsplit("/intake/", 1)[1]}
    first = {"attributes": "attribute", "groups": "group", "customers": "customer", "exports": "export",
             "webhooks": "webhook", "templates": "template", "jobs": "job", "users": "user"}
    found = {}
    if "{id}" in path:
        found["id"] = real[first[path.strip("/").split("/")[0]]]
    if "{file_id}" in path:
        found["file_id"] = real["file"]
    if "{link_id}" in path:
        found["link_id"] = real["link"]
    if "{item_id}" in path:
        found["item_id"] = "general"
    if "{approval_id}" in path:
        found["approval_id"] = real["approval"]
    if "{attribute_id}" in path:
        found["attribute_id"] = real["signature"]
    return found


@schema.parametrize()
# No example database: CI starts from a fresh clone, so it would only cost disk reads and writes per test.
@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), database=None)
def test_no_server_errors_and_every_response_as_published(case, world) -> None:
    # Deletes keep their generated ids: the real ones must survive for the cases that follow.
    if (case.path_parameters and case.method != "DELETE"
            and zlib.crc32(repr(sorted(case.path_parameters.items())).encode()) % 2):
        case.path_parameters = {**case.path_parameters, **real_path_parameters(case.path, world)}
    case.call_and_validate(headers={"Authorization": f"Bearer {world['token']}"}, checks=CHECKS)


#: Methods no route declares, the standard ones schemathesis' coverage phase sends and ones HTTP servers
#: often know nothing of.
UNROUTED_METHODS = ("TRACE", "CONNECT", "PROPFIND", "QUERY", "FOO")


def test_every_unrouted_method_over_http_answers_405_in_the_contract_shape(world, application) -> None:
    """Over the local stack's HTTP server (not only in-process): a method without a route is 405 JSON, never
    http.server's 501 HTML page."""
    import http.client
    import json
    import threading

    from infra.local.gateway import make_server

    server = make_server(application.app, "127.0.0.1", 0)
    thread = threading.Thread(target=server.server.serve_forever, daemon=True)
    thread.start()
    try:
        port = server.server.server_address[1]
        paths = sorted({path.replace("{", "").replace("}", "") for path in schema.raw_schema["paths"]})
        for path in paths:
            for method in UNROUTED_METHODS:
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
                connection.request(method, path, headers={"Authorization": f"Bearer {world['token']}"})
                reply = connection.getresponse()
                body = reply.read()
                connection.close()
                assert reply.status == 405, (method, path, reply.status, body[:200])
                assert reply.getheader("Content-Type") == "application/json", (method, path)
                assert json.loads(body)["error"]["code"] == "method_not_allowed", (method, path)
    finally:
        server.server.shutdown()
        server.server.server_close()
