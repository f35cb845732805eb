"""validate_config and pre_flight_check through a real MCP client session."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
from mcp import Client

from oumi_mcp_server.server.app import build_server

CONFIG = """\
model:
  model_name: HuggingFaceTB/SmolLM2-135M
data:
  train:
    datasets:
      - dataset_name: text_sft_jsonl
        dataset_path: data/train.jsonl
training:
  per_device_train_batch_sizes: 2
  output_dir: output/run
"""


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("OUMI_MCP_CONFIGS_AUTO_SYNC", "0")  # no catalog download from suggestions
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "train.jsonl").write_text('{"messages": []}\n')
    (tmp_path / "train.yaml").write_text(CONFIG)
    return tmp_path


@pytest.mark.anyio
async def test_tools_listed_with_annotations_and_terse_schemas() -> None:
    async with Client(build_server()) as client:
        tools = {t.name: t for t in (await client.list_tools()).tools}
    for name in ("validate_config", "pre_flight_check"):
        tool = tools[name]
        assert tool.annotations and tool.annotations.read_only_hint
        assert tool.annotations.destructive_hint is False and tool.output_schema
        assert len(tool.description or "") < 120
        assert (
            len(
                json.dumps(tool.model_dump(exclude_none=True, by_alias=True), separators=(",", ":"))
            )
            < 2400
        )
    assert tools["pre_flight_check"].annotations.open_world_hint is True
    assert tools["validate_config"].annotations.open_world_hint is False


@pytest.mark.anyio
async def test_both_tools_structured_output_matches_schema(project: Path) -> None:
    async with Client(build_server()) as client:
        tools = {t.name: t for t in (await client.list_tools()).tools}
        validated = await client.call_tool(
            "validate_config", {"config": "train.yaml", "client_cwd": str(project)}
        )
        checked = await client.call_tool(
            "pre_flight_check",
            {"config": "train.yaml", "client_cwd": str(project), "cloud": "slurm"},
        )
    for name, result in (("validate_config", validated), ("pre_flight_check", checked)):
        assert not result.is_error and result.structured_content
        jsonschema.validate(result.structured_content, tools[name].output_schema)
        assert len(json.dumps(result.structured_content)) < 8000
    v = validated.structured_content
    assert v["valid"] is False and v["task_type"] == "training"
    unknown = next(f for f in v["findings"] if f["code"] == "unknown_key")
    assert "per_device_train_batch_size" in unknown["message"] and unknown["location"]["line"] == 9
    p = checked.structured_content
    assert p["ready"] is False and "config" in p["checks_run"]
    assert {
        "name": "cloud",
        "reason": "slurm is not a SkyPilot cloud; access is checked at launch",
    } in p["checks_skipped"]


@pytest.mark.anyio
async def test_bad_client_cwd_is_a_structured_error() -> None:
    async with Client(build_server()) as client:
        result = await client.call_tool(
            "pre_flight_check", {"config": "a: 1\n", "client_cwd": "relative"}
        )
    assert result.is_error
    text = result.content[0].text
    error = json.loads(text[text.index("{") :])["error"]
    assert error["code"] == "bad_client_cwd" and error["fix"]
