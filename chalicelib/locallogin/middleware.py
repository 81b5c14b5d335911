"""`/_local/*` exists on the local stage only: anywhere else every such route answers as an unknown one
(404), before its input is read."""

from __future__ import annotations

from collections.abc import Callable

from chalice import Response
from chalice.app import Request

from chalicelib.api import errors as http_errors
from chalicelib.settings import get_settings

LOCAL_PREFIX = "/_local/"


def local_stage_only(request: Request, get_response: Callable[[Request], Response]) -> Response:
    if request.path.startswith(LOCAL_PREFIX) and get_settings().stage != "local":
        return http_errors.gateway_error_response(404)
    return get_response(request)
