"""HTTP: the registration link for new customers — staff open or close it; new customers register."""

from chalice import Response
from chalice.app import Request
from pydantic import Field

from chalicelib import errors
from chalicelib.accounts.api import BrandingOut
from chalicelib.accounts.logo import logo_url
from chalicelib.accounts.models import Account
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


class RegistrationPendingOut(OutputModel):
    status: str = Field("confirmation_sent", description='"confirmation_sent": a mail with a confirmation link '
                                                          "went to the address (the answer is the same for every "
                                                          "address)")


class RegisteredOut(OutputModel):
    url: str = Field(description="The customer's upload link, where the registration continues")


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
    return IntakeContext(branding=_branding(service.resolve(token)))


def _branding(account: Account) -> BrandingOut:
    branding = account.branding.model_dump(exclude={"logo_key"})
    branding["company_name"] = branding["company_name"] or account.name
    return BrandingOut(logo_url=logo_url(account), **branding)


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
              summary="Register as a new customer: mails a confirmation link to the address (double opt-in)",
              access=Access.PORTAL, body=Registration, response=RegistrationPendingOut, status=202, errors=(429,))
def register(token: str, body: Registration) -> RegistrationPendingOut:
    service.register(token, body)
    return RegistrationPendingOut()


@router.route("/registrations/{token}", "GET",
              summary="The confirmation page a registration's mail links to (HTML); its script confirms",
              access=Access.PORTAL, content_type="text/html")
def confirmation_page(token: str, request: Request) -> Response:
    language = negotiate(request.headers.get("accept-language"))
    try:
        account = service.confirmation_account(token)
    except errors.NotFoundError:
        return page.intake_not_found_page(language)
    return page.intake_page(language, _branding(account).model_dump(mode="json"), confirm=True)


@router.route("/registrations/{token}", "POST",
              summary="Confirm a registration (once): creates the customer, or finds the one the address already "
                      "is, and answers the URL of a new upload link",
              access=Access.PORTAL, response=RegisteredOut, errors=(409,))
def confirm_registration(token: str) -> RegisteredOut:
    return RegisteredOut(url=service.confirm(token))
