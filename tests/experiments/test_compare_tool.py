"""compare_runs through a real MCP client: structured output under 8 KB, honest annotations,
the PNG as image content when asked, structured errors that write nothing, and a server that
starts without matplotlib."""

from __future__ import annotations

import base64
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from mcp import Client
from mcp.types import ImageContent, TextContent

from experiments.compare_fakes import fake_run
from oumi_mcp_server.core.paths import state_dir
from oumi_mcp_server.server.app import build_server
from oumi_mcp_server.wiring import job_service

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def _runs(tmp_path: Path) -> list[str]:
    service = job_service()
    return [
        fake_run(service, tmp_path, f"run{i}", name=r"$\frac{$", lr=(i + 1) * 1e-4).id
        for i in range(3)
    ]


@pytest.mark.anyio
async def test_compare_runs_over_mcp(tmp_path: Path) -> None:
    ids = _runs(tmp_path)
    async with Client(build_server()) as c:
        tool = next(t for t in (await c.list_tools()).tools if t.name == "compare_runs")
        ann = tool.annotations
        assert ann is not None and ann.read_only_hint is False
        assert ann.destructive_hint is False and ann.idempotent_hint is True
        assert ann.open_world_hint is False
        got = await c.call_tool("compare_runs", {"job_ids": ids})
        assert not got.is_error, got
        body: Any = got.structured_content
        assert [r["job_id"] for r in body["runs"]] == ids
        assert len(got.content) == 1 and isinstance(got.content[0], TextContent)
        assert json.loads(got.content[0].text) == body
        assert len(got.content[0].text.encode()) <= 8192
        assert body["report_path"].startswith(str(state_dir() / "reports"))
        again = await c.call_tool("compare_runs", {"job_ids": ids})
        assert again.structured_content["report_path"] == body["report_path"]  # type: ignore[index]

        plotted = await c.call_tool("compare_runs", {"job_ids": ids, "plot": True})
        assert not plotted.is_error
        images = [b for b in plotted.content if isinstance(b, ImageContent)]
        assert len(images) == 1 and images[0].mime_type == "image/png"
        png = base64.b64decode(images[0].data)
        assert png.startswith(PNG_MAGIC) and len(png) < 200_000
        assert plotted.structured_content == body


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("args", "code"),
    [
        ({"job_ids": ["run0"]}, "bad_job_ids"),
        ({"job_ids": ["run0", "run0"]}, "duplicate_job_ids"),
        ({"job_ids": ["run0", "ghost"], "plot": True}, "unknown_job"),
        ({"job_ids": ["run0", "run1"], "metric": "bleu"}, "unknown_metric"),
        ({"job_ids": ["run0", "run1"], "baseline": "run2"}, "bad_baseline"),
    ],
)
async def test_errors_are_structured_and_write_nothing(
    tmp_path: Path, args: dict[str, Any], code: str
) -> None:
    _runs(tmp_path)
    async with Client(build_server()) as c:
        got = await c.call_tool("compare_runs", args)
    assert got.is_error and isinstance(got.content[0], TextContent)
    error = json.loads(got.content[0].text)["error"]
    assert error["code"] == code and error["fix"]
    assert not (state_dir() / "reports").exists()


def test_server_import_does_not_load_matplotlib() -> None:
    code = (
        "import sys, oumi_mcp_server.server.app as a; a.build_server();"
        "print(sorted(m for m in ('matplotlib', 'torch', 'oumi') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
