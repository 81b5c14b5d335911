"""The built-in Chalice authorizer for staff routes (it also runs under `chalice local` and the tests).

On AWS it is its own Lambda function behind API Gateway, which caches its answer per token for
`ttl_seconds`. A refused token raises `Unauthorized`, which API Gateway answers with 401.
"""

from __future__ import annotations

from chalice import AuthResponse, Blueprint, UnauthorizedError
from chalice.app import AuthRequest

from chalicelib.auth.tokens import TokenError, verify_bearer
from chalicelib.observability import logger

auth_blueprint = Blueprint(__name__)


@auth_blueprint.authorizer(ttl_seconds=300)
def staff_authorizer(auth_request: AuthRequest) -> AuthResponse:
    try:
        principal = verify_bearer(auth_request.token)
    except TokenError as exc:
        logger.info("token refused", extra={"reason": str(exc)})
        # API Gateway turns exactly this message into a 401.
        raise UnauthorizedError("Unauthorized") from exc
    return AuthResponse(routes=["*"], principal_id=principal.user_id, context=principal.as_context())
