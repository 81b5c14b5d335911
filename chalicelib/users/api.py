"""HTTP: `GET/POST /users`, `PATCH/DELETE /users/{id}` (admin), `GET/PATCH /account/permissions` (admin), and
`GET /me` (who the caller is and what they may do: the console shows only what they may)."""

from typing import Literal

from pydantic import Field

from chalicelib.api.routing import Access, Router
from chalicelib.auth.tokens import Principal, Role
from chalicelib.fields import Email, Name
from chalicelib.models import InputModel, Omittable, OutputModel
from chalicelib.users import service
from chalicelib.users.models import User

router = Router(__name__, tag="team")


class UserOut(OutputModel):
    id: str
    email: str
    name: str
    role: Role
    status: Literal["invited", "active", "disabled"] = Field(description="invited until the first sign-in")
    last_sign_in_at: str | None
    created_at: str

    @classmethod
    def of(cls, user: User) -> "UserOut":
        return cls(**user.model_dump(include={"id", "email", "name", "role", "status", "last_sign_in_at",
                                              "created_at"}))


class UsersOut(OutputModel):
    items: list[UserOut]


class Invitation(InputModel):
    email: Email
    name: Name
    role: Role = "member"


class UserPatch(InputModel):
    role: Omittable[Role] = None
    status: Omittable[Literal["active", "disabled"]] = Field(None, description="disabled: the user's tokens stop "
                                                                               "working (within 60 s on AWS)")


class Permissions(OutputModel):
    customers_delete: bool
    customers_merge: bool
    attributes_manage: bool
    groups_manage: bool
    exports_all: bool
    files_delete: bool
    links_send: bool
    webhooks_manage: bool


class PermissionsPatch(InputModel):
    customers_delete: Omittable[bool] = None
    customers_merge: Omittable[bool] = None
    attributes_manage: Omittable[bool] = None
    groups_manage: Omittable[bool] = None
    exports_all: Omittable[bool] = None
    files_delete: Omittable[bool] = None
    links_send: Omittable[bool] = None
    webhooks_manage: Omittable[bool] = None


class MeOut(OutputModel):
    account_id: str
    user_id: str
    role: Role
    permissions: Permissions = Field(description="What the caller may do (an admin: everything)")


@router.route("/me", "GET", summary="The caller: role and the permissions in effect", response=MeOut)
def get_me(principal: Principal) -> MeOut:
    return MeOut(account_id=principal.account_id, user_id=principal.user_id, role=principal.role,
                 permissions=Permissions(**service.effective_permissions(principal)))


@router.route("/users", "GET", summary="The team", access=Access.ADMIN, response=UsersOut)
def list_users(principal: Principal) -> UsersOut:
    return UsersOut(items=[UserOut.of(u) for u in service.list_users(principal)])


@router.route("/users", "POST", summary="Invite a team member", access=Access.ADMIN, body=Invitation,
              response=UserOut, status=201, errors=(409,))
def invite_user(principal: Principal, body: Invitation) -> UserOut:
    return UserOut.of(service.invite_user(principal, body.email, body.name, body.role))


@router.route("/users/{id}", "PATCH", summary="Change a member's role, or disable or enable them",
              access=Access.ADMIN, body=UserPatch, response=UserOut, errors=(409,))
def change_user(principal: Principal, id: str, body: UserPatch) -> UserOut:  # noqa: A002 - the contract's name
    return UserOut.of(service.change_user(principal, id, body.role, body.status))


@router.route("/users/{id}", "DELETE", summary="Remove a team member", access=Access.ADMIN, status=204,
              errors=(409,))
def remove_user(principal: Principal, id: str) -> None:  # noqa: A002
    service.remove_user(principal, id)


@router.route("/account/permissions", "GET", summary="What members may do", access=Access.ADMIN,
              response=Permissions)
def get_permissions(principal: Principal) -> Permissions:
    return Permissions(**service.get_permissions(principal.account_id))


@router.route("/account/permissions", "PATCH", summary="Change what members may do", access=Access.ADMIN,
              body=PermissionsPatch, response=Permissions)
def set_permissions(principal: Principal, body: PermissionsPatch) -> Permissions:
    return Permissions(**service.set_permissions(principal, body.model_dump(exclude_unset=True)))
