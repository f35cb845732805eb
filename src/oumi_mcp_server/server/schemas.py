"""Shrink tool schemas without changing what they accept: the assistant reads every byte of them.

pydantic spells `int | None` as `{"anyOf": [{"type": "integer"}, {"type": "null"}], "default":
null, "title": ...}`; the same constraint is `{"type": ["integer", "null"]}`.
"""

from __future__ import annotations

from typing import Any

from mcp.server.mcpserver import MCPServer

_NAMED_CONTAINERS = frozenset({"properties", "$defs", "patternProperties"})


def _merge_nullable(node: dict[str, Any]) -> dict[str, Any]:
    branches = node.get("anyOf")
    if not isinstance(branches, list) or len(branches) != 2 or {"type": "null"} not in branches:
        return node
    (other,) = [b for b in branches if b != {"type": "null"}]
    if not isinstance(other, dict) or not isinstance(other.get("type"), str):
        return node
    merged = {k: v for k, v in node.items() if k != "anyOf"}
    merged.update(other)
    merged["type"] = [other["type"], "null"]
    return merged


def compact_schema(node: Any, *, named: bool = False) -> Any:
    """Drop auto titles and null defaults; fold nullable unions into a type list."""
    if isinstance(node, list):
        return [compact_schema(item) for item in node]
    if not isinstance(node, dict):
        return node
    if named:
        return {key: compact_schema(value) for key, value in node.items()}
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key == "title" and isinstance(value, str):
            continue
        if key == "default" and value is None:
            continue
        out[key] = compact_schema(value, named=key in _NAMED_CONTAINERS)
    return _merge_nullable(out)


def _shallow(node: Any) -> Any:
    """Nested models become plain objects: their fields are named in every answer anyway."""
    if isinstance(node, list):
        return [_shallow(item) for item in node]
    if not isinstance(node, dict):
        return node
    if "$ref" in node:
        return {"type": "object"}
    return {k: _shallow(v) for k, v in node.items() if k != "description"}


def shallow_output_schema(schema: dict[str, Any]) -> dict[str, Any]:
    """Keep the top-level fields' names and types; drop nested model definitions and prose."""
    out = {k: v for k, v in schema.items() if k not in ("$defs", "description")}
    props = schema.get("properties", {})
    out["properties"] = {name: _shallow(prop) for name, prop in props.items()}
    compacted: dict[str, Any] = compact_schema(out)
    return compacted


def compact_tool_schemas(app: MCPServer) -> None:
    for tool in app._tool_manager.list_tools():
        tool.description = " ".join(tool.description.split())
        tool.parameters = compact_schema(tool.parameters)
        if tool.output_schema is not None:
            tool.__dict__["output_schema"] = shallow_output_schema(tool.output_schema)
