"""The recipe tools through a real in-memory MCP client: schemas, annotations, answers, errors."""

from __future__ import annotations

import io
import json
import socket
import tarfile
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from mcp import Client

from oumi_mcp_server.recipes import service, source, sync
from oumi_mcp_server.server.app import build_server

TOOLS = ("search_configs", "get_config", "list_categories", "sync_configs")
TRAIN = (
    "# LoRA config for Llama 3.1 8B.\nmodel:\n  model_name: meta-llama/Llama-3.1-8B-Instruct\n"
    "training:\n  trainer_type: TRL_SFT\n  use_peft: true\npeft:\n  lora_r: 8\n"
)


@pytest.fixture(autouse=True)
def catalog(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "configs"
    files = {
        "recipes/llama3_1/sft/8b_lora/train.yaml": TRAIN,
        "recipes/llama3_1/evaluation/eval.yaml": (
            "# Eval.\nmodel: {model_name: meta-llama/Llama-3.1-8B}\ntasks: [{task_name: mmlu}]\n"
        ),
        "recipes/qwen3/sft/train.yaml": TRAIN.replace(
            "meta-llama/Llama-3.1-8B-Instruct", "Qwen/Qwen3-0.6B"
        ),
        "examples/big.yaml": "# Big.\n" + "".join(f"k{i}: '{'y' * 70}'\n" for i in range(300)),
    }
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    (root / "examples" / "blob.bin").write_bytes(b"\x00\xff\x00junk")
    monkeypatch.setenv(source.CONFIGS_DIR_ENV, str(root))
    monkeypatch.setenv(source.AUTO_SYNC_ENV, "0")
    monkeypatch.setattr(source, "BACKGROUND", source.BackgroundSync())
    service.reload()
    return root


async def _call(name: str, args: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
    async with Client(build_server()) as client:
        tools = {t.name: t for t in (await client.list_tools()).tools}
        result = await client.call_tool(name, args)
    return result, tools[name].model_dump(by_alias=True, exclude_none=True)


def _ok(result: Any, tool: dict[str, Any]) -> dict[str, Any]:
    assert not result.is_error, result.content[0].text
    jsonschema.validate(result.structured_content, tool["outputSchema"])
    assert len(result.content[0].text) <= 8192
    assert len(json.dumps(result.structured_content)) <= 8192
    return dict(result.structured_content)


def _error(result: Any) -> dict[str, Any]:
    assert result.is_error
    text = result.content[0].text
    return dict(json.loads(text[text.index("{") :])["error"])


@pytest.mark.anyio
async def test_tools_are_listed_small_with_annotations() -> None:
    async with Client(build_server()) as client:
        tools = {t.name: t for t in (await client.list_tools()).tools}
    mine = [tools[name] for name in TOOLS]
    sizes = [len(t.model_dump_json(by_alias=True, exclude_none=True)) for t in mine]
    assert sum(sizes) / len(sizes) < 1150, sizes
    for tool in mine:
        assert tool.output_schema and tool.annotations is not None
        assert tool.annotations.destructive_hint is False
    for name in TOOLS[:3]:
        assert tools[name].annotations.read_only_hint is True
        assert tools[name].annotations.open_world_hint is False
    sync_tool = tools["sync_configs"].annotations
    assert sync_tool.read_only_hint is False and sync_tool.open_world_hint is True


@pytest.mark.anyio
async def test_search_configs() -> None:
    result, tool = await _call("search_configs", {"query": "llama lora", "task": "sft"})
    answer = _ok(result, tool)
    assert answer["results"][0]["path"] == "recipes/llama3_1/sft/8b_lora/train.yaml"
    assert answer["results"][0]["peft"] == "lora"
    result, tool = await _call("search_configs", {"model": "qwen3"})
    assert [r["path"] for r in _ok(result, tool)["results"]] == ["recipes/qwen3/sft/train.yaml"]
    result, tool = await _call("search_configs", {"query": "llama", "limit": 10_000})
    assert "clamped" in _ok(result, tool)["note"]


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("args", "code"),
    [
        ({"query": ""}, "empty_query"),
        ({"query": "llama", "limit": 0}, "bad_limit"),
        ({"query": "llama", "task": "astrology"}, "unknown_task"),
    ],
)
async def test_search_configs_bad_input(args: dict[str, Any], code: str) -> None:
    result, _ = await _call("search_configs", args)
    error = _error(result)
    assert error["code"] == code and error["fix"]


@pytest.mark.anyio
async def test_get_config(catalog: Path) -> None:
    result, tool = await _call("get_config", {"path": "recipes/llama3_1/sft/8b_lora/train.yaml"})
    answer = _ok(result, tool)
    assert answer["content"] == TRAIN and answer["matched"] == "exact" and not answer["truncated"]
    result, tool = await _call("get_config", {"path": "examples/big.yaml"})
    big = _ok(result, tool)
    assert big["truncated"] and len(big["content"]) <= 6000
    result, tool = await _call("get_config", {"path": "qwen3/sft"})
    assert _ok(result, tool)["matched"] == "best"


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("path", "code"),
    [
        ("recipes/llama3_1/sft/8b_lora/trian.yaml", "unknown_path"),
        ("recipes/llama3_1", "is_directory"),
        ("examples/blob.bin", "binary_file"),
    ],
)
async def test_get_config_bad_paths(path: str, code: str) -> None:
    result, _ = await _call("get_config", {"path": path})
    error = _error(result)
    assert error["code"] == code
    if code == "unknown_path":
        assert "recipes/llama3_1/sft/8b_lora/train.yaml" in error["details"]["candidates"]


@pytest.mark.anyio
async def test_list_categories() -> None:
    result, tool = await _call("list_categories", {})
    answer = _ok(result, tool)
    assert answer["total"] == 4 and answer["tasks"]["sft"] == 2
    assert answer["families"] == {"llama3_1": 2, "qwen3": 1}


def _archive() -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        data = TRAIN.encode()
        info = tarfile.TarInfo("oumi-0.9/configs/recipes/llama3_1/sft/8b_lora/train.yaml")
        info.size = len(data)
        archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


@pytest.mark.anyio
async def test_sync_configs_with_a_fake_archive(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(source.CONFIGS_DIR_ENV)
    monkeypatch.setattr(sync, "oumi_version", lambda: "0.9")
    (tmp_path / "refs" / "tags").mkdir(parents=True)
    (tmp_path / "refs" / "tags" / "v0.9.tar.gz").write_bytes(_archive())
    monkeypatch.setenv(sync.ARCHIVE_URL_ENV, f"file://{tmp_path}/{{ref}}.tar.gz")
    result, tool = await _call("sync_configs", {"force": True})
    answer = _ok(result, tool)
    assert answer["state"] == "synced" and answer["files"] == 1
    result, tool = await _call("search_configs", {"query": "llama"})
    assert _ok(result, tool)["source"].startswith("cache of oumi v0.9")


@pytest.mark.anyio
async def test_sync_configs_offline_fails_with_a_clear_status(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv(source.CONFIGS_DIR_ENV)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    monkeypatch.setenv(sync.ARCHIVE_URL_ENV, f"http://127.0.0.1:{port}/{{ref}}.tar.gz")
    result, tool = await _call("sync_configs", {})
    answer = _ok(result, tool)
    assert answer["state"] == "failed" and "Could not download" in answer["message"]
    result, _ = await _call("search_configs", {"query": "llama"})
    error = _error(result)
    assert error["code"] == "no_recipes" and "last download failed" in error["message"]
