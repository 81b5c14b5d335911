"""What a one-time local login code grants, and the HTTP shapes of its exchange."""

from typing import NamedTuple

from pydantic import Field

from chalicelib.auth.tokens import Role
from chalicelib.models import InputModel, OutputModel


class LoginGrant(NamedTuple):
    """Who a code signs in: the account, the user and the role its token will carry."""

    account_id: str
    user_id: str
    role: Role


class LoginCode(InputModel):
    code: str = Field(min_length=1, max_length=200)


class LocalLoginOut(OutputModel):
    token: str
    account: str
    role: str
    user: str
