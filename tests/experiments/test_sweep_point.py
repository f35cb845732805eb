"""The point runner's command line: what sweep_plan writes, point splits back (no oumi run)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from oumi_mcp_server.experiments.point import EVAL_MARK, TRAIN_MARK, split_argv
from oumi_mcp_server.experiments.sweep_plan import PLAN_ID, SweepRequest, build_sweep
from oumi_mcp_server.wiring import build_job_service


def test_the_runner_argv_splits_into_both_configs_and_their_overrides(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OUMI_MCP_PREFLIGHT", "off")
    (tmp_path / "t.yaml").write_text("model:\n  model_name: m\ntraining:\n  output_dir: out\n")
    (tmp_path / "e.yaml").write_text("tasks:\n  - task_name: x\n")
    req = SweepRequest(
        config="t.yaml",
        client_cwd=str(tmp_path),
        metric="x/loss",
        grid={"training.learning_rate": [0.001]},
        evaluate="e.yaml",
        overrides={"training.max_steps": 3},
    )
    jobs = build_job_service()
    built = build_sweep(jobs, req, PLAN_ID, tmp_path / PLAN_ID, preflight=False)
    argv = built.points[0].runner_argv
    assert argv is not None and argv[0] == sys.executable
    train, train_args, evaluate, eval_args = split_argv(argv[3:])
    out = str(tmp_path / "out" / PLAN_ID / "p0")
    assert train == "{config}" and evaluate == str(tmp_path / PLAN_ID / "evaluate.yaml")
    assert train_args == [
        "training.max_steps=3",
        "training.learning_rate=0.001",
        f"training.output_dir=out/{PLAN_ID}/p0",  # relative as in the config: job cwd
    ]
    assert eval_args == [f"model.model_name={out}", f"output_dir={out}"]


@pytest.mark.parametrize(
    "argv",
    [
        [],
        ["x.yaml", EVAL_MARK, "e.yaml"],
        [TRAIN_MARK, "t.yaml", "--a", "1"],
        [TRAIN_MARK, "t.yaml", "--a", EVAL_MARK, "e.yaml"],
        [TRAIN_MARK, "t.yaml", "a", "1", EVAL_MARK, "e.yaml"],
    ],
)
def test_a_malformed_runner_argv_exits(argv: list[str]) -> None:
    with pytest.raises(SystemExit):
        split_argv(argv)
