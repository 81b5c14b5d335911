"""A test client for the Chalice app, through the same local gateway the local stack serves with."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from chalice.config import Config

from infra.local.gateway import ContractGateway


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: bytes

    @property
    def json(self) -> Any:
        return json.loads(self.body) if self.body else None

    @property
    def error_code(self) -> str | None:
        data = self.json
        return data.get("error", {}).get("code") if isinstance(data, dict) else None

    def __repr__(self) -> str:
        return f"Reply({self.status}, {self.body[:300]!r})"


class ApiClient:
    def __init__(self, app: Any, token: str | None = None) -> None:
        self._gateway = ContractGateway(app, Config.create())
        self.token = token

    def with_token(self, token: str | None) -> ApiClient:
        other = ApiClient.__new__(ApiClient)
        other._gateway = self._gateway
        other.token = token
        return other

    def request(
        self,
        method: str,
        path: str,
        json_body: Any = None,
        *,
        raw: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> Reply:
        all_headers = {"content-type": "application/json"}
        if self.token:
            all_headers["authorization"] = f"Bearer {self.token}"
        all_headers.update({k.lower(): v for k, v in (headers or {}).items()})
        body = raw if raw is not None else (json.dumps(json_body).encode() if json_body is not None else b"")
        response = self._gateway.handle_request(method=method.upper(), path=path, headers=all_headers, body=body)
        payload = response.get("body") or b""
        if isinstance(payload, str):
            payload = payload.encode()
        return Reply(status=response["statusCode"], headers=response.get("headers", {}), body=payload)

    def get(self, path: str, **kwargs: Any) -> Reply:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, json_body: Any = None, **kwargs: Any) -> Reply:
        return self.request("POST", path, json_body, **kwargs)

    def patch(self, path: str, json_body: Any = None, **kwargs: Any) -> Reply:
        return self.request("PATCH", path, json_body, **kwargs)

    def put(self, path: str, json_body: Any = None, **kwargs: Any) -> Reply:
        return self.request("PUT", path, json_body, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> Reply:
        return self.request("DELETE", path, **kwargs)
