"""HTTP: the customer portal page `GET /p/{token}` and its script and style.

The page answers in HTML whatever happens: the portal for a valid link, a friendly 410 page for an expired
one, and one 404 page for everything else (unknown, tampered, revoked), which tells nothing about which.
"""

from __future__ import annotations

from chalice import Response
from chalice.app import Request

from chalicelib import errors
from chalicelib.api.routing import Access, Router
from chalicelib.portal import page, service
from chalicelib.portal.api import PortalContext
from chalicelib.portal.texts import negotiate

router = Router(__name__, tag="portal")


@router.route("/p/{token}", "GET", summary="The portal page (HTML; German or English by Accept-Language)",
              access=Access.PORTAL, content_type="text/html", errors=(410,))
def portal_page(token: str, request: Request) -> Response:
    language = negotiate(request.headers.get("accept-language"))
    try:
        context = service.context(token)
    except errors.LinkExpiredError:
        return page.expired_page(language)
    except errors.NotFoundError:
        return page.not_found_page(language)
    return page.portal_page(language, PortalContext.model_validate(context).model_dump(mode="json"))


@router.route("/portal/portal.js", "GET", summary="The portal page's script", access=Access.PUBLIC,
              content_type="text/javascript")
def portal_script() -> Response:
    return page.asset_response("portal.js")


@router.route("/portal/portal.css", "GET", summary="The portal page's style sheet", access=Access.PUBLIC,
              content_type="text/css")
def portal_style() -> Response:
    return page.asset_response("portal.css")
