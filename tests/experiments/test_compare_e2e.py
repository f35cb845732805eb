"""Issue 11's loop with the real oumi on the tiny model, offline: LoRA train -> evaluate (held-out
loss and the 10-prompt suite; the plan gives the job OUMI_EXTRA_DEPS_FILE) -> get_results returns
both metrics (loss, perplexity, accuracy per category, the saved examples) -> a second run with
another learning rate (and its evaluation) -> compare_runs shows the differing key and both
metrics with deltas, and writes the HTML report, checked in headless Chromium."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anyio
import pytest
from mcp import Client

from browser import needs_chromium, open_browser
from jobs.jobhelpers import kill_jobs, wait_until
from oumi_mcp_server.demo.assets import TinyAssets
from oumi_mcp_server.demo.eval_assets import PROMPT_SUITE
from oumi_mcp_server.evaluation.deps import DEPS_ENV
from oumi_mcp_server.jobs.plan import LaunchRequest
from oumi_mcp_server.jobs.service import JobService
from oumi_mcp_server.server.app import build_server
from oumi_mcp_server.wiring import job_service

pytestmark = pytest.mark.oumi
STEPS = 4
HELDOUT, SUITE = "heldout_loss/loss", "prompt_suite/accuracy"


@pytest.fixture
def service(monkeypatch: pytest.MonkeyPatch) -> Iterator[JobService]:
    monkeypatch.delenv("OUMI_MCP_OUMI_BIN", raising=False)
    yield job_service()
    kill_jobs(Path(os.environ["OUMI_MCP_STATE_DIR"]))


def _launch(service: JobService, req: LaunchRequest) -> str:
    built = service.plan(req)
    assert DEPS_ENV in built.plan.env and built.plan.preflight_ready, built.plan.preflight
    job = service.launch_approved(built).job
    assert job is not None
    return job.job_id


def _finished(service: JobService, *job_ids: str) -> None:
    for job_id in job_ids:
        done = wait_until(
            lambda j=job_id: service.status(j),
            lambda v: v.status in ("completed", "failed"),
            600,
        )
        assert done.status == "completed", (done, service.record(job_id).run_dir)


def _train(assets: TinyAssets, out: Path, lr: float) -> LaunchRequest:
    return LaunchRequest(
        command="train",
        config=str(assets.lora_config),
        client_cwd=str(assets.root),
        overrides={
            "training.output_dir": str(out),
            "training.max_steps": STEPS,
            "training.learning_rate": lr,
        },
    )


def _evaluate(assets: TinyAssets, model: Path, out: Path) -> LaunchRequest:
    return LaunchRequest(
        command="evaluate",
        config=str(assets.eval_config),
        client_cwd=str(assets.root),
        overrides={"model.model_name": str(model), "output_dir": str(out)},
    )


async def _call(client: Client, tool: str, args: dict[str, Any]) -> Any:
    got = await client.call_tool(tool, args)
    assert not got.is_error, got
    return got.structured_content


async def _results_and_compare(eval_a: str, runs: list[str]) -> Any:
    """get_results of an evaluation, then compare_runs, through a real MCP client."""
    async with Client(build_server()) as client:
        evaluated = await _call(client, "get_results", {"job_id": eval_a})
        assert len(json.dumps(evaluated)) <= 8192
        by_task = {t["task"]: t for t in evaluated["evaluation"]}
        assert set(by_task) == {"heldout_loss", "prompt_suite"}
        assert by_task["heldout_loss"]["backend"] == "custom"
        loss, suite = by_task["heldout_loss"]["metrics"], by_task["prompt_suite"]["metrics"]
        assert 0 < float(loss["loss"]) < 20 and float(loss["perplexity"]) > 1
        assert loss["rows"] == 8 and float(loss["tokens"]) > float(loss["response_tokens"]) > 0
        assert suite["total"] == len(PROMPT_SUITE) == 10 and 0 <= float(suite["accuracy"]) <= 1
        assert {f"by_category.{p['category']}" for p in PROMPT_SUITE} <= set(suite)
        saved = json.loads(await anyio.Path(by_task["prompt_suite"]["path"]).read_text())
        examples = saved["results"]["prompt_suite"]["examples"]
        assert 1 <= len(examples) <= 5
        assert set(examples[0]) == {"prompt", "expected", "got", "pass", "category"}
        return await _call(client, "compare_runs", {"job_ids": runs})


@needs_chromium
def test_train_evaluate_compare(
    tiny_assets: TinyAssets, tmp_path: Path, service: JobService
) -> None:
    lora_a, lora_b = tmp_path / "lora_a", tmp_path / "lora_b"
    train_a = _launch(service, _train(tiny_assets, lora_a, 1e-2))
    train_b = _launch(service, _train(tiny_assets, lora_b, 1e-4))
    _finished(service, train_a, train_b)
    eval_a = _launch(service, _evaluate(tiny_assets, lora_a, tmp_path / "eval_a"))
    eval_b = _launch(service, _evaluate(tiny_assets, lora_b, tmp_path / "eval_b"))
    _finished(service, eval_a, eval_b)

    got = anyio.run(_results_and_compare, eval_a, [train_a, train_b])

    assert [r["eval_jobs"] for r in got["runs"]] == [[eval_a], [eval_b]]
    diff = {d["key"]: d["values"] for d in got["config_diff"]}
    assert diff["training.learning_rate"] == ["0.01", "0.0001"]
    assert set(diff) == {"training.learning_rate", "training.output_dir"}
    rows = {r["metric"]: r for r in got["metrics"]}
    for name in (HELDOUT, SUITE, "final_loss"):
        row = rows[name]
        assert None not in row["values"] and row["marks"][0] == "baseline"
        assert row["deltas"][1] == pytest.approx(row["values"][1] - row["values"][0], abs=1e-4)
        assert row["marks"][1] in ("better", "worse", "same")
    assert rows[HELDOUT]["direction"] == "lower" and rows[SUITE]["direction"] == "higher"
    assert got["metric"] in rows and got["curve"]["steps"][-1] == STEPS
    assert len(json.dumps(got)) <= 8192

    report = Path(got["report_path"])
    requests: list[str] = []
    with open_browser() as browser:
        page = browser.new_page()
        page.on("request", lambda r: requests.append(r.url))
        page.goto(report.as_uri())
        assert page.locator("#runs tbody tr").count() == 2
        keys = page.locator("#config-diff tbody th").all_inner_texts()
        assert "training.learning_rate" in keys
        shown = page.locator("#metrics tbody tr").all_inner_texts()
        for name in (HELDOUT, SUITE):
            line = next(t for t in shown if t.startswith(name))
            assert "(" in line and any(w in line for w in ("better", "worse", "same"))
        assert page.locator("svg.curve").first.locator("polyline").count() == 2
    assert requests == [report.as_uri()]
