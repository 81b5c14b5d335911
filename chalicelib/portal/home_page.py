"""HTTP: the pages of the customer's own portal: `GET /c/{account_id}` (sign in by a link sent by e-mail or
SMS) and `GET /c/{account_id}/home` (requests, files, approvals, messages, profile), with their scripts.

Both are shells: the sign-in page carries the account's branding, the home page nothing about the customer
(its script reads `api/context` with the session cookie and goes back to sign-in without one). The home page
loads the link page's script first (`portal.js`), whose upload, checklist and form parts it reuses.
Unknown accounts and accounts whose portal is off get one 404 page.
"""

from __future__ import annotations

import html
from typing import Any

from chalice import Response
from chalice.app import Request

from chalicelib.accounts.logo import logo_url
from chalicelib.accounts.service import find_account
from chalicelib.api.routing import Access, Router
from chalicelib.portal import page
from chalicelib.portal.home_texts import HOME_TEXTS
from chalicelib.portal.texts import TEXTS, Language, negotiate
from chalicelib.settings import get_settings
from chalicelib.storage import objects

router = Router(__name__, tag="portal")

def _texts(language: Language) -> dict[str, str]:
    return {**TEXTS[language], **HOME_TEXTS[language]}


def _branding(account_id: str) -> dict[str, Any] | None:
    """The account's public branding, or None when there is no such account or its portal is off."""
    account = find_account(account_id)
    if account is None or not account.portal.enabled:
        return None
    branding = account.branding.model_dump(exclude={"logo_key"})
    branding["company_name"] = branding["company_name"] or account.name
    return {**branding, "logo_url": logo_url(account)}


def _stylesheets(up: str) -> list[str]:
    """The design tokens, the portal's and the home's styles, relative to a page `up` levels below the API root."""
    return [f"{up}app/assets/tokens.css", f"{up}portal/portal.css?v={page.asset('portal.css').version}",
            f"{up}portal/home.css?v={page.asset('home.css').version}"]


def _shell(language: Language, app: str, title: str, context: dict[str, Any], up: str) -> Response:
    texts = _texts(language)
    body = page._template("home.html").substitute(
        head=page.document_head(language, title, _stylesheets(up)),
        kit=f"{up}portal/portal.js?v={page.asset('portal.js').version}",
        js=f"{up}portal/{app}.js?v={page.asset(app + '.js').version}",
        signature=f"{up}portal/signature.js?v={page.asset('signature.js').version}",
        app=app,
        loading=html.escape(texts["loading"]),
        noscript=html.escape(texts["noscript"]),
        texts=page._json_block(texts),
        context=page._json_block(context),
    )
    # The bucket serves the logo and takes the uploads (presigned POSTs straight to S3).
    csp = page.content_security_policy(objects.bucket_url(get_settings().uploads_bucket))
    return Response(body=body, status_code=200, headers=page._headers(language, csp))


def _not_found(language: Language, up: str) -> Response:
    texts = _texts(language)
    body = page._template("message.html").substitute(
        head=page.document_head(language, texts["portal_not_found_title"], _stylesheets(up)[:2]),
        js="", heading=html.escape(texts["portal_not_found_title"]), text=html.escape(texts["portal_not_found_text"]),
    )
    return Response(body=body, status_code=404, headers=page._headers(language, page.content_security_policy()))


def _account_page(account_id: str, request: Request, kind: str, up: str) -> Response:
    """The sign-in page or the home, in the account's branding and the browser's language; one 404 page for an
    account that does not exist or has the portal off."""
    language = negotiate(request.headers.get("accept-language"))
    branding = _branding(account_id)
    if branding is None:
        return _not_found(language, up=up)
    title = HOME_TEXTS[language][f"{kind}_title"].replace("{company}", branding["company_name"])
    return _shell(language, kind, title, {"account_id": account_id, "branding": branding}, up=up)


@router.route("/c/{account_id}", "GET", summary="The account's customer portal: sign in by e-mail or SMS (HTML)",
              access=Access.PORTAL, content_type="text/html")
def sign_in_page(account_id: str, request: Request) -> Response:
    return _account_page(account_id, request, "signin", up="../")


def _sign_in_confirmation(language: Language, branding: dict[str, Any], up: str) -> Response:
    """What a sign-in link opens: the account's branding and one button whose plain form posts to the same address
    (no script). It never looks at the token, so it is the same page for every link, valid or not."""
    texts = _texts(language)
    company = branding["company_name"]
    logo = (f'<img class="logo" src="{html.escape(branding["logo_url"], quote=True)}" '
            f'alt="{html.escape(texts["logo_alt"].replace("{company}", company), quote=True)}">\n'
            if branding.get("logo_url") else "")
    body = page._template("signin_confirm.html").substitute(
        head=page.document_head(language, HOME_TEXTS[language]["signin_title"].replace("{company}", company),
                                _stylesheets(up)),
        logo=logo,
        company=html.escape(company),
        heading=html.escape(texts["signin_confirm_heading"].replace("{company}", company)),
        intro=html.escape(texts["signin_confirm_intro"]),
        submit=html.escape(texts["signin_confirm_submit"]),
    )
    # The logo comes from the bucket; the form posts to this page's own address.
    logo_source = objects.bucket_url(get_settings().uploads_bucket) if branding.get("logo_url") else None
    csp = page.content_security_policy(logo_source)
    return Response(body=body, status_code=200, headers=page._headers(language, csp))


@router.route("/c/{account_id}/signin/{token}", "GET", access=Access.PORTAL, content_type="text/html",
              summary="What a one-time sign-in link opens: a page with one button that uses the link (POST to the "
                      "same address); opening it uses nothing up, so mail scanners that open links do not spend it")
def sign_in_link_page(account_id: str, request: Request) -> Response:
    language = negotiate(request.headers.get("accept-language"))
    branding = _branding(account_id)
    if branding is None:
        return _not_found(language, up="../../../")
    return _sign_in_confirmation(language, branding, up="../../../")


@router.route("/c/{account_id}/home", "GET", summary="The signed-in customer's portal home (HTML)",
              access=Access.PORTAL, content_type="text/html")
def home_page(account_id: str, request: Request) -> Response:
    return _account_page(account_id, request, "home", up="../../")


@router.route("/portal/home.js", "GET", summary="The portal home's script", access=Access.PUBLIC,
              content_type="text/javascript")
def home_script() -> Response:
    return page.asset_response("home.js")


@router.route("/portal/signature.js", "GET", summary="The signature pad and the approval dialog of the portal home",
              access=Access.PUBLIC, content_type="text/javascript")
def signature_script() -> Response:
    return page.asset_response("signature.js")


@router.route("/portal/signin.js", "GET", summary="The portal sign-in page's script", access=Access.PUBLIC,
              content_type="text/javascript")
def sign_in_script() -> Response:
    return page.asset_response("signin.js")


@router.route("/portal/home.css", "GET", summary="The portal home's style sheet", access=Access.PUBLIC,
              content_type="text/css")
def home_style() -> Response:
    return page.asset_response("home.css")
