"""Run the server over stdio or streamable HTTP."""

from __future__ import annotations

import logging

from oumi_mcp_server.core.http_token import HttpToken
from oumi_mcp_server.server.app import build_server
from oumi_mcp_server.server.http_guard import HttpGuard, allowed_hosts_for, is_loopback
from oumi_mcp_server.server.http_sessions import MAX_SESSIONS, SESSION_IDLE_TIMEOUT_S, SessionCap

logger = logging.getLogger(__name__)

__all__ = ["allowed_hosts_for", "is_loopback", "serve_http", "serve_stdio"]


def serve_stdio() -> None:
    """The SDK diverts fd 1 to stderr while serving, so stray prints never reach the wire."""
    build_server().run("stdio")


def serve_http(host: str, port: int, token: HttpToken) -> None:
    """Every request needs `token` (loopback too); sessions are capped per client."""
    import uvicorn
    from mcp.server.transport_security import TransportSecuritySettings

    starlette_app = build_server().streamable_http_app(
        transport_security=TransportSecuritySettings(enable_dns_rebinding_protection=False),
        host=host,
        session_idle_timeout=SESSION_IDLE_TIMEOUT_S,
        max_sessions=MAX_SESSIONS,
    )
    guarded = HttpGuard(
        SessionCap(starlette_app), token=token, allowed_hosts=allowed_hosts_for(host)
    )
    if not is_loopback(host):
        logger.warning(
            "HTTP is not encrypted: off this machine the token travels in clear text. Prefer "
            "binding 127.0.0.1 and an SSH tunnel (ssh -L %d:127.0.0.1:%d <this host>).",
            port,
            port,
        )
    logger.info("serving MCP over HTTP on http://%s:%d/mcp", host, port)
    uvicorn.run(guarded, host=host, port=port, log_level="warning", log_config=None)
