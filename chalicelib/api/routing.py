"""Routes that parse their input with pydantic and describe themselves in OpenAPI.

A `Router` wraps a Chalice Blueprint. Each view declares its models once:

    router = Router(__name__, tag="customers")

    @router.route("/customers/{customer_id}", "PATCH", body=CustomerPatch, response=CustomerOut)
    def update_customer(principal: Principal, customer_id: str, body: CustomerPatch) -> CustomerOut:
        return service.update_customer(principal, customer_id, body)

The wrapper parses the body and query, checks the role, calls the view with the keyword arguments it
asks for (`principal`, `body`, `query`, `request`, path parameters), serialises the reply, and turns
errors into the contract's JSON. `/openapi.json` is generated from the same registrations, so the
document cannot drift from the routes.
"""

from __future__ import annotations

import enum
import functools
import json
from collections.abc import Callable
from typing import Any, NamedTuple

from chalice import Blueprint, Response
from pydantic import BaseModel
from pydantic import ValidationError as PydanticValidationError

from chalicelib import errors
from chalicelib.api import errors as http_errors
from chalicelib.api.auth import staff_authorizer
from chalicelib.auth.tokens import PERMISSIONS, Principal, TokenError
from chalicelib.observability import logger
from chalicelib.settings import get_settings


class Access(enum.Enum):
    PUBLIC = "public"
    STAFF = "staff"
    ADMIN = "admin"
    PORTAL = "portal"


class Operation(NamedTuple):
    method: str
    path: str
    summary: str
    tag: str
    access: Access
    body: type[BaseModel] | None
    query: type[BaseModel] | None
    response: type[BaseModel] | None
    status: int
    content_type: str
    errors: tuple[int, ...]
    #: The account's switch a member needs for this route (`/account/permissions`); admins always may.
    permission: str | None = None
    #: Whether each successful call writes an audit entry (every state-changing staff route, and reads that hand
    #: out a document: downloads, finished exports).
    audited: bool = False
    #: The view's name: the audit log's action.
    name: str = ""
    #: The request content types the route takes (a plain HTML form posts `application/x-www-form-urlencoded`).
    accepts: tuple[str, ...] = ("application/json",)


#: What a plain HTML form posts.
FORM = "application/x-www-form-urlencoded"

#: Every registered operation, in registration order (read by the OpenAPI generator).
OPERATIONS: list[Operation] = []

_VIEW_ARGUMENTS = {"principal", "body", "query", "request"}


class Router:
    def __init__(self, import_name: str, tag: str) -> None:
        self.blueprint = Blueprint(import_name)
        self.tag = tag

    def route(
        self,
        path: str,
        method: str,
        *,
        summary: str,
        access: Access = Access.STAFF,
        body: type[BaseModel] | None = None,
        query: type[BaseModel] | None = None,
        response: type[BaseModel] | None = None,
        status: int = 200,
        content_type: str = "application/json",
        errors: tuple[int, ...] = (),
        permission: str | None = None,
        audit: bool | None = None,
        accepts: tuple[str, ...] = ("application/json",),
    ) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        if permission is not None and permission not in PERMISSIONS:
            raise ValueError(f"unknown permission {permission!r}")
        staff = access in (Access.STAFF, Access.ADMIN)

        def decorator(view: Callable[..., Any]) -> Callable[..., Any]:
            wanted = _parameter_names(view)
            unknown = wanted - _VIEW_ARGUMENTS - set(path_parameters(path))
            if unknown:
                raise TypeError(f"{view.__name__} asks for unknown arguments {sorted(unknown)}")
            named = Operation(
                method=method.upper(),
                path=path,
                summary=summary,
                tag=self.tag,
                access=access,
                body=body,
                query=query,
                response=response,
                status=status,
                content_type=content_type,
                errors=errors,
                permission=permission,
                audited=staff and (method.upper() != "GET" if audit is None else audit),
                name=view.__name__,
                accepts=accepts,
            )

            def handler(**path_params: str) -> Response:
                return _dispatch(self.blueprint, named, view, wanted, path_params)

            handler.__name__ = view.__name__
            handler.__doc__ = view.__doc__
            self.blueprint.route(
                path,
                methods=[named.method],
                authorizer=staff_authorizer if staff else None,
                content_types=list(accepts),
            )(handler)
            OPERATIONS.append(named)
            return view

        return decorator


def operation_for(method: str, path: str) -> Operation | None:
    """The registered operation of a route (`path` as declared, e.g. `/customers/{id}`)."""
    return _operations_by_route(len(OPERATIONS)).get((method.upper(), path))


@functools.lru_cache(maxsize=1)
def _operations_by_route(count: int) -> dict[tuple[str, str], Operation]:
    # Keyed by how many are registered: a route registered later (a test's) is found too.
    return {(op.method, op.path): op for op in OPERATIONS[:count]}


def _parameter_names(view: Callable[..., Any]) -> set[str]:
    """The names a view takes, read from its code (`inspect.signature` would build a Signature per route at import;
    views are plain functions)."""
    code = view.__code__
    return set(code.co_varnames[: code.co_argcount + code.co_kwonlyargcount])


def path_parameters(path: str) -> list[str]:
    return [part[1:-1] for part in path.split("/") if part.startswith("{") and part.endswith("}")]


def _principal(request: Any) -> Principal:
    context = (request.context or {}).get("authorizer") or {}
    if context.get("token_expired"):
        raise errors.UnauthorizedError("The bearer token has expired; sign in again.")
    try:
        return Principal.from_context(context)
    except (TokenError, KeyError) as exc:
        # The authorizer always sets these; reaching here means the route was called around it.
        raise errors.UnauthorizedError("A valid bearer token is required.") from exc


def _parse_body(operation: Operation, request: Any) -> BaseModel | None:
    raw = request.raw_body or b""
    if len(raw) > get_settings().max_body_bytes:
        raise errors.PayloadTooLargeError(
            f"The request body has {len(raw)} bytes; at most {get_settings().max_body_bytes} are accepted."
        )
    if operation.body is None:
        return None
    return operation.body.model_validate_json(raw.strip() or b"{}")


def _parse_query(operation: Operation, request: Any) -> BaseModel | None:
    if operation.query is None:
        return None
    params = request.query_params or {}
    return operation.query.model_validate({name: params[name] for name in params})


def _authorized(operation: Operation, request: Any) -> Principal:
    """The caller of a staff route, if their role and the account's permissions allow the operation."""
    principal = _principal(request)
    logger.thread_safe_append_keys(account_id=principal.account_id, user_id=principal.user_id)
    if operation.access is Access.ADMIN and not principal.is_admin:
        raise errors.ForbiddenError("This action needs the admin role.")
    if operation.permission and not principal.may(operation.permission):
        raise errors.PermissionDeniedError(
            f"An admin has not allowed members to do this ({operation.permission}).",
            [{"permission": operation.permission}])
    return principal


def _dispatch(
    blueprint: Blueprint,
    operation: Operation,
    view: Callable[..., Any],
    wanted: set[str],
    path_params: dict[str, str],
) -> Response:
    request = blueprint.current_request
    try:
        arguments: dict[str, Any] = {name: value for name, value in path_params.items() if name in wanted}
        if operation.access in (Access.STAFF, Access.ADMIN):
            principal = _authorized(operation, request)
            if "principal" in wanted:
                arguments["principal"] = principal
        try:
            body = _parse_body(operation, request)
            query = _parse_query(operation, request)
        except PydanticValidationError as exc:
            return http_errors.input_error_response(exc)
        if "body" in wanted:
            arguments["body"] = body
        if "query" in wanted:
            arguments["query"] = query
        if "request" in wanted:
            arguments["request"] = request
        result = view(**arguments)
    except errors.DossierError as exc:
        logger.info("request refused", extra={"code": exc.code, "error_message": exc.message})
        return http_errors.domain_error_response(exc)
    except Exception:
        request_id = getattr(blueprint.lambda_context, "aws_request_id", None)
        logger.exception("unhandled error", extra={"route": f"{operation.method} {operation.path}"})
        return http_errors.gateway_error_response(500, request_id=request_id)
    return _reply(operation, result)


def _reply(operation: Operation, result: Any) -> Response:
    if isinstance(result, Response):
        return result
    if result is None:
        return Response(body="", status_code=operation.status)
    if isinstance(result, BaseModel):
        payload = result.model_dump_json()
    else:
        payload = json.dumps(result)
    return Response(body=payload, status_code=operation.status, headers=dict(http_errors.JSON_HEADERS))
