"""Chalice's local API Gateway, answering its own errors in the contract's JSON shape.

On AWS, API Gateway's "gateway responses" (installed by `make package`) turn a missing route, a missing
or refused token and a denied policy into the same bodies; here the local gateway does it, so the local
stack and the tests see what AWS clients see.
"""

from __future__ import annotations

import json
import threading
import weakref
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


class _PerThread:
    """An attribute of Chalice apps that each thread sees on its own.

    Chalice keeps the request it handles (and its Lambda context) on the app object, which is right on AWS,
    where one Lambda environment handles one request at a time. The local gateway handles requests in threads,
    the local server one per connection: on the shared attribute, a request would read the body, query and
    token of another handled at the same moment."""

    def __init__(self) -> None:
        self._threads = threading.local()

    def _values(self) -> weakref.WeakKeyDictionary[Any, Any]:
        values = getattr(self._threads, "values", None)
        if values is None:
            values = self._threads.values = weakref.WeakKeyDictionary()
        return values

    def __get__(self, app: Any, owner: Any = None) -> Any:
        if app is None:
            return self
        return self._values().get(app)

    def __set__(self, app: Any, value: Any) -> None:
        self._values()[app] = value


def _requests_per_thread() -> None:
    for name in ("current_request", "lambda_context"):
        if not isinstance(Chalice.__dict__.get(name), _PerThread):
            setattr(Chalice, name, _PerThread())


class ContractGateway(LocalGateway):
    def __init__(self, app_object: Chalice, config: Config) -> None:
        _requests_per_thread()
        super().__init__(app_object, config)

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
