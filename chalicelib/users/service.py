"""Team rules: inviting, changing and removing members, the last-admin rule, what members may do, and the
principal a token stands for (the authorizer asks `resolve_principal` on every request it does not cache)."""

from __future__ import annotations

from typing import Any

from chalicelib import clock, errors, ids
from chalicelib.audit import service as audit
from chalicelib.audit.models import SIGN_IN
from chalicelib.auth.tokens import PERMISSIONS, Principal, Role
from chalicelib.locallogin import service as locallogin
from chalicelib.locallogin.models import LocalLoginOut
from chalicelib.observability import logger
from chalicelib.users.identity import identities
from chalicelib.users.models import DEFAULT_PERMISSIONS, Team, User
from chalicelib.users.repository import UserRepository


def _not_found() -> errors.NotFoundError:
    return errors.NotFoundError("There is no such team member.")


def resolve_principal(principal: Principal) -> Principal | None:
    """The principal as the team knows it, with the permissions it has; None when the user may not sign in
    (disabled or removed). A team member's role is the team's, whatever an older token says. A token of a user
    the team does not know (the operator's `make token`, `infra.admin`) keeps its role."""
    repository = UserRepository()
    team, user = repository.team_and_user(principal.account_id, principal.user_id)
    role: Role = principal.role
    if user is not None:
        if not user.may_sign_in:
            return None
        if principal.issued_at > user.signed_in_iat:
            user = _note_sign_in(principal, user)
        role = user.acting_role
    permissions = frozenset(PERMISSIONS) if role == "admin" else team.member_permissions()
    return Principal(account_id=principal.account_id, user_id=principal.user_id, role=role,
                     permissions=permissions, issued_at=principal.issued_at)


def _note_sign_in(principal: Principal, user: User) -> User:
    """A token newer than the user's last one is a sign-in: noted on the user with its audit entry, once, with
    whether the user signs in with TOTP (asked of the identity provider for admins only). The user as noted."""
    entry = audit.new_entry(actor=user.id, action=SIGN_IN, target=f"/users/{user.id}")
    try:
        totp = user.role == "admin" and identities().uses_totp(user.username)
        UserRepository().record_sign_in(principal.account_id, user, principal.issued_at, entry.at, totp,
                                        audit.entry_action(principal.account_id, entry))
    except Exception:  # noqa: BLE001 - the record must not lock the user out; it is retried at the next request
        logger.exception("sign-in not recorded", extra={"user_id": user.id})
        return user
    return user.model_copy(update={"totp": totp, "signed_in_iat": principal.issued_at})


def sign_in_with_local_code(code: str, ip: str | None) -> LocalLoginOut:
    """A sign-in through the local one-time login: the code exchanged for a token, once. A team member's sign-in
    is noted by the new token's first request (as every sign-in is); a user the team does not know
    (`make login`'s operator) is recorded in the audit log here."""
    signed_in = locallogin.redeem_login_code(code)
    if UserRepository().get(signed_in.account, signed_in.user) is None:
        audit.record(signed_in.account, actor=signed_in.user, action=SIGN_IN, target=f"/users/{signed_in.user}",
                     ip=ip)
    return signed_in


def effective_permissions(principal: Principal) -> dict[str, bool]:
    return {name: principal.may(name) for name in PERMISSIONS}


# --- the team (admin routes) ---


def list_users(principal: Principal) -> list[User]:
    return UserRepository().users(principal.account_id)


def get_user(principal: Principal, user_id: str) -> User:
    user = UserRepository().get(principal.account_id, user_id) if 0 < len(user_id) <= 128 else None
    if user is None or user.status == "removed":
        raise _not_found()
    return user


def invite_user(principal: Principal, email: str, name: str, role: Role) -> User:
    """Add a member (status `invited` until the first sign-in) and send the invitation."""
    repository = UserRepository()
    directory = identities()
    moment = clock.now_iso()
    local_id = ids.new_id()
    user_id, username = directory.invite(principal.account_id, local_id, email, name, role)
    user = User(id=user_id, email=email, name=name, role=role, status="invited", username=username,
                created_at=moment, updated_at=moment)
    try:
        repository.create(principal.account_id, user)
    except errors.DossierError:
        directory.remove(username)
        raise
    return user


def change_user(principal: Principal, user_id: str, role: Role | None, status: str | None) -> User:
    """Change a member's role, or disable (`disabled`) and enable (`active`) them. The last admin stays."""
    before = get_user(principal, user_id)
    changes: dict[str, Any] = {"updated_at": clock.now_iso()}
    if role is not None:
        changes["role"] = role
    if status is not None:
        if status == "active" and before.status == "invited":
            status = "invited"  # enabling an invited user leaves them invited until they sign in
        changes["status"] = status
    after = before.model_copy(update=changes)
    if (after.role, after.status) == (before.role, before.status):
        return before
    UserRepository().replace(principal.account_id, before, after)
    directory = identities()
    if after.role != before.role:
        directory.set_role(after.username, after.role)
    if (after.status == "disabled") != (before.status == "disabled"):
        directory.set_enabled(after.username, after.status != "disabled")
    return after


def remove_user(principal: Principal, user_id: str) -> None:
    """Remove a member: their tokens stop working and their sign-in is deleted; the record stays (hidden)
    so that the audit log's entries keep a name."""
    before = get_user(principal, user_id)
    after = before.model_copy(update={"status": "removed", "updated_at": clock.now_iso()})
    UserRepository().replace(principal.account_id, before, after)
    identities().remove(before.username)


# --- permissions ---


def get_permissions(account_id: str) -> dict[str, bool]:
    return _with_defaults(UserRepository().team(account_id))


def set_permissions(principal: Principal, changes: dict[str, bool]) -> dict[str, bool]:
    repository = UserRepository()
    merged = {**get_permissions(principal.account_id), **changes}
    return _with_defaults(repository.set_permissions(principal.account_id, merged))


def _with_defaults(team: Team) -> dict[str, bool]:
    return {name: bool({**DEFAULT_PERMISSIONS, **team.permissions}.get(name)) for name in PERMISSIONS}
