"""Staff bearer tokens: JWTs that name an account, a user and a role.

Two verifiers behind one function:
- `hs256` (the local stack and tests): tokens signed with `DOSSIER_JWT_SECRET`; `make token` issues them.
- `jwks` (AWS): ID tokens of an identity provider such as a Cognito user pool, verified against its
  JWKS document (`DOSSIER_JWKS_URL`), whose keys are fetched once and cached per container.

Either way the token must carry `iss`, `aud`, `exp`, `sub`, the account (`account` or
`custom:account`) and the role (`role` or `custom:role`: `admin` or `member`). `alg: none`, any
algorithm other than the verifier's, expired, wrong issuer or audience: rejected.
"""

from __future__ import annotations

import functools
import re
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from chalicelib.settings import Settings, get_settings

if TYPE_CHECKING:  # pragma: no cover
    from jwt.types import Options

Role = Literal["admin", "member"]
ROLES: tuple[Role, ...] = ("admin", "member")
#: What an account's admins may allow members (`/account/permissions`); admins may always do all of it.
PERMISSIONS: tuple[str, ...] = ("customers_delete", "customers_merge", "attributes_manage", "groups_manage",
                                "exports_all", "files_delete", "links_send", "webhooks_manage")
ACCOUNT_ID_PATTERN = r"^[a-z0-9][a-z0-9-]{1,39}$"
_ACCOUNT_ID = re.compile(ACCOUNT_ID_PATTERN)
_USER_ID = re.compile(r"^[A-Za-z0-9@._:+-]{1,128}$")
_MAX_TOKEN_CHARS = 8192


class TokenError(Exception):
    """The token is missing, malformed, forged, expired or not for us."""


class TokenExpiredError(TokenError):
    """The token is ours and correctly signed, but past its `exp`: the client should sign in again."""


@dataclass(frozen=True)
class Principal:
    account_id: str
    user_id: str
    role: Role
    #: What a member may do besides the basics (the account's switches); an admin may do everything.
    permissions: frozenset[str] = frozenset()
    #: The token's `iat` (seconds): a sign-in is a token newer than the user's last one.
    issued_at: int = field(default=0, compare=False)

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    def may(self, permission: str) -> bool:
        return self.is_admin or permission in self.permissions

    def as_context(self) -> dict[str, str]:
        return {"account_id": self.account_id, "user_id": self.user_id, "role": self.role,
                "permissions": ",".join(sorted(self.permissions)), "issued_at": str(self.issued_at)}

    @classmethod
    def from_context(cls, context: dict[str, Any]) -> Principal:
        role = context.get("role")
        if role not in ROLES:
            raise TokenError("no role in the authorizer context")
        permissions = frozenset(p for p in str(context.get("permissions") or "").split(",") if p in PERMISSIONS)
        issued_at = str(context.get("issued_at") or "0")
        return cls(account_id=str(context["account_id"]), user_id=str(context["user_id"]), role=role,
                   permissions=permissions, issued_at=int(issued_at) if issued_at.isdigit() else 0)


def issue_token(
    account_id: str, user_id: str, role: Role, settings: Settings | None = None, ttl_seconds: int | None = None
) -> str:
    """A signed HS256 token (local stack, tests, `make token`)."""
    import jwt

    settings = settings or get_settings()
    if not _ACCOUNT_ID.match(account_id):
        raise ValueError(f"invalid account id {account_id!r}")
    if role not in ROLES:
        raise ValueError(f"invalid role {role!r}")
    issued = int(time.time())
    claims = {
        "iss": settings.jwt_issuer,
        "aud": settings.jwt_audience,
        "sub": user_id,
        "account": account_id,
        "role": role,
        "iat": issued,
        "exp": issued + (ttl_seconds or settings.token_ttl_seconds),
    }
    return jwt.encode(claims, settings.jwt_secret.get_secret_value(), algorithm="HS256")


@functools.cache
def _jwks_client(url: str) -> Any:
    from jwt import PyJWKClient

    return PyJWKClient(url, cache_keys=True, lifespan=3600)


def _decode(token: str, settings: Settings) -> dict[str, Any]:
    import jwt

    options: Options = {"require": ["exp", "iat", "iss", "aud", "sub"]}
    try:
        if settings.auth_mode == "jwks":
            signing_key = _jwks_client(settings.jwks_url).get_signing_key_from_jwt(token)
            return jwt.decode(
                token,
                signing_key.key,
                algorithms=["RS256"],
                audience=settings.jwt_audience,
                issuer=settings.jwt_issuer,
                options=options,
            )
        return jwt.decode(
            token,
            settings.jwt_secret.get_secret_value(),
            algorithms=["HS256"],
            audience=settings.jwt_audience,
            issuer=settings.jwt_issuer,
            options=options,
        )
    except jwt.ExpiredSignatureError as exc:
        # PyJWT checks `exp` only after the signature, so this token was really issued for us.
        raise TokenExpiredError(str(exc)) from exc
    except jwt.PyJWTError as exc:
        raise TokenError(str(exc)) from exc


def verify_bearer(header_value: str | None, settings: Settings | None = None) -> Principal:
    """The principal of an `Authorization: Bearer <jwt>` header value."""
    settings = settings or get_settings()
    if not header_value or len(header_value) > _MAX_TOKEN_CHARS:
        raise TokenError("missing or oversized token")
    scheme, _, token = header_value.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise TokenError("expected 'Bearer <token>'")
    claims = _decode(token.strip(), settings)
    account_id = claims.get("account", claims.get("custom:account"))
    role = claims.get("role", claims.get("custom:role"))
    user_id = claims.get("sub")
    if not isinstance(account_id, str) or not _ACCOUNT_ID.match(account_id):
        raise TokenError("token names no valid account")
    if role not in ROLES:
        raise TokenError("token names no valid role")
    if not isinstance(user_id, str) or not _USER_ID.match(user_id):
        raise TokenError("token names no valid user")
    issued_at = claims.get("iat")
    return Principal(account_id=account_id, user_id=user_id, role=role,
                     issued_at=issued_at if isinstance(issued_at, int) else 0)
