"""The real sweep (tests/experiment_runs.py): one plan and one approval for three LoRA points,
each trained then evaluated in one job, ranked by the held-out loss."""

from __future__ import annotations

import pytest
from mcp import Client

from experiment_runs import LEARNING_RATES, METRIC, ExperimentSweep
from oumi_mcp_server.jobs.results import get_results
from oumi_mcp_server.server.app import build_server
from oumi_mcp_server.wiring import job_service

pytestmark = pytest.mark.oumi
LR = "training.learning_rate"


def test_one_plan_one_approval_three_jobs(experiment_sweep: ExperimentSweep) -> None:
    plan = experiment_sweep.offer["plan"]
    assert plan["jobs"] == 3 and plan["evaluate"].endswith("configs/eval.yaml")
    assert [p["overrides"] for p in plan["points"]] == [{LR: lr} for lr in LEARNING_RATES]
    assert plan["mode"] == "min" and plan["metric"] == METRIC
    launch = experiment_sweep.launch
    assert launch["sweep_id"].startswith("sweep-") and len(set(experiment_sweep.job_ids)) == 3
    assert [j["status"] for j in launch["jobs"]] == ["submitted"] * 3


def test_get_sweep_ranks_the_points_by_the_eval_metric(
    experiment_sweep: ExperimentSweep, monkeypatch: pytest.MonkeyPatch
) -> None:
    experiment_sweep.use(monkeypatch)
    view = experiment_sweep.view
    assert view["status"] == "completed" and view["counts"] == {"completed": 3}, view
    service = job_service()
    values = {}
    for job_id in experiment_sweep.job_ids:
        rec = service.record(job_id)
        index = experiment_sweep.job_ids.index(job_id)
        assert rec.name == f"lr-{experiment_sweep.sweep_id}-p{index}"
        res = get_results(service, job_id)
        assert res.status == "completed" and res.training and res.training.final_loss
        tasks = {t.task: t.metrics for t in res.evaluation}
        assert {"heldout_loss", "prompt_suite"} <= set(tasks), tasks
        values[index] = tasks["heldout_loss"]["loss"]
    ranked = [p for p in view["points"] if p["rank"] is not None]
    assert [p["index"] for p in ranked] == sorted(values, key=lambda i: values[i])
    assert [p["value"] for p in ranked] == sorted(values.values())
    assert view["best"]["index"] == ranked[0]["index"] and ranked[0]["rank"] == 1
    assert all(p["job_id"] == experiment_sweep.job_ids[p["index"]] for p in ranked)


@pytest.mark.anyio
async def test_get_sweep_over_mcp_is_read_only_and_small(
    experiment_sweep: ExperimentSweep, monkeypatch: pytest.MonkeyPatch
) -> None:
    experiment_sweep.use(monkeypatch)
    async with Client(build_server()) as c:
        got = await c.call_tool("get_sweep", {"sweep_id": experiment_sweep.sweep_id})
        again = await c.call_tool("get_sweep", {"sweep_id": experiment_sweep.sweep_id})
    assert got.structured_content == again.structured_content
    assert len(got.content[0].text.encode()) <= 8000  # type: ignore[union-attr]
    replay = await _replay(experiment_sweep)
    assert replay == "confirm_token_used"


async def _replay(sweep: ExperimentSweep) -> str:
    import json

    async with Client(build_server()) as c:
        res = await c.call_tool(
            "run_sweep", {**sweep.args, "confirm_token": sweep.offer["confirm_token"]}
        )
    assert res.is_error
    return str(json.loads(res.content[0].text)["error"]["code"])  # type: ignore[union-attr]
