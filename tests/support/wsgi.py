"""The Chalice app as a WSGI application, through the same local gateway the tests and the local stack use,
so WSGI tools (schemathesis) can call it in-process without a server or a port."""

from __future__ import annotations

import urllib.parse
from collections.abc import Callable, Iterable
from http import HTTPStatus
from typing import Any

from chalice.config import Config

from infra.local.gateway import ContractGateway


def wsgi_app(app: Any) -> Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]:
    gateway = ContractGateway(app, Config.create())

    def application(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        # The path as sent, still percent-encoded (PATH_INFO is decoded): what the local HTTP server and API
        # Gateway route on, so `/customers/%2F` stays one path segment.
        path = environ.get("RAW_URI") or environ.get("REQUEST_URI")
        if not path:
            path = urllib.parse.quote(environ.get("PATH_INFO") or "/")
            if environ.get("QUERY_STRING"):
                path += "?" + environ["QUERY_STRING"]
        headers = {name[5:].replace("_", "-").lower(): value for name, value in environ.items()
                   if name.startswith("HTTP_")}
        for name in ("CONTENT_TYPE", "CONTENT_LENGTH"):
            if environ.get(name):
                headers[name.replace("_", "-").lower()] = environ[name]
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        response = gateway.handle_request(method=environ["REQUEST_METHOD"], path=path, headers=headers, body=body)
        payload = response.get("body") or b""
        if isinstance(payload, str):
            payload = payload.encode()
        status = response["statusCode"]
        reply_headers = [(k, str(v)) for k, v in (response.get("headers") or {}).items()]
        for name, values in (response.get("multiValueHeaders") or {}).items():
            reply_headers += [(name, str(v)) for v in values]
        start_response(f"{status} {HTTPStatus(status).phrase}", reply_headers)
        return [payload]

    return application
