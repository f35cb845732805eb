"""experiments.curves: a run's per-step series from its own trainer state, metrics rows or logs
(odd values dropped, an earlier run's files ignored), and several runs at the same steps."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from experiments.compare_fakes import fake_run
from jobs.runfiles import launch, write
from oumi_mcp_server.experiments import curves
from oumi_mcp_server.jobs import runfolder
from oumi_mcp_server.jobs.record import JobRecord
from oumi_mcp_server.jobs.service import JobService


@pytest.fixture
def service() -> JobService:
    return JobService()


def _rec(run_dir: Path, out: Path) -> JobRecord:
    return JobRecord(
        id=run_dir.name,
        name="r",
        command="train",
        backend="local",
        backend_job_id="1",
        submitted_at=0.0,
        run_dir=str(run_dir),
        output_dir=str(out),
    )


def test_from_trainer_state(service: JobService, tmp_path: Path) -> None:
    rec = fake_run(service, tmp_path, "a", steps=10, lr=2e-4)
    got = curves.series(rec)
    assert set(got) == {"loss", "learning_rate", "grad_norm", "eval_loss"}  # no eval_runtime
    assert [s for s, _ in got["loss"]] == list(range(1, 11))
    assert got["eval_loss"] == [(5, pytest.approx(2.2)), (10, pytest.approx(1.2))]
    assert got["learning_rate"][0] == (1, 2e-4)


def test_odd_values_dropped_and_an_earlier_runs_state_ignored(tmp_path: Path) -> None:
    root, out, now = tmp_path / "jobs", tmp_path / "out", time.time()
    old = {"global_step": 99, "log_history": [{"loss": 9.0, "step": s} for s in range(1, 100)]}
    write(out / "trainer_state.json", json.dumps(old), now - 500)  # an earlier run's
    run = launch(root, out, "job1", now - 100)
    assert curves.series(_rec(run.run_dir, out)) == {}
    rows = [
        {"loss": "NaN", "step": 1},
        {"loss": 1e400, "step": 2},
        {"loss": True, "grad_norm": [1], "step": 3},
        {"loss": 2.0, "step": "x"},
        {"loss": 1.5, "step": 4, "learning_rate": "0.001", "eval_samples_per_second": 3.0},
        {"loss": {"a": 1}, "eval_accuracy": 0.5, "step": 5},
        {"loss": 1.0, "step": 10**13},
    ]
    state = {"global_step": 5, "log_history": rows}
    write(out / "trainer_state.json", json.dumps(state), now - 50)
    got = curves.series(_rec(run.run_dir, out))
    assert got["loss"] == [(4, 1.5)]  # a row without a usable step is left out
    assert got["learning_rate"] == [(4, 0.001)] and got["eval_accuracy"] == [(5, 0.5)]
    assert "eval_samples_per_second" not in got and "grad_norm" not in got


def test_from_logs_when_no_output_folder(tmp_path: Path) -> None:
    run = launch(tmp_path / "jobs", tmp_path / "missing", "job1", time.time() - 10)
    lines = [
        "Loading weights: 20/20",
        "{'loss': 2.5, 'grad_norm': 1.25, 'learning_rate': 0.0001, 'epoch': 0.1}",
        "noise 'loss': x",
        '{"loss": "2.0", "grad_norm": 1e999, "step": 7}',
    ]
    run.write_log(runfolder.STDOUT, "\n".join(lines) + "\n")
    got = curves.series(_rec(run.run_dir, tmp_path / "missing"))
    assert got["loss"] == [(1, 2.5), (7, 2.0)]
    assert got["grad_norm"] == [(1, 1.25)] and "epoch" not in got


def test_value_at_and_common_steps() -> None:
    pts = [(1, 4.0), (3, 2.0), (7, 0.0)]
    assert curves.value_at(pts, 2) == 3.0 and curves.value_at(pts, 7) == 0.0
    assert curves.value_at(pts, 0) is None and curves.value_at(pts, 8) is None
    assert curves.value_at(pts, 5) == 1.0 and curves.value_at([], 1) is None
    same = [[(s, 1.0) for s in range(10, 201, 10)]] * 3
    shared = curves.common_steps(same, 8)  # logged steps every run has: exact values
    assert len(shared) == 8 and shared[0] == 10 and shared[-1] == 200
    assert all(s % 10 == 0 for s in shared)
    apart = [[(s, 1.0) for s in range(1, 30, 2)], [(s, 1.0) for s in range(2, 61, 2)]]
    steps = curves.common_steps(apart, 8)
    assert steps[0] == 1 and steps[-1] == 60 and len(steps) == 8
    assert curves.common_steps([[], []], 8) == []
    assert curves.common_steps([[(5, 1.0)], [(5, 2.0)]], 8) == [5]
