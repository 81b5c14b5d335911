"""The test helpers' own boto3 clients, one per service and test process.

Making a boto3 client costs more than most of the calls a helper makes with it (about 14 ms), and helpers such as
`events.drain` or `audit.snapshot` run many times a test. moto answers every client's requests while a mock is
active, so a client made under one module's `mock_aws` serves the next module's too. The app's own clients
(`chalicelib.aws`, where tests inject faults) are not these.
"""

from __future__ import annotations

from typing import Any

_CLIENTS: dict[str, Any] = {}


def client(service: str) -> Any:
    if service not in _CLIENTS:
        import boto3

        _CLIENTS[service] = boto3.client(service)
    return _CLIENTS[service]
