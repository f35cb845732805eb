"""get_results through the MCP surface: structured output, read-only annotation, structured
errors; and a real tiny `oumi train` whose results show its steps, losses and saved model."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from mcp import Client

from jobs.test_results import _record, _trained
from oumi_mcp_server.jobs.service import JobService
from oumi_mcp_server.server.app import build_server
from oumi_mcp_server.wiring import job_service


@pytest.mark.anyio
async def test_get_results_over_mcp(tmp_path: Path) -> None:
    out = tmp_path / "out"
    _trained(out)
    rec = _record(tmp_path, out)
    job_service().store.insert(rec)
    async with Client(build_server()) as c:
        tools = {t.name: t for t in (await c.list_tools()).tools}
        ann = tools["get_results"].annotations
        assert ann is not None and ann.read_only_hint is True and ann.destructive_hint is False
        got = await c.call_tool("get_results", {"job_id": rec.id})
        assert not got.is_error, got
        body: Any = got.structured_content
        assert body["job_id"] == rec.id and body["training"]["step"] == 3
        assert body["training"]["best_loss"] == 1.5
        assert {a["kind"] for a in body["artifacts"]} >= {"model", "adapter", "checkpoint"}
        assert len(got.content[0].text.encode()) <= 8000  # type: ignore[union-attr]
        bad = await c.call_tool("get_results", {"job_id": "../etc"})
        assert bad.is_error
        assert json.loads(bad.content[0].text)["error"]["code"] == "unknown_job"  # type: ignore[union-attr]


@pytest.mark.oumi
def test_real_tiny_train_results(
    tiny_assets: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A real `oumi train` on the tiny model, launched and waited for through the job service."""
    from jobs.jobhelpers import wait_until
    from oumi_mcp_server.jobs import results
    from oumi_mcp_server.jobs.plan import LaunchRequest

    monkeypatch.delenv("OUMI_MCP_OUMI_BIN", raising=False)
    out = tmp_path / "trained"
    service = JobService()
    req = LaunchRequest(
        command="train",
        config=str(tiny_assets.train_config),
        client_cwd=str(tiny_assets.root),
        overrides={"training.output_dir": str(out)},
    )
    launched = service.launch_approved(service.plan(req)).job
    assert launched is not None
    done = wait_until(
        lambda: service.status(launched.job_id), lambda v: v.status in ("completed", "failed"), 300
    )
    assert done.status == "completed", done
    got = results.get_results(service, launched.job_id)
    t = got.training
    assert t is not None and t.step == t.total_steps == tiny_assets.train_steps
    assert t.first_loss is not None and t.final_loss is not None and t.best_loss is not None
    assert t.final_loss < t.first_loss and t.best_loss <= t.final_loss
    assert t.wall_time_s and t.samples_per_second
    model = [a for a in got.artifacts if a.kind == "model"]
    assert model and model[0].path == str(out / "model.safetensors") and model[0].size_bytes > 0
    assert got.config is not None and got.config.values["training.output_dir"] == str(out)
