"""HTTP: the staff console at `/app/` (its shell, assets and sign-in settings) and `GET /` pointing to it."""

from typing import Literal

from chalice import Response
from chalice.app import Request
from pydantic import BaseModel, ConfigDict

from chalicelib import errors
from chalicelib.api.routing import Access, Router
from chalicelib.console import page

router = Router(__name__, tag="console")


class SignInSettings(BaseModel):
    model_config = ConfigDict(defer_build=True)

    mode: Literal["local", "oidc"]
    issuer: str | None
    authorization_endpoint: str | None
    token_endpoint: str | None
    end_session_endpoint: str | None
    client_id: str | None
    scope: str | None


def _redirect(location: str) -> Response:
    return Response(body="", status_code=302, headers={"Location": location, "Cache-Control": "no-store",
                                                       "Content-Type": "text/html; charset=utf-8"})


@router.route("/", "GET", summary="Redirects to the staff console", access=Access.PUBLIC, status=302,
              content_type="text/html")
def root() -> Response:
    # Relative, so a stage prefix (`/api/`) is kept.
    return _redirect("app/")


@router.route("/app", "GET", summary="The staff console (HTML; `/app` redirects to `/app/`)", access=Access.PUBLIC,
              content_type="text/html", errors=(302,))
def console(request: Request) -> Response:
    # API Gateway and the local gateway route `/app` and `/app/` alike; the shell's relative URLs need the slash.
    path = (request.context or {}).get("path") or ""
    if not path.endswith("/"):
        return _redirect("app/")
    return page.shell_response()


@router.route("/app/callback", "GET", summary="The staff console's sign-in return address (HTML)",
              access=Access.PUBLIC, content_type="text/html")
def console_callback() -> Response:
    return page.shell_response()


@router.route("/app/config.json", "GET", summary="How the staff console signs in", access=Access.PUBLIC,
              response=SignInSettings)
def console_config() -> SignInSettings:
    return SignInSettings.model_validate(page.sign_in_settings())


@router.route("/app/assets/{name}", "GET", summary="The staff console's scripts and style sheets",
              access=Access.PUBLIC, content_type="text/plain", errors=(404,))
def console_asset(name: str, request: Request) -> Response:
    found = page.asset_response(name, request.headers.get("if-none-match"))
    if found is None:
        raise errors.NotFoundError("No such console file.")
    return found
