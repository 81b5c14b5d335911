"""The built-in Chalice authorizer for staff routes (it also runs under `chalice local` and the tests).

On AWS it is its own Lambda function behind API Gateway, which caches its answer per token for
`ttl_seconds`. A refused token raises `Unauthorized`, which API Gateway answers with 401.
"""

from __future__ import annotations

from collections.abc import Callable
from contextvars import ContextVar

from chalice import AuthResponse, Blueprint, UnauthorizedError
from chalice.app import AuthRequest

from chalicelib.auth.tokens import Principal, TokenError, TokenExpiredError, verify_bearer
from chalicelib.observability import logger

auth_blueprint = Blueprint(__name__)

#: True while the authorizer runs. On AWS it is a function of its own whose answer API Gateway caches per token,
#: so a request's own cost (bench/counting.py) leaves its calls out.
authorizing: ContextVar[bool] = ContextVar("authorizing", default=False)


#: The context an expired (but genuine) token gets: no account, user or role, so no route can act on it;
#: the route wrapper answers 401 saying it expired (API Gateway's own 401 cannot say why).
EXPIRED_CONTEXT = {"token_expired": "true"}


#: The team's view of a token's user: its role, what it may do, or None when it may not sign in at all. The
#: users domain answers it; it sits above this shared layer, so app.py registers it (`resolve_principals_with`).
PrincipalResolver = Callable[[Principal], Principal | None]
_resolver: list[PrincipalResolver] = []


def resolve_principals_with(resolver: PrincipalResolver) -> None:
    _resolver[:] = [resolver]


# API Gateway caches the answer per token for ttl_seconds: a disabled or removed user, or a changed role or
# permission, takes effect for a token already in use within this time.
@auth_blueprint.authorizer(ttl_seconds=60)
def staff_authorizer(auth_request: AuthRequest) -> AuthResponse:
    if not _resolver:
        raise RuntimeError("no principal resolver is registered (app.py wires the users domain's)")
    try:
        principal = verify_bearer(auth_request.token)
    except TokenExpiredError:
        logger.info("token refused", extra={"reason": "expired"})
        return AuthResponse(routes=["*"], principal_id="expired-token", context=dict(EXPIRED_CONTEXT))
    except TokenError as exc:
        logger.info("token refused", extra={"reason": str(exc)})
        # API Gateway turns exactly this message into a 401.
        raise UnauthorizedError("Unauthorized") from exc
    # The team's view of the token's user: its role, what it may do, and whether it may sign in at all.
    token = authorizing.set(True)
    try:
        known = _resolver[0](principal)
    finally:
        authorizing.reset(token)
    if known is None:
        logger.info("token refused", extra={"reason": "user disabled or removed"})
        raise UnauthorizedError("Unauthorized")
    principal = known
    return AuthResponse(routes=["*"], principal_id=principal.user_id, context=principal.as_context())
