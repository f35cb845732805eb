"""Schema compaction keeps what a schema accepts while dropping what the assistant need not read,
and every schema the server publishes passes an Inspector-style strict check (0 warnings)."""

from __future__ import annotations

from typing import Any

import jsonschema
import pytest
from mcp import Client
from mcp.server.elicitation import render_elicitation_schema
from pydantic import BaseModel

from oumi_mcp_server.server.app import build_server
from oumi_mcp_server.server.schemas import (
    compact_schema,
    optional_arguments_without_null,
    shallow_output_schema,
)
from oumi_mcp_server.server.tools_jobs import CancelConsent, LaunchConsent

DRAFT_2020_12 = "https://json-schema.org/draft/2020-12/schema"
# Keywords whose value is one schema, a list of schemas, or a map of names to schemas.
ONE = ("items", "not", "if", "then", "else", "contains", "propertyNames", "unevaluatedItems")
MANY = ("anyOf", "oneOf", "allOf", "prefixItems")
NAMED = ("properties", "$defs", "definitions", "patternProperties", "dependentSchemas")
TYPED_BY = ("type", "enum", "const", "$ref", "anyOf", "oneOf", "allOf")


def _pointer(root: dict[str, Any], ref: str) -> bool:
    node: Any = root
    for part in ref.removeprefix("#/").split("/") if ref != "#" else []:
        if not isinstance(node, dict) or part not in node:
            return False
        node = node[part]
    return True


def strict_warnings(schema: Any, where: str = "#", root: Any = None) -> list[str]:
    """What a strict linter (MCP Inspector `--strict`, strict clients) warns about: an invalid
    2020-12 schema, `type` lists, bare true/false schemas, untyped schemas, arrays without
    `items`, `required` names that are not properties, `$ref`s that do not resolve."""
    root = schema if root is None else root
    if isinstance(schema, bool):
        return [f"{where}: a bare {str(schema).lower()} schema; give it a type"]
    if not isinstance(schema, dict):
        return [f"{where}: not a schema ({type(schema).__name__})"]
    found: list[str] = []
    if where == "#":
        if schema.get("$schema", DRAFT_2020_12) != DRAFT_2020_12:
            found.append(f"#: $schema is {schema['$schema']}, not 2020-12")
        try:
            jsonschema.Draft202012Validator.check_schema(schema)
        except jsonschema.SchemaError as exc:
            found.append(f"#: not valid JSON Schema 2020-12: {exc.message}")
    kind = schema.get("type")
    if isinstance(kind, list):
        found.append(f"{where}: `type` is a list {kind}; use anyOf branches of one type each")
    if not any(key in schema for key in TYPED_BY):
        found.append(f"{where}: no type")
    if kind == "array" and "items" not in schema:
        found.append(f"{where}: an array without `items`")
    props = schema.get("properties", {})
    for name in schema.get("required", []):
        if name not in props:
            found.append(f"{where}: required {name!r} is not a property")
    ref = schema.get("$ref")
    if isinstance(ref, str) and not (ref.startswith("#") and _pointer(root, ref)):
        found.append(f"{where}: $ref {ref} does not resolve in this schema")
    for key in ONE:
        if key in schema:
            found += strict_warnings(schema[key], f"{where}/{key}", root)
    for key in MANY:
        for i, branch in enumerate(schema.get(key, [])):
            found += strict_warnings(branch, f"{where}/{key}/{i}", root)
    for key in NAMED:
        for name, sub in schema.get(key, {}).items():
            found += strict_warnings(sub, f"{where}/{key}/{name}", root)
    extra = schema.get("additionalProperties")
    if isinstance(extra, dict):
        found += strict_warnings(extra, f"{where}/additionalProperties", root)
    return found


def object_root(schema: dict[str, Any], where: str) -> list[str]:
    return [] if schema.get("type") == "object" else [f"{where}: the root is not type object"]


@pytest.mark.anyio
async def test_every_published_schema_passes_the_strict_check() -> None:
    """tools/list input and output schemas and the consent forms' requested schemas: 0 warnings."""
    async with Client(build_server()) as client:
        tools = (await client.list_tools()).tools
    warnings: list[str] = []
    for tool in tools:
        for label, schema in (("input", tool.input_schema), ("output", tool.output_schema)):
            if schema is None:
                continue
            where = f"{tool.name} {label}Schema"
            warnings += object_root(schema, where)
            warnings += [f"{where} {w}" for w in strict_warnings(schema)]
    for form in (LaunchConsent, CancelConsent):
        requested = render_elicitation_schema(form)
        warnings += [f"{form.__name__} {w}" for w in strict_warnings(requested)]
    assert len(tools) >= 16
    assert warnings == []


def test_the_strict_check_finds_what_strict_clients_reject() -> None:
    bad = {
        "type": "object",
        "properties": {
            "name": {"type": ["string", "null"]},
            "data": True,
            "tags": {"type": "array"},
            "blob": {"description": "untyped"},
            "ref": {"$ref": "#/$defs/Missing"},
            "items": {"type": "array", "items": {"anyOf": [{"type": "string"}, False]}},
        },
        "required": ["name", "gone"],
    }
    found = "\n".join(strict_warnings(bad))
    for needle in (
        "properties/name: `type` is a list",
        "properties/data: a bare true schema",
        "properties/tags: an array without `items`",
        "properties/blob: no type",
        "$ref #/$defs/Missing does not resolve",
        "items/anyOf/1: a bare false schema",
        "required 'gone' is not a property",
    ):
        assert needle in found, needle
    assert "not valid JSON Schema 2020-12" in "\n".join(strict_warnings({"type": 3}))
    assert strict_warnings(compact_schema(Outer.model_json_schema())) == []


class Inner(BaseModel):
    step: int | None = None
    loss: float | None = None


class Outer(BaseModel):
    """Prose that the output schema drops."""

    name: str
    count: int | None = None
    inner: Inner | None = None
    items: list[Inner] = []


NULLABLE_INT = {"anyOf": [{"type": "integer"}, {"type": "null"}]}


def test_nullable_union_stays_portable_and_titles_go() -> None:
    schema = compact_schema(Outer.model_json_schema())
    assert schema["properties"]["count"] == NULLABLE_INT
    assert "title" not in schema and "title" not in schema["properties"]["name"]
    assert schema["$defs"]["Inner"]["properties"]["step"] == NULLABLE_INT


def test_optional_arguments_leave_out_null_and_required_ones_keep_it() -> None:
    schema = {
        "type": "object",
        "properties": {
            "job": {"anyOf": [{"type": "string"}, {"type": "null"}], "description": "Id."},
            "limit": {"anyOf": [{"type": "integer"}, {"type": "null"}]},
        },
        "required": ["limit"],
    }
    shown = optional_arguments_without_null(schema)
    assert shown["properties"]["job"] == {"type": "string", "description": "Id."}
    assert shown["properties"]["limit"] == schema["properties"]["limit"]


@pytest.mark.anyio
async def test_an_explicit_null_for_an_optional_argument_is_still_accepted() -> None:
    async with Client(build_server()) as client:
        tools = {t.name: t for t in (await client.list_tools()).tools}
        assert tools["list_jobs"].input_schema["properties"]["status"]["type"] == "string"
        result = await client.call_tool("list_jobs", {"status": None, "cursor": None})
    assert not result.is_error, result.content


def test_a_property_called_title_is_kept() -> None:
    class Titled(BaseModel):
        title: str

    assert "title" in compact_schema(Titled.model_json_schema())["properties"]


def test_shallow_output_schema_accepts_every_valid_answer_and_rejects_wrong_types() -> None:
    schema = shallow_output_schema(Outer.model_json_schema())
    assert "$defs" not in schema and "description" not in schema and "required" not in schema
    assert schema["properties"]["inner"] == {"anyOf": [{"type": "object"}, {"type": "null"}]}
    answer = Outer(name="x", count=2, inner=Inner(step=1), items=[Inner(loss=0.5)])
    jsonschema.validate(answer.model_dump(mode="json"), schema)
    jsonschema.validate(Outer(name="y").model_dump(mode="json"), schema)
    for wrong in ({"name": 3}, {"name": "z", "count": "7"}, {"name": "z", "inner": 1}):
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate(wrong, schema)
