"""MCP tools for the clusters capability."""

from __future__ import annotations

from mcp.server.mcpserver import MCPServer


def register(app: MCPServer) -> None:
    """Add this capability's tools and resources to `app`."""
