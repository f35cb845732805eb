"""Shrink tool schemas without changing what they accept: the assistant reads every byte of them.

pydantic spells `int | None` as `{"anyOf": [{"type": "integer"}, {"type": "null"}], "default":
null, "title": ...}`; the auto title and the null default go. The `anyOf` stays: the shorter
`{"type": ["integer", "null"]}` is legal JSON Schema 2020-12 (MCP's dialect), but several MCP
clients read `type` as one string and reject the tool or drop the constraint (Inspector's
`--strict` warns on every one).
"""

from __future__ import annotations

from typing import Any

from mcp.server.mcpserver import MCPServer

_NAMED_CONTAINERS = frozenset({"properties", "$defs", "patternProperties"})


def compact_schema(node: Any, *, named: bool = False) -> Any:
    """Drop auto titles and null defaults, everywhere but inside maps of names."""
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
    return out


def _without_null(node: Any) -> Any:
    """`{"anyOf": [X, {"type": "null"}], ...}` -> X with the rest of the keys; else `node`."""
    branches = node.get("anyOf") if isinstance(node, dict) else None
    if not isinstance(branches, list) or len(branches) != 2 or {"type": "null"} not in branches:
        return node
    (other,) = [b for b in branches if b != {"type": "null"}]
    if not isinstance(other, dict):
        return node
    return {**{k: v for k, v in node.items() if k != "anyOf"}, **other}


def optional_arguments_without_null(schema: dict[str, Any]) -> dict[str, Any]:
    """An optional argument whose default is null is advertised as its other type alone: leaving
    it out says null, and the shorter schema costs fewer bytes in every session (the tool itself
    still accepts an explicit null)."""
    required = set(schema.get("required", []))
    props = schema.get("properties")
    if not isinstance(props, dict):
        return schema
    shown = {n: p if n in required else _without_null(p) for n, p in props.items()}
    return {**schema, "properties": shown}


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
    """Keep the top-level fields' names and types; drop nested model definitions, prose and
    `required` (an answer is a model dump carrying every field: the list would repeat the names,
    and it pays for the portable `anyOf` spelling of nullable fields)."""
    out = {k: v for k, v in schema.items() if k not in ("$defs", "description", "required")}
    props = schema.get("properties", {})
    out["properties"] = {name: _shallow(prop) for name, prop in props.items()}
    compacted: dict[str, Any] = compact_schema(out)
    return compacted


def compact_tool_schemas(app: MCPServer) -> None:
    for tool in app._tool_manager.list_tools():
        tool.description = " ".join(tool.description.split())
        tool.parameters = optional_arguments_without_null(compact_schema(tool.parameters))
        if tool.output_schema is not None:
            tool.__dict__["output_schema"] = shallow_output_schema(tool.output_schema)
