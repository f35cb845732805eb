"""The experiment loop's first half with the real oumi on the tiny model: a short LoRA train,
then `oumi evaluate` of its adapter with both offline tasks, launched through the job service
(the plan gives the job OUMI_EXTRA_DEPS_FILE); get_results returns the held-out loss and
perplexity and the 10-prompt suite's accuracy with its per-category scores."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from jobs.jobhelpers import kill_jobs, wait_until
from oumi_mcp_server.demo.assets import TinyAssets
from oumi_mcp_server.demo.eval_assets import PROMPT_SUITE
from oumi_mcp_server.evaluation.deps import DEPS_ENV
from oumi_mcp_server.jobs import results
from oumi_mcp_server.jobs.plan import LaunchRequest
from oumi_mcp_server.jobs.service import JobService

pytestmark = pytest.mark.oumi
LORA_STEPS = 4


@pytest.fixture
def service(monkeypatch: pytest.MonkeyPatch) -> Iterator[JobService]:
    monkeypatch.delenv("OUMI_MCP_OUMI_BIN", raising=False)
    yield JobService()
    kill_jobs(Path(os.environ["OUMI_MCP_STATE_DIR"]))


def _run(service: JobService, req: LaunchRequest) -> str:
    built = service.plan(req)
    assert DEPS_ENV in built.plan.env and built.plan.preflight_ready, built.plan.preflight
    job = service.launch_approved(built).job
    assert job is not None
    done = wait_until(
        lambda: service.status(job.job_id), lambda v: v.status in ("completed", "failed"), 300
    )
    assert done.status == "completed", (done, service.record(job.job_id).run_dir)
    return job.job_id


def test_lora_train_then_offline_evaluate(
    tiny_assets: TinyAssets, tmp_path: Path, service: JobService
) -> None:
    cwd = str(tiny_assets.root)
    lora, out = tmp_path / "lora", tmp_path / "eval"
    train = LaunchRequest(
        command="train",
        config=str(tiny_assets.lora_config),
        client_cwd=cwd,
        overrides={"training.output_dir": str(lora), "training.max_steps": LORA_STEPS},
    )
    trained = results.get_results(service, _run(service, train))
    assert trained.training is not None and trained.training.step == LORA_STEPS
    assert {a.kind for a in trained.artifacts} == {"adapter"}

    evaluate = LaunchRequest(
        command="evaluate",
        config=str(tiny_assets.eval_config),
        client_cwd=cwd,
        overrides={"model.model_name": str(lora), "output_dir": str(out)},
    )
    got = results.get_results(service, _run(service, evaluate))
    tasks = {t.task: t for t in got.evaluation}
    assert set(tasks) == {"heldout_loss", "prompt_suite"} and len(got.model_dump_json()) <= 8000
    loss = tasks["heldout_loss"].metrics
    assert tasks["heldout_loss"].backend == "custom"
    assert 0 < float(loss["loss"]) < 20 and float(loss["perplexity"]) > 1
    assert loss["rows"] == 8 and float(loss["tokens"]) > float(loss["response_tokens"]) > 0
    suite = tasks["prompt_suite"].metrics
    assert suite["total"] == len(PROMPT_SUITE) == 10 and 0 <= float(suite["accuracy"]) <= 1
    categories = {p["category"] for p in PROMPT_SUITE}
    assert {f"by_category.{c}" for c in categories} <= set(suite)
    saved = json.loads(Path(tasks["prompt_suite"].path).read_text())["results"]["prompt_suite"]
    assert 1 <= len(saved["examples"]) <= 5
    assert set(saved["examples"][0]) == {"prompt", "expected", "got", "pass", "category"}
