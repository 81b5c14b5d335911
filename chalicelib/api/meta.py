"""HTTP: `GET /openapi.json` (no auth), generated from the registered routes on first request."""

from __future__ import annotations

import functools
import json

from chalice import Response

from chalicelib.api import openapi
from chalicelib.api.routing import OPERATIONS, Access, Router

router = Router(__name__, tag="meta")


@functools.cache
def _document_json() -> str:
    return json.dumps(openapi.build_document(OPERATIONS))


@router.route("/openapi.json", "GET", summary="This document", access=Access.PUBLIC)
def get_openapi() -> Response:
    return Response(body=_document_json(), status_code=200, headers={"Content-Type": "application/json"})
