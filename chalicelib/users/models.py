"""Team members and the team's settings."""

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from chalicelib.auth.tokens import PERMISSIONS, Role

#: `removed` users are kept (hidden from the team list) so that their tokens stay refused.
Status = Literal["invited", "active", "disabled", "removed"]

#: What members may do in a new account: the everyday work with customers (merge duplicates, delete a wrong
#: file, send links) yes; what cannot be undone for a whole customer, changes the register's structure for
#: everyone, takes every customer's data out of the product, or sends it elsewhere (webhooks) no.
DEFAULT_PERMISSIONS: dict[str, bool] = {
    "customers_delete": False,
    "customers_merge": True,
    "attributes_manage": False,
    "groups_manage": True,
    "exports_all": False,
    "files_delete": True,
    "links_send": True,
    "webhooks_manage": False,
}


class User(BaseModel):
    model_config = ConfigDict(defer_build=True)

    id: str
    email: str
    name: str
    role: Role
    status: Status
    #: The identity provider's user name (Cognito); None on the local stage.
    username: str | None = None
    #: `iat` of the newest token seen: a newer one is a sign-in.
    signed_in_iat: int = 0
    #: Whether the user had TOTP MFA at their last sign-in: an admin acts as one only then (the pool's MFA is
    #: each user's own choice; the team requires it of admins).
    totp: bool = False
    last_sign_in_at: str | None = None
    created_at: str
    updated_at: str

    @property
    def counts_as_admin(self) -> bool:
        """Whether the user is one of the admins the last-admin rule keeps (invited or active)."""
        return self.role == "admin" and self.status in ("invited", "active")

    @property
    def acting_role(self) -> Role:
        """The role requests get: an admin who signed in without TOTP works as a member until they enrol."""
        return "admin" if self.role == "admin" and self.totp else "member"

    @property
    def may_sign_in(self) -> bool:
        return self.status in ("invited", "active")


class Team(BaseModel):
    model_config = ConfigDict(defer_build=True)

    permissions: dict[str, bool] = Field(default_factory=lambda: dict(DEFAULT_PERMISSIONS))
    admins: int = 0

    def member_permissions(self) -> frozenset[str]:
        merged = {**DEFAULT_PERMISSIONS, **self.permissions}
        return frozenset(name for name in PERMISSIONS if merged.get(name))
