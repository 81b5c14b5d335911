"""Chalice's local API Gateway, answering its own errors in the contract's JSON shape.

On AWS, API Gateway's "gateway responses" (installed by `make package`) turn a missing route, a missing
or refused token and a denied policy into the same bodies; here the local gateway does it, so the local
stack and the tests see what AWS clients see.
"""

from __future__ import annotations

import json
from typing import Any

from chalice.app import Chalice
from chalice.app import UnauthorizedError as ChaliceUnauthorizedError
from chalice.config import Config
from chalice.local import (
    ChaliceRequestHandler,
    LocalDevServer,
    LocalGateway,
    LocalGatewayException,
)

from chalicelib.api.errors import GATEWAY_ERRORS, error_body
from chalicelib.api.middleware import COMMON_HEADERS


def _contract_response(status: int, request_id: str | None = None) -> dict[str, Any]:
    code, message = GATEWAY_ERRORS[status]
    body = error_body(code, message, request_id=request_id) if request_id else error_body(code, message)
    return {
        "statusCode": status,
        "headers": {"Content-Type": "application/json", "X-Content-Type-Options": "nosniff",
                    # What API Gateway's gateway responses send too (infra/package.py).
                    "Strict-Transport-Security": COMMON_HEADERS["Strict-Transport-Security"]},
        "multiValueHeaders": {},
        "body": json.dumps(body),
    }


class ContractGateway(LocalGateway):
    def handle_request(self, method: str, path: str, headers: dict[str, Any], body: bytes | None) -> dict[str, Any]:
        try:
            return super().handle_request(method=method, path=path, headers=headers, body=body)
        except ChaliceUnauthorizedError:
            # The authorizer refused the token (API Gateway: UNAUTHORIZED).
            return _contract_response(401)
        except LocalGatewayException as exc:
            error_type = (exc.headers or {}).get("x-amzn-ErrorType", "")
            if exc.CODE == 403 and error_type == "UnauthorizedException":
                # No route matched (API Gateway: MISSING_AUTHENTICATION_TOKEN, answered as 404).
                return _contract_response(404)
            return _contract_response(exc.CODE if exc.CODE in GATEWAY_ERRORS else 500)


class ContractRequestHandler(ChaliceRequestHandler):
    def __init__(self, request: bytes, client_address: Any, server: Any, app_object: Chalice, config: Config) -> None:
        self.local_gateway = ContractGateway(app_object, config)
        super(ChaliceRequestHandler, self).__init__(request, client_address, server)

    def __getattr__(self, name: str) -> Any:
        # http.server answers a method without a `do_<METHOD>` handler (TRACE, CONNECT, PROPFIND, ...) with its
        # own 501 HTML page; the gateway answers every method, unrouted ones with the contract's 405.
        if name.startswith("do_"):
            return self._generic_handle
        raise AttributeError(name)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the stdlib's name
        """Access lines go through the app's structured log instead."""


def make_server(app: Chalice, host: str, port: int) -> LocalDevServer:
    return LocalDevServer(app, Config.create(), host, port, handler_cls=ContractRequestHandler)
