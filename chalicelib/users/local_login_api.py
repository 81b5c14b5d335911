"""HTTP: `POST /_local/login` exchanges a one-time local login code (chalicelib/locallogin) for a staff token
(local stage only; 404 elsewhere)."""

from __future__ import annotations

from typing import Any

from chalicelib.api.routing import Access, Router
from chalicelib.locallogin.models import LocalLoginOut, LoginCode
from chalicelib.users import service

router = Router(__name__, tag="local")


@router.route("/_local/login", "POST", summary="Local stage only: exchange a one-time login code for a staff token",
              access=Access.PUBLIC, body=LoginCode, response=LocalLoginOut, errors=(401, 404))
def local_login(body: LoginCode, request: Any) -> LocalLoginOut:
    return service.sign_in_with_local_code(body.code, ((request.context or {}).get("identity") or {}).get("sourceIp"))
