"""ASGI guard for every HTTP surface: DNS-rebinding defence (Host/Origin) and the bearer token."""

from __future__ import annotations

import hmac
import ipaddress
import json
import re
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, urlencode

from starlette.types import ASGIApp, Receive, Scope, Send

from oumi_mcp_server.core.http_token import HttpToken

LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "[::1]")
_WILDCARD_BINDS = ("0.0.0.0", "::", "")  # noqa: S104 - only ever compared against
COOKIE = "oumi_mcp_dashboard"
_DEFAULT_PORTS = {"http": 80, "https": 443}
_WEB_SCHEME = {"http": "http", "https": "https", "ws": "http", "wss": "https"}
_ORIGIN = re.compile(r"([a-z][a-z0-9+.-]*)://([^/?#@\s]+)")
Authority = tuple[str, int | None]


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
    where the token is the defence."""
    if bind in _WILDCARD_BINDS:
        return None
    name = f"[{bind}]" if ":" in bind else bind.lower()
    return LOOPBACK_HOSTS if name in LOOPBACK_HOSTS else (*LOOPBACK_HOSTS, name)


def split_authority(value: str) -> Authority | None:
    """`host[:port]` lower-cased and split: `[::1]:80` -> ("[::1]", 80); None when malformed."""
    value = value.strip().lower()
    if value.startswith("["):
        host, closed, rest = value.partition("]")
        host += "]"
        if not closed or (rest and not rest.startswith(":")):
            return None
        port_text = rest[1:] if rest else None
    elif value.count(":") > 1:  # a bare IPv6 address is not a valid authority
        return None
    else:
        host, colon, port_text_or_empty = value.partition(":")
        port_text = port_text_or_empty if colon else None
    if not host or host == "[]":
        return None
    if port_text is None:
        return host, None
    if not (port_text.isascii() and port_text.isdigit()) or not 0 < int(port_text) < 65536:
        return None
    return host, int(port_text)


def _with_port(authority: Authority, scheme: str) -> tuple[str, int | None]:
    host, port = authority
    return host, port if port is not None else _DEFAULT_PORTS.get(scheme)


def _cookie(headers: dict[str, str], name: str) -> str:
    for part in headers.get("cookie", "").split(";"):
        key, sep, value = part.strip().partition("=")
        if sep and key == name:
            return value
    return ""


def _query(scope: Scope) -> list[tuple[str, str]]:
    return parse_qsl(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True)


def _query_token(scope: Scope) -> str | None:
    return next((v for k, v in _query(scope) if k == "token"), None)


def _same_place_without_token(scope: Scope) -> str:
    """The request's own path and query minus `token`: a relative redirect that stays here."""
    raw: bytes = scope.get("raw_path") or scope["path"].encode()
    path = "/" + raw.decode("latin-1").lstrip("/\\")  # never `//host`, a redirect elsewhere
    kept = [(k, v) for k, v in _query(scope) if k != "token"]
    return path + (f"?{urlencode(kept)}" if kept else "")


@dataclass
class HttpGuard:
    """Refuse (403) a foreign Host or Origin; refuse (401) a request without the token.

    `allowed_hosts=None` accepts any Host (a wildcard bind, where clients use whatever name
    reaches the machine). An Origin must have the request's scheme and port, and name an allowed
    host or the very host the request was sent to. With `browser_login` (the dashboard: a browser
    cannot send a bearer header when it navigates), `GET ...?token=<token>` sets an HttpOnly,
    SameSite=Strict cookie derived from the token and redirects to the same URL without it; the
    cookie then stands in for the header.
    """

    app: ASGIApp
    token: HttpToken
    allowed_hosts: tuple[str, ...] | None = LOOPBACK_HOSTS
    browser_login: bool = False
    _token_bytes: bytes = field(init=False, default=b"")
    _cookie_bytes: bytes = field(init=False, default=b"")

    def __post_init__(self) -> None:
        self._token_bytes = self.token.value.encode()
        self._cookie_bytes = self.token.cookie_value().encode()

    @property
    def fix(self) -> str:
        """How a refused client gets in (the 401 answer's `fix`)."""
        where = self.token.where
        if self.browser_login:
            return (
                "Open the URL `oumi-mcp-server dashboard` prints, or add ?token=<token> to this "
                f"URL once; the token is in {where}. Scripts send 'Authorization: Bearer <token>'."
            )
        return (
            f"Send the header 'Authorization: Bearer <token>' with the token in {where}. "
            "`oumi-mcp-server init <client> --http` writes it into a client's config."
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        scheme = _WEB_SCHEME.get(scope.get("scheme", "http"), "http")
        login = _query_token(scope) if self.browser_login and scope["type"] == "http" else None
        problem = self.foreign(scheme, headers)
        if problem is None and login is not None:
            problem = await self._login(login, scope, send)
            if problem is None:
                return
        elif problem is None:
            problem = self.unauthorized(headers)
        if problem is None:
            await self.app(scope, receive, send)
            return
        status, message = problem
        if scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 1008, "reason": message})
            return
        error: dict[str, str] = {"code": "forbidden" if status == 403 else "unauthorized"}
        error["message"] = message
        if status == 401:
            error["fix"] = self.fix
        extra = [(b"www-authenticate", b'Bearer realm="oumi-mcp-server"')] if status == 401 else []
        await send_json(send, status, {"error": error}, extra)

    def foreign(self, scheme: str, headers: dict[str, str]) -> tuple[int, str] | None:
        """403 for a Host that is not this server's, or an Origin of another site."""
        host = split_authority(headers.get("host", ""))
        if host is None or (self.allowed_hosts is not None and host[0] not in self.allowed_hosts):
            return 403, "Host header not allowed (DNS rebinding protection)."
        origin = headers.get("origin")
        if origin is not None and not self._origin_ok(origin, scheme, host):
            return 403, "Origin not allowed: scheme, host and port must be this server's."
        return None

    def unauthorized(self, headers: dict[str, str]) -> tuple[int, str] | None:
        """401 unless the bearer header (or, for the dashboard, the cookie) holds the token."""
        auth = headers.get("authorization", "")
        given = auth[7:].strip().encode() if auth[:7].lower() == "bearer " else b""
        if hmac.compare_digest(given, self._token_bytes):
            return None
        cookie = _cookie(headers, COOKIE).encode() if self.browser_login else b""
        if cookie and hmac.compare_digest(cookie, self._cookie_bytes):
            return None
        return 401, "Wrong bearer token." if given else "This server needs its bearer token."

    def _origin_ok(self, origin: str, scheme: str, host: Authority) -> bool:
        """Same scheme and port as the request; the host it was sent to, or an allowed name."""
        match = _ORIGIN.fullmatch(origin.strip().lower())
        authority = split_authority(match.group(2)) if match else None
        if match is None or authority is None:
            return False  # includes `null` (sandboxed frames, file://)
        origin_host, origin_port = _with_port(authority, match.group(1))
        request_host, request_port = _with_port(host, scheme)
        if match.group(1) != scheme or origin_port != request_port:
            return False
        return origin_host == request_host or origin_host in (self.allowed_hosts or LOOPBACK_HOSTS)

    async def _login(self, given: str, scope: Scope, send: Send) -> tuple[int, str] | None:
        """`?token=` right: set the cookie and redirect without the token; wrong: a 401."""
        if not hmac.compare_digest(given.strip().encode(), self._token_bytes):
            return 401, "Wrong token in the URL."
        cookie = f"{COOKIE}={self.token.cookie_value()}; Path=/; HttpOnly; SameSite=Strict"
        location = _same_place_without_token(scope)
        await send(
            {
                "type": "http.response.start",
                "status": 303,
                "headers": [
                    (b"location", location.encode("latin-1")),
                    (b"set-cookie", cookie.encode()),
                    (b"cache-control", b"no-store"),
                    (b"referrer-policy", b"no-referrer"),
                    (b"content-length", b"0"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": b""})
        return None


async def send_json(
    send: Send, status: int, body: object, extra: list[tuple[bytes, bytes]] | None = None
) -> None:
    """A complete JSON answer (the guard's refusals, the session cap's)."""
    data = json.dumps(body).encode()
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(data)).encode()),
        (b"cache-control", b"no-store"),
        *(extra or []),
    ]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": data})
