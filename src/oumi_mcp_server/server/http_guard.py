"""ASGI guard for the HTTP transport: DNS-rebinding defence (Host/Origin) and a bearer token."""

from __future__ import annotations

import hmac
import json
from dataclasses import dataclass, field

from starlette.types import ASGIApp, Receive, Scope, Send

LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "[::1]")


def _host_only(value: str) -> str:
    if value.startswith("["):
        return value.split("]", 1)[0] + "]"
    return value.rsplit(":", 1)[0] if value.count(":") == 1 else value


@dataclass
class HttpGuard:
    """Refuse (403) a foreign Host or Origin; refuse (401) a missing or wrong bearer token."""

    app: ASGIApp
    allowed_hosts: tuple[str, ...] = LOOPBACK_HOSTS
    token: str | None = None
    _token_bytes: bytes = field(init=False, default=b"")

    def __post_init__(self) -> None:
        self._token_bytes = (self.token or "").encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        problem = self._check(headers)
        if problem is not None:
            status, message = problem
            body = json.dumps({"error": {"code": "forbidden" if status == 403 else "unauthorized",
                                         "message": message}}).encode()
            await send({"type": "http.response.start", "status": status,
                        "headers": [(b"content-type", b"application/json")]})
            await send({"type": "http.response.body", "body": body})
            return
        await self.app(scope, receive, send)

    def _check(self, headers: dict[str, str]) -> tuple[int, str] | None:
        host = _host_only(headers.get("host", ""))
        if host not in self.allowed_hosts:
            return 403, "Host header not allowed (DNS rebinding protection)."
        origin = headers.get("origin")
        if origin:
            origin_host = _host_only(origin.split("://", 1)[-1])
            if origin_host not in self.allowed_hosts:
                return 403, "Origin not allowed (DNS rebinding protection)."
        if self._token_bytes:
            auth = headers.get("authorization", "")
            given = auth[7:].encode() if auth.lower().startswith("bearer ") else b""
            if not hmac.compare_digest(given, self._token_bytes):
                return 401, "Missing or wrong bearer token."
        return None
