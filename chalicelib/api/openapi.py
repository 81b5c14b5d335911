"""OpenAPI 3.1 document generated from the registered operations and their pydantic models."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import JsonSchemaMode, JsonSchemaValue, models_json_schema

from chalicelib.api.errors import GATEWAY_ERRORS
from chalicelib.api.routing import FORM, Access, Operation, path_parameters
from chalicelib.api.schema import ErrorReply

_REF_TEMPLATE = "#/components/schemas/{model}"
_ERROR_TEXT = {
    400: "Malformed request",
    401: "Missing or invalid bearer token",
    403: "Role too low",
    404: "Unknown id (or another account's)",
    409: "Conflict",
    410: "Link expired",
    413: "Too large",
    415: "Unsupported type",
    422: "Invalid input",
}


#: models_json_schema's references: (model, mode) → the schema that names it.
_Refs = dict[tuple[Any, JsonSchemaMode], JsonSchemaValue]


def build_document(operations: Iterable[Operation], title: str = "Dossier API", version: str = "1.0.0"
                   ) -> dict[str, Any]:
    operations = list(operations)
    wanted: list[tuple[type[BaseModel], JsonSchemaMode]] = [(ErrorReply, "serialization")]
    for op in operations:
        if op.body is not None:
            wanted.append((op.body, "validation"))
        if op.query is not None:
            wanted.append((op.query, "validation"))
        if op.response is not None:
            wanted.append((op.response, "serialization"))
    unique = list(dict.fromkeys(wanted))
    refs, definitions = models_json_schema(unique, ref_template=_REF_TEMPLATE)
    schemas = definitions.get("$defs", {})

    paths: dict[str, dict[str, Any]] = {}
    for op in operations:
        paths.setdefault(op.path, {})[op.method.lower()] = _operation(op, refs, schemas)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": title,
            "version": version,
            "description": "Collect documents from customers and keep a clean customer register.",
        },
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}},
        },
    }


def _operation(op: Operation, refs: _Refs, schemas: dict[str, Any]) -> dict[str, Any]:
    responses = {**_success(op, refs), **_errors(op, refs)}
    document: dict[str, Any] = {
        "operationId": f"{op.method.lower()}_{_slug(op.path)}",
        "summary": op.summary,
        "tags": [op.tag],
        "parameters": _parameters(op, refs, schemas),
        "responses": responses,
    }
    if op.body is not None:
        document["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": refs[(op.body, "validation")]}},
        }
    elif FORM in op.accepts:
        # A plain HTML form's button: the route reads nothing of what it posts.
        document["requestBody"] = {"required": False, "content": {FORM: {"schema": {"type": "object"}}}}
    if op.access in (Access.STAFF, Access.ADMIN):
        document["security"] = [{"bearer": []}]
    if op.permission:
        # The switch of /account/permissions a member needs (admins always may).
        document["x-permission"] = op.permission
        document["description"] = f"Members need the permission `{op.permission}` (admins always may)."
    if op.audited:
        document["x-audited"] = True
    return document


def _parameters(op: Operation, refs: _Refs, schemas: dict[str, Any]) -> list[dict[str, Any]]:
    """The path's parameters, then the query model's fields."""
    parameters: list[dict[str, Any]] = [
        {"name": name, "in": "path", "required": True, "schema": {"type": "string", "minLength": 1}}
        for name in path_parameters(op.path)
    ]
    if op.query is not None:
        query_schema = _resolve(refs[(op.query, "validation")], schemas)
        required = set(query_schema.get("required", []))
        for name, schema in query_schema.get("properties", {}).items():
            parameters.append({"name": name, "in": "query", "required": name in required, "schema": schema})
    return parameters


def _success(op: Operation, refs: _Refs) -> dict[str, Any]:
    """The operation's one success response: its model, a page or text, no content, or some object."""
    if op.response is not None:
        content = {op.content_type: {"schema": refs[(op.response, "serialization")]}}
        return {str(op.status): {"description": "Success", "content": content}}
    if op.content_type.startswith("text/"):
        return {str(op.status): {
            "description": "HTML page" if op.content_type == "text/html" else "Text",
            "content": {op.content_type: {"schema": {"type": "string"}}},
        }}
    if op.status == 204:
        return {"204": {"description": "Done, no content"}}
    return {str(op.status): {
        "description": "Success",
        "content": {op.content_type: {"schema": {"type": "object"}}},
    }}


def _error_statuses(op: Operation) -> set[int]:
    """The statuses the operation declares, and those its input, access and path parameters imply."""
    statuses = set(op.errors)
    if op.body is not None or op.query is not None:
        statuses |= {400, 413, 422}
    if op.access in (Access.STAFF, Access.ADMIN):
        statuses |= {401}
    if op.access is Access.ADMIN or op.permission:
        statuses |= {403}
    if path_parameters(op.path):
        statuses |= {404}
    return statuses


def _errors(op: Operation, refs: _Refs) -> dict[str, Any]:
    error_ref = refs[(ErrorReply, "serialization")]
    responses: dict[str, Any] = {}
    for status in sorted(_error_statuses(op)):
        description = _ERROR_TEXT.get(status) or GATEWAY_ERRORS.get(status, ("", "Error"))[1]
        # An HTML page answers its own errors as HTML pages (the portal's 404 and 410).
        error_content = ({"text/html": {"schema": {"type": "string"}}} if op.content_type == "text/html"
                         else {"application/json": {"schema": error_ref}})
        responses[str(status)] = {"description": description, "content": error_content}
    return responses


def _resolve(ref: dict[str, Any], schemas: dict[str, Any]) -> dict[str, Any]:
    name = ref.get("$ref", "").rsplit("/", 1)[-1]
    resolved: dict[str, Any] = schemas.get(name, ref)
    return resolved


def _slug(path: str) -> str:
    parts = [p.strip("{}") for p in path.strip("/").split("/") if p]
    return "_".join(parts).replace("-", "_").replace(".", "_") or "root"
