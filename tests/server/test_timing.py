"""Tool timing: every call through the MCP surface is timed and counted (errors too), the
server's file in the state folder is what `oumi-mcp-server stats` prints."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from mcp import Client

from oumi_mcp_server.cli.main import cli
from oumi_mcp_server.server import timing
from oumi_mcp_server.server.app import build_server


def test_percentile_nearest_rank() -> None:
    samples = [float(v) for v in range(1, 101)]
    assert timing.percentile(samples, 50) == 50.0
    assert timing.percentile(samples, 95) == 95.0
    assert timing.percentile([7.0], 95) == 7.0
    assert timing.percentile([], 50) is None


@pytest.mark.anyio
async def test_every_call_timed_and_errors_counted(isolated_env: Path) -> None:
    app = build_server()
    assert isinstance(app, timing.TimedServer)
    async with Client(app) as c:
        await c.call_tool("get_results", {"job_id": "train_nope"})  # unknown_job: an error
        await c.call_tool("list_jobs", {})
        await c.call_tool("list_jobs", {"limit": "many"})  # bad argument: an error
        await c.call_tool("no_such_tool", {})
    tools = app.timings.tools
    assert (tools["get_results"].calls, tools["get_results"].errors) == (1, 1)
    assert (tools["list_jobs"].calls, tools["list_jobs"].errors) == (2, 1)
    assert tools[timing.UNKNOWN_TOOL].errors == 1
    assert all(t.max_ms > 0 and len(t.samples) == t.calls for t in tools.values())

    app.timings.flush()
    data = json.loads(app.timings.path.read_text())
    assert app.timings.path.parent == timing.stats_dir()
    assert data["tools"]["list_jobs"]["calls"] == 2
    out = CliRunner().invoke(cli, ["stats", "--json"])
    assert out.exit_code == 0, out.output
    rows = {r["tool"]: r for r in json.loads(out.output)["tools"]}
    assert rows["list_jobs"]["errors"] == 1 and rows["list_jobs"]["p95_ms"] > 0
    table = CliRunner().invoke(cli, ["stats"]).output
    assert "get_results" in table and "p95 ms" in table


def test_stats_merges_servers_and_skips_bad_files(isolated_env: Path) -> None:
    folder = timing.stats_dir()
    folder.mkdir(parents=True)
    for i, samples in enumerate(([1.0, 2.0], [30.0])):
        entry = {"calls": len(samples), "errors": i, "max_ms": max(samples), "samples_ms": samples}
        (folder / f"{i}.json").write_text(json.dumps({"tools": {"get_results": entry}}))
    (folder / "bad.json").write_text("{not json")
    (folder / "odd.json").write_text(json.dumps({"tools": {"x": {"calls": "1e400"}}}))
    out = CliRunner().invoke(cli, ["stats", "--json"])
    assert out.exit_code == 0, out.output
    rows = {r["tool"]: r for r in json.loads(out.output)["tools"]}
    assert rows["get_results"] | {"tool": 0} == {
        "tool": 0,
        "calls": 3,
        "errors": 1,
        "p50_ms": 2.0,
        "p95_ms": 30.0,
        "max_ms": 30.0,
    }
    assert rows["x"]["calls"] == 0


def test_stats_with_nothing_recorded(isolated_env: Path) -> None:
    out = CliRunner().invoke(cli, ["stats"])
    assert out.exit_code == 0 and "No tool calls recorded yet" in out.output


@pytest.mark.anyio
async def test_file_written_within_flush_interval(
    isolated_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No explicit flush: the server writes its file on its own, shortly after the calls."""
    import anyio

    monkeypatch.setattr(timing, "FLUSH_S", 0.05)
    app = build_server()
    async with Client(app) as c:
        await c.call_tool("list_jobs", {})
        await c.call_tool("list_jobs", {})
        for _ in range(500):
            if app.timings.path.exists():
                break
            await anyio.sleep(0.02)
    assert json.loads(app.timings.path.read_text())["tools"]["list_jobs"]["calls"] >= 1


@pytest.mark.anyio
async def test_stopping_server_writes_its_last_calls(isolated_env: Path) -> None:
    app = build_server()
    async with Client(app) as c:
        await c.call_tool("list_jobs", {})
    pending = app.timings._pending
    assert pending is not None and not app.timings.path.exists()
    pending.cancel()  # what the event loop does to it when the server stops
    with pytest.raises(BaseException):  # noqa: B017 (CancelledError, a BaseException)
        await pending
    assert json.loads(app.timings.path.read_text())["tools"]["list_jobs"]["calls"] == 1


def test_old_server_files_pruned(isolated_env: Path) -> None:
    folder = timing.stats_dir()
    folder.mkdir(parents=True)
    old, fresh = folder / "1-1.json", folder / "2-2.json"
    for path in (old, fresh):
        path.write_text("{}")
    stale = time.time() - (timing.KEEP_DAYS + 1) * 86400
    os.utime(old, (stale, stale))
    timing.Timings().flush()
    assert not old.exists() and fresh.exists()
