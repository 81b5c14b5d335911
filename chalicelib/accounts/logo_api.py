"""HTTP: the portal logo — `POST /account/logo` (a presigned upload), `PUT /account/logo` (use it),
`DELETE /account/logo`. Admin only."""

from pydantic import Field

from chalicelib.accounts import logo
from chalicelib.accounts.api import AccountOut
from chalicelib.api.routing import Access, Router
from chalicelib.auth.tokens import Principal
from chalicelib.models import InputModel, OutputModel

router = Router(__name__, tag="account")


class LogoUpload(InputModel):
    filename: str = Field(min_length=1, max_length=1000)
    size: int = Field(ge=1, le=5 * 1024**3, description="Bytes; at most 1 MB (1048576) are accepted")
    content_type: str = Field(min_length=3, max_length=200, description="image/png, image/jpeg, image/webp, image/gif")


class LogoUploadOut(OutputModel):
    logo_id: str = Field(description="Send it to PUT /account/logo once the upload is done")
    url: str
    fields: dict[str, str] = Field(description="Send every entry as a form field, then the file as `file`, last")
    expires_at: str


class LogoChoice(InputModel):
    logo_id: str = Field(min_length=1, max_length=64)


@router.route("/account/logo", "POST", summary="A presigned POST for the portal logo (image, at most 1 MB)",
              access=Access.ADMIN, body=LogoUpload, response=LogoUploadOut, status=201, errors=(413, 415))
def upload_logo(principal: Principal, body: LogoUpload) -> LogoUploadOut:
    upload = logo.presign_logo(principal, body.filename, body.size, body.content_type)
    return LogoUploadOut(logo_id=upload.logo_id, url=upload.url, fields=upload.fields, expires_at=upload.expires_at)


@router.route("/account/logo", "PUT", summary="Show the uploaded logo on the portal (checks size, type and content)",
              access=Access.ADMIN, body=LogoChoice, response=AccountOut, errors=(413, 415))
def use_logo(principal: Principal, body: LogoChoice) -> AccountOut:
    return AccountOut.of(logo.use_logo(principal, body.logo_id))


@router.route("/account/logo", "DELETE", summary="Remove the portal logo", access=Access.ADMIN, status=204)
def remove_logo(principal: Principal) -> None:
    logo.remove_logo(principal)
