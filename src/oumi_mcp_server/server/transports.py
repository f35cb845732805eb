"""Run the server over stdio or streamable HTTP."""

from __future__ import annotations

import logging

from oumi_mcp_server.server.app import build_server
from oumi_mcp_server.server.http_guard import HttpGuard, allowed_hosts_for, is_loopback

logger = logging.getLogger(__name__)


def serve_stdio() -> None:
    """The SDK diverts fd 1 to stderr while serving, so stray prints never reach the wire."""
    build_server().run("stdio")


def serve_http(host: str, port: int, token: str | None) -> None:
    import uvicorn
    from mcp.server.transport_security import TransportSecuritySettings

    if not is_loopback(host) and not token:
        raise SystemExit(
            f"Refusing to bind {host} without a bearer token: pass --token or set OUMI_MCP_TOKEN."
        )
    starlette_app = build_server().streamable_http_app(
        transport_security=TransportSecuritySettings(enable_dns_rebinding_protection=False),
        host=host,
    )
    guarded = HttpGuard(starlette_app, allowed_hosts=allowed_hosts_for(host), token=token)
    logger.info("serving MCP over HTTP on http://%s:%d/mcp", host, port)
    uvicorn.run(guarded, host=host, port=port, log_level="warning", log_config=None)
