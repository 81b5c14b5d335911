"""The request's audit entry: made pending before a state-changing staff route runs, written with its change.

The entry (actor, action = the route's operation name, target = the path with its ids, ip) is handed to the
storage layer as the request's companion write (`chalicelib.storage.dynamo.companion_write`): the first
DynamoDB write of the request carries it in the same transaction, so no change commits without its entry and
each request writes exactly one. A route that succeeds without writing to DynamoDB (a download, a queued job)
gets its entry written after it; a route that fails before writing leaves none.
"""

from __future__ import annotations

from collections.abc import Callable

from chalice import Response
from chalice.app import Request

from chalicelib.api.routing import operation_for
from chalicelib.audit import service
from chalicelib.auth.tokens import ROLES
from chalicelib.storage.dynamo import Put, companion_write


def audit_middleware(request: Request, get_response: Callable[[Request], Response]) -> Response:
    pending = _pending_entry(request)
    if pending is None:
        return get_response(request)
    token = companion_write.set(pending)
    try:
        response = get_response(request)
        unwritten = companion_write.get()
        companion_write.set(None)
        if unwritten is not None and response.status_code < 400:
            service.write_alone(unwritten)
        return response
    finally:
        companion_write.reset(token)


def _pending_entry(request: Request) -> Put | None:
    context = request.context or {}
    principal = context.get("authorizer") or {}
    if not principal.get("account_id") or principal.get("role") not in ROLES:
        return None  # public and portal routes, and an expired token (refused by the route)
    operation = operation_for(request.method, str(context.get("resourcePath") or ""))
    if operation is None or not operation.audited:
        return None
    params = request.uri_params or {}
    target = operation.path
    for name, value in params.items():
        target = target.replace("{" + name + "}", str(value))
    customer_id = params.get("id") if operation.path.startswith("/customers/{id}") else None
    ip = (context.get("identity") or {}).get("sourceIp")
    entry = service.new_entry(actor=str(principal.get("user_id")), action=operation.name, target=target, ip=ip,
                              customer_id=customer_id)
    return service.entry_action(str(principal["account_id"]), entry)
