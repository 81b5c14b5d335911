"""boto3 clients: made on first use, once per process, shared by every request of a warm Lambda.

boto3 itself is imported here lazily too: importing it costs more than the rest of the app together,
and a cold start that never touches AWS (a 401, the OpenAPI document) should not pay for it.
Endpoints come from the standard variables (`AWS_ENDPOINT_URL`, `AWS_ENDPOINT_URL_S3`, ...), so the same
code talks to AWS, moto or any compatible server.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any, Literal, overload

from chalicelib.settings import get_settings

if TYPE_CHECKING:  # pragma: no cover
    import boto3
    from mypy_boto3_cognito_idp import CognitoIdentityProviderClient
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_sesv2 import SESV2Client
    from mypy_boto3_sns import SNSClient
    from mypy_boto3_sqs import SQSClient

#: The AWS services the app calls (each typed by its boto3-stubs package below).
Service = Literal["cognito-idp", "dynamodb", "s3", "sesv2", "sns", "sqs"]

_lock = threading.Lock()
_session: boto3.session.Session | None = None
_clients: dict[str, Any] = {}


def _boto_session() -> boto3.session.Session:
    global _session
    if _session is None:
        import boto3

        _session = boto3.session.Session(region_name=get_settings().region)
    return _session


@overload
def client(service: Literal["cognito-idp"]) -> CognitoIdentityProviderClient: ...
@overload
def client(service: Literal["dynamodb"]) -> DynamoDBClient: ...
@overload
def client(service: Literal["s3"]) -> S3Client: ...
@overload
def client(service: Literal["sesv2"]) -> SESV2Client: ...
@overload
def client(service: Literal["sns"]) -> SNSClient: ...
@overload
def client(service: Literal["sqs"]) -> SQSClient: ...


def client(service: Service) -> Any:
    """The process-wide client for `service` (dynamodb, s3, sqs, sesv2, ...)."""
    found = _clients.get(service)
    if found is not None:
        return found
    with _lock:
        if service not in _clients:
            from botocore.config import Config

            config = Config(
                retries={"mode": "standard", "max_attempts": 4},
                s3={"addressing_style": "path"} if service == "s3" else None,
                signature_version="s3v4" if service == "s3" else None,
            )
            _clients[service] = _boto_session().client(service, config=config)
        return _clients[service]


def reset_clients() -> None:
    """Forget every client (the environment changed: tests, the local stack)."""
    global _session
    with _lock:
        _clients.clear()
        _session = None
