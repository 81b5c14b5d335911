"""HTTP: the registration link for new customers — staff open or close it; new customers register."""

from __future__ import annotations

from chalice import Response
from chalice.app import Request

from chalicelib import errors
from chalicelib.accounts.api import BrandingOut
from chalicelib.accounts.logo import logo_url
from chalicelib.api.routing import Access, Router
from chalicelib.auth.tokens import Principal
from chalicelib.intake import service
from chalicelib.intake.models import Registration
from chalicelib.models import OutputModel
from chalicelib.portal import page
from chalicelib.portal.texts import negotiate

router = Router(__name__, tag="intake")


class IntakeLinkOut(OutputModel):
    url: str
    created_at: str


class IntakeContext(OutputModel):
    branding: BrandingOut


class RegisteredOut(OutputModel):
    url: str


@router.route("/account/intake", "POST",
              summary="Open the registration link for new customers (a new URL; the previous one stops working)",
              access=Access.ADMIN, response=IntakeLinkOut, status=201)
def open_intake(principal: Principal) -> IntakeLinkOut:
    url, created_at = service.open_intake(principal)
    return IntakeLinkOut(url=url, created_at=created_at)


@router.route("/account/intake", "DELETE", summary="Close the registration link", access=Access.ADMIN, status=204)
def close_intake(principal: Principal) -> None:
    service.close_intake(principal)


@router.route("/intake/{token}/context", "GET", summary="The business a registration link belongs to",
              access=Access.PORTAL, response=IntakeContext)
def intake_context(token: str) -> IntakeContext:
    account = service.resolve(token)
    branding = account.branding.model_dump(exclude={"logo_key"})
    branding["company_name"] = branding["company_name"] or account.name
    return IntakeContext(branding=BrandingOut(logo_url=logo_url(account), **branding))


@router.route("/intake/{token}", "GET", summary="The registration page (HTML; German or English by Accept-Language)",
              access=Access.PORTAL, content_type="text/html")
def intake_page(token: str, request: Request) -> Response:
    language = negotiate(request.headers.get("accept-language"))
    try:
        context = intake_context(token)
    except errors.NotFoundError:
        return page.intake_not_found_page(language)
    return page.intake_page(language, context.branding.model_dump(mode="json"))


@router.route("/portal/intake.js", "GET", summary="The registration page's script", access=Access.PUBLIC,
              content_type="text/javascript")
def intake_script() -> Response:
    return page.asset_response("intake.js")


@router.route("/intake/{token}", "POST",
              summary="Register as a new customer; answers the URL of the new customer's upload link",
              access=Access.PORTAL, body=Registration, response=RegisteredOut, status=201, errors=(409,))
def register(token: str, body: Registration) -> RegisteredOut:
    return RegisteredOut(url=service.register(token, body))
