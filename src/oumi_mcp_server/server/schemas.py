"""Shrink tool schemas: the assistant reads every byte of `tools/list`."""

from __future__ import annotations

from typing import Any

from mcp.server.mcpserver import MCPServer

_DROP_KEYS = frozenset({"title"})


def _compact(node: Any, *, in_properties: bool = False) -> Any:
    if isinstance(node, dict):
        out: dict[str, Any] = {}
        for key, value in node.items():
            if key in _DROP_KEYS and not in_properties and isinstance(value, str):
                continue
            out[key] = _compact(value, in_properties=(key in ("properties", "$defs")))
        return out
    if isinstance(node, list):
        return [_compact(item) for item in node]
    return node


def compact_tool_schemas(app: MCPServer) -> None:
    """Drop pydantic's auto-generated `title`s from every tool's input and output schema."""
    for tool in app._tool_manager.list_tools():
        tool.parameters = _compact(tool.parameters)
        if tool.output_schema is not None:
            tool.__dict__["output_schema"] = _compact(tool.output_schema)
