"""get_docs and list_modules through a real in-memory MCP client: annotations, structured
output that matches its schema, bounded answers, structured errors (that no oumi import happens
is tested in a fresh process: tests/oumi_index/test_build.py)."""

from __future__ import annotations

import json
from typing import Any

import jsonschema
import pytest
from mcp import Client

from oumi_mcp_server.server.app import build_server


async def _call(name: str, args: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
    async with Client(build_server()) as client:
        tools = {t.name: t for t in (await client.list_tools()).tools}
        result = await client.call_tool(name, args)
    return result, tools[name].model_dump(by_alias=True, exclude_none=True)


def _ok(result: Any, tool: dict[str, Any]) -> dict[str, Any]:
    assert not result.is_error, result.content[0].text
    jsonschema.validate(result.structured_content, tool["outputSchema"])
    assert len(result.content[0].text) <= 8192
    return dict(result.structured_content)


@pytest.mark.anyio
async def test_get_docs_answers_a_field_with_its_yaml_key() -> None:
    result, tool = await _call("get_docs", {"query": "lora_r"})
    answer = _ok(result, tool)
    top = answer["results"][0]
    assert top["kind"] == "field" and top["qualname"].endswith("PeftParams.lora_r")
    assert any(k.endswith("peft.lora_r") for k in top["yaml_keys"])
    assert tool["annotations"] == {
        "readOnlyHint": True,
        "destructiveHint": False,
        "idempotentHint": True,
        "openWorldHint": False,
    }


@pytest.mark.anyio
async def test_get_docs_filters_and_limits() -> None:
    result, tool = await _call("get_docs", {"query": "alpaca", "kind": "dataset", "limit": 3})
    answer = _ok(result, tool)
    assert 1 <= len(answer["results"]) <= 3 and {r["kind"] for r in answer["results"]} == {
        "dataset"
    }


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("args", "code"),
    [({"query": "lora", "kind": "recipe"}, "bad_kind"), ({"query": ""}, "empty_query")],
)
async def test_get_docs_errors_are_pure_json(args: dict[str, Any], code: str) -> None:
    result, _ = await _call("get_docs", args)
    assert result.is_error
    error = json.loads(result.content[0].text)["error"]
    assert error["code"] == code and error["fix"]


@pytest.mark.anyio
async def test_list_modules_maps_the_installed_oumi() -> None:
    result, tool = await _call("list_modules", {})
    answer = _ok(result, tool)
    assert answer["config_kinds"]["training"] == "TrainingConfig"
    assert answer["registries"]["dataset"] > 50 and answer["packages"]
