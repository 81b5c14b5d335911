"""Where staff sign in: the stage's Cognito user pool, or the local stage's one-time console logins.

On AWS the user pool sends the invitation (a temporary password, AdminCreateUser) and does every sign-in; its
users carry `custom:account` and `custom:role`, which the pool's app client cannot write, so only these calls
change them. Locally the invitation is a mail in the outbox with a one-time console login for the new user.
"""

from __future__ import annotations

from typing import Any, Protocol

from chalicelib import aws, errors, mail
from chalicelib.auth.tokens import Role
from chalicelib.settings import get_settings
from chalicelib.users.errors import EmailTakenError


class Identities(Protocol):
    def invite(self, account_id: str, user_id: str | None, email: str, name: str, role: Role) -> tuple[str, str | None]:
        """Create the user's sign-in and send the invitation: (user id = the token's subject, user name)."""

    def set_role(self, username: str | None, role: Role) -> None: ...

    def set_enabled(self, username: str | None, enabled: bool) -> None: ...

    def remove(self, username: str | None) -> None: ...

    def uses_totp(self, username: str | None) -> bool:
        """Whether the user signs in with an authenticator app's code (TOTP MFA)."""


class LocalIdentities:
    """The local stage: a mail with a one-time console login (the user id is ours)."""

    def invite(self, account_id: str, user_id: str | None, email: str, name: str, role: Role) -> tuple[str, str | None]:
        from chalicelib.locallogin.service import console_login_url, issue_login_code

        if user_id is None:
            raise ValueError("the local stage needs the user id")
        url = console_login_url(issue_login_code(account_id, role=role, user_id=user_id))
        mail.send(mail.Mail(to=email, subject="Einladung zu Dossier / Invitation to Dossier",
                            text=f"Hallo {name},\n\nSie wurden in das Team von Dossier eingeladen. Anmelden "
                                 f"(einmalig, 15 Minuten gültig):\n{url}\n\nYou were invited to a Dossier team. "
                                 f"Sign in (once, within 15 minutes):\n{url}\n"))
        return user_id, None

    def set_role(self, username: str | None, role: Role) -> None:
        return None

    def set_enabled(self, username: str | None, enabled: bool) -> None:
        return None

    def remove(self, username: str | None) -> None:
        return None

    def uses_totp(self, username: str | None) -> bool:
        return True  # the local stage's one-time logins have no second factor to ask for


class CognitoIdentities:
    def __init__(self, pool_id: str, client: Any = None) -> None:
        self.pool_id = pool_id
        self.client = client or aws.client("cognito-idp")

    def invite(self, account_id: str, user_id: str | None, email: str, name: str, role: Role) -> tuple[str, str | None]:
        try:
            user = self.client.admin_create_user(
                UserPoolId=self.pool_id, Username=email, DesiredDeliveryMediums=["EMAIL"],
                UserAttributes=[{"Name": "email", "Value": email}, {"Name": "email_verified", "Value": "true"},
                                {"Name": "name", "Value": name}, {"Name": "custom:account", "Value": account_id},
                                {"Name": "custom:role", "Value": role}],
            )["User"]
        except self.client.exceptions.UsernameExistsException as exc:
            raise EmailTakenError(f"{email} already has a Dossier sign-in.") from exc
        attributes = {a["Name"]: a["Value"] for a in user.get("Attributes", [])}
        return attributes.get("sub", user["Username"]), user["Username"]

    def set_role(self, username: str | None, role: Role) -> None:
        if username is None:  # no sign-in in the pool (a user the local directory made): nothing to change
            return
        self.client.admin_update_user_attributes(UserPoolId=self.pool_id, Username=username,
                                                 UserAttributes=[{"Name": "custom:role", "Value": role}])
        # Tokens issued before carry the old role; the authorizer reads the team's, and sign-out ends the
        # refresh tokens that would mint more of them.
        self.client.admin_user_global_sign_out(UserPoolId=self.pool_id, Username=username)

    def set_enabled(self, username: str | None, enabled: bool) -> None:
        if username is None:
            return
        if enabled:
            self.client.admin_enable_user(UserPoolId=self.pool_id, Username=username)
            return
        self.client.admin_disable_user(UserPoolId=self.pool_id, Username=username)
        self.client.admin_user_global_sign_out(UserPoolId=self.pool_id, Username=username)

    def remove(self, username: str | None) -> None:
        if username is None:
            return
        try:
            self.client.admin_delete_user(UserPoolId=self.pool_id, Username=username)
        except self.client.exceptions.UserNotFoundException:
            return

    def uses_totp(self, username: str | None) -> bool:
        if username is None:
            return False
        user = self.client.admin_get_user(UserPoolId=self.pool_id, Username=username)
        return "SOFTWARE_TOKEN_MFA" in (user.get("UserMFASettingList") or [])


def identities() -> Identities:
    settings = get_settings()
    if settings.user_pool_id:
        return CognitoIdentities(settings.user_pool_id)
    if settings.stage != "local":
        # Without the pool a deployed stage could add members nobody can sign in as.
        raise errors.ConflictError("This stage has no user pool configured (DOSSIER_USER_POOL_ID); team members "
                                   "are managed with `python -m infra.admin user` until it is.")
    return LocalIdentities()
