"""The data tools through a real in-memory MCP client: annotations, schemas, answers, errors."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from mcp import Client

from oumi_mcp_server.server.app import build_server

ROW = {"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "yo"}]}


async def _call(name: str, args: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
    async with Client(build_server()) as client:
        tools = {t.name: t for t in (await client.list_tools()).tools}
        result = await client.call_tool(name, args)
    return result, tools[name].model_dump(by_alias=True, exclude_none=True)


@pytest.mark.anyio
async def test_inspect_is_read_only_and_names_broken_lines(tmp_path: Path) -> None:
    (tmp_path / "d.jsonl").write_text(json.dumps(ROW) + "\n{oops\n")
    result, tool = await _call("inspect_dataset", {"client_cwd": str(tmp_path), "path": "d.jsonl"})
    assert not result.is_error, result.content[0].text
    assert tool["annotations"]["readOnlyHint"] is True
    jsonschema.validate(result.structured_content, tool["outputSchema"])
    assert len(result.content[0].text) <= 8192
    issues = result.structured_content["issues"]
    assert [(i["kind"], i["at"]) for i in issues] == [("bad_json", ["line 2"])]
    assert sorted(os.listdir(tmp_path)) == ["d.jsonl"]


@pytest.mark.anyio
async def test_prepare_writes_a_new_folder_and_refuses_outside(tmp_path: Path) -> None:
    (tmp_path / "d.jsonl").write_text((json.dumps(ROW) + "\n") * 3)
    args = {"client_cwd": str(tmp_path), "inputs": ["d.jsonl"], "output_dir": "out"}
    result, tool = await _call("prepare_dataset", args)
    assert not result.is_error, result.content[0].text
    ann = tool["annotations"]
    assert (ann["readOnlyHint"], ann["destructiveHint"], ann["idempotentHint"]) == (
        False,
        False,
        False,
    )
    jsonschema.validate(result.structured_content, tool["outputSchema"])
    assert result.structured_content["files"] == {"train.jsonl": 1}
    for output, code in (("out", "output_exists"), ("/tmp/x", "output_outside_workspace")):
        result, _ = await _call("prepare_dataset", {**args, "output_dir": output})
        assert result.is_error
        assert json.loads(result.content[0].text)["error"]["code"] == code
