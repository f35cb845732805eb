"""ASGI guard for the HTTP transport: DNS-rebinding defence (Host/Origin) and a bearer token."""

from __future__ import annotations

import hmac
import ipaddress
import json
from dataclasses import dataclass, field

from starlette.types import ASGIApp, Receive, Scope, Send

LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "[::1]")
_WILDCARD_BINDS = ("0.0.0.0", "::", "")  # noqa: S104 - only ever compared against


def is_loopback(host: str) -> bool:
    """A loopback bind address; a name merely starting with `127.` (127.evil.com) is not one."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def allowed_hosts_for(bind: str) -> tuple[str, ...] | None:
    """Host headers to accept: loopback names plus the bound name; None (any) for a wildcard bind,
    which `HttpGuard` allows only with a bearer token."""
    if bind in _WILDCARD_BINDS:
        return None
    name = f"[{bind}]" if ":" in bind else bind.lower()
    return LOOPBACK_HOSTS if name in LOOPBACK_HOSTS else (*LOOPBACK_HOSTS, name)


def _host_only(value: str) -> str:
    """`Host`/`Origin` authority without its port, lower-cased: `[::1]:80` -> `[::1]`."""
    value = value.strip().lower()
    if value.startswith("["):
        return value.split("]", 1)[0] + "]"
    return value.rsplit(":", 1)[0] if value.count(":") == 1 else value


@dataclass
class HttpGuard:
    """Refuse (403) a foreign Host or Origin; refuse (401) a missing or wrong bearer token.

    `allowed_hosts=None` accepts any Host (a wildcard bind, where clients use whatever name
    reaches the machine); that mode is only offered with a token, which is then the defence.
    An Origin is accepted when it is an allowed host or the very host the request was sent to.
    """

    app: ASGIApp
    allowed_hosts: tuple[str, ...] | None = LOOPBACK_HOSTS
    token: str | None = None
    _token_bytes: bytes = field(init=False, default=b"")

    def __post_init__(self) -> None:
        self._token_bytes = (self.token or "").encode()
        if self.allowed_hosts is None and not self._token_bytes:
            raise ValueError("accepting any Host header needs a bearer token")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        problem = self._check(headers)
        if problem is None:
            await self.app(scope, receive, send)
            return
        status, message = problem
        if scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 1008, "reason": message})
            return
        code = "forbidden" if status == 403 else "unauthorized"
        body = json.dumps({"error": {"code": code, "message": message}}).encode()
        response_headers = [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
        ]
        if status == 401:
            response_headers.append((b"www-authenticate", b'Bearer realm="oumi-mcp-server"'))
        await send({"type": "http.response.start", "status": status, "headers": response_headers})
        await send({"type": "http.response.body", "body": body})

    def _check(self, headers: dict[str, str]) -> tuple[int, str] | None:
        host = _host_only(headers.get("host", ""))
        if not host or (self.allowed_hosts is not None and host not in self.allowed_hosts):
            return 403, "Host header not allowed (DNS rebinding protection)."
        origin = headers.get("origin")
        if origin is not None:
            origin_host = _host_only(origin.split("://", 1)[-1])
            if origin_host != host and origin_host not in (self.allowed_hosts or LOOPBACK_HOSTS):
                return 403, "Origin not allowed (DNS rebinding protection)."
        if self._token_bytes:
            auth = headers.get("authorization", "")
            given = auth[7:].strip().encode() if auth[:7].lower() == "bearer " else b""
            if not hmac.compare_digest(given, self._token_bytes):
                return 401, "Missing or wrong bearer token."
        return None
