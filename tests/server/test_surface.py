"""The MCP surface as a client sees it: light to start, every tool annotated and typed."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from mcp import Client

from oumi_mcp_server.server.app import build_server
from testsupport import subprocess_env

_LIST_TOOLS_AND_REPORT = """
import json, sys
import anyio
from mcp import Client
from oumi_mcp_server.server.app import build_server

async def main():
    async with Client(build_server()) as client:
        tools = (await client.list_tools()).tools
        await client.list_resources()
        await client.list_prompts()
    return len(tools)

count = anyio.run(main)
# oumi.core.configs is what the issue names; CONTRIBUTING forbids importing oumi at all at start.
heavy = sorted(m for m in sys.modules
               if m.split(".")[0] in ("torch", "transformers", "sky", "datasets", "oumi"))
print(json.dumps({"tools": count, "heavy": heavy}))
"""


def test_listing_tools_imports_nothing_heavy() -> None:
    """In a fresh interpreter, tools/list must not pull torch, transformers, oumi, sky, datasets."""
    done = subprocess.run(
        [sys.executable, "-c", _LIST_TOOLS_AND_REPORT],
        capture_output=True,
        text=True,
        env=subprocess_env(),
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["tools"] >= 1
    assert report["heavy"] == [], f"heavy modules imported at start: {report['heavy'][:20]}"


def test_the_lightness_probe_sees_a_heavy_import() -> None:
    probe = _LIST_TOOLS_AND_REPORT.replace(
        "count = anyio.run(main)", "import datasets\ncount = anyio.run(main)"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe],
        capture_output=True,
        text=True,
        env=subprocess_env(),
        timeout=120,
        check=False,
    )
    assert "datasets" in json.loads(done.stdout.strip().splitlines()[-1])["heavy"]


@pytest.mark.anyio
async def test_every_tool_has_all_four_annotations_and_an_output_schema() -> None:
    async with Client(build_server()) as client:
        tools = (await client.list_tools()).tools
    assert tools
    for tool in tools:
        notes = tool.annotations
        assert notes is not None, f"{tool.name} has no annotations"
        for hint in ("read_only_hint", "destructive_hint", "idempotent_hint", "open_world_hint"):
            assert isinstance(getattr(notes, hint), bool), f"{tool.name}: {hint} not set"
        assert tool.output_schema and tool.output_schema.get("type") == "object", tool.name
        assert tool.description and len(tool.description) <= 400, tool.name
        if notes.read_only_hint:
            assert not notes.destructive_hint, f"{tool.name} is read-only yet destructive"


@pytest.mark.anyio
async def test_server_offers_short_instructions_pointing_at_the_workflow_guide() -> None:
    server = build_server()
    assert server.instructions and len(server.instructions) < 1500
    assert "guidance://workflow" in server.instructions
