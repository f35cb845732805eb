"""get_sweep's ranking: the metric read from a run's results, ties, the unranked, 8 KB."""

from __future__ import annotations

import time

from oumi_mcp_server.experiments.sweep import SweepService
from oumi_mcp_server.experiments.sweep_models import SweepPointView
from oumi_mcp_server.experiments.sweep_store import PointRecord, SweepRecord
from oumi_mcp_server.experiments.sweep_view import metric_value, rank
from oumi_mcp_server.jobs.results_models import EvalTask, JobResults, TrainingSummary
from oumi_mcp_server.jobs.service import JobService


def _results() -> JobResults:
    res = JobResults(job_id="j", status="completed", command="train", backend="local")
    res.training = TrainingSummary(source="s", final_loss=0.5, best_loss=0.25)
    res.evaluation = [
        EvalTask(task="heldout_loss", backend="custom", metrics={"loss": 1.5}, path="p"),
        EvalTask(task="prompt_suite", backend="custom", metrics={"accuracy": 0.7}, path="q"),
        EvalTask(task="other", backend="custom", metrics={"loss": 9.0, "note": "x"}, path="r"),
    ]
    return res


def test_metric_names_as_get_results_reports_them() -> None:
    res = _results()
    assert metric_value(res, "final_loss") == 0.5 and metric_value(res, "best_loss") == 0.25
    assert metric_value(res, "heldout_loss/loss") == 1.5
    assert metric_value(res, "other/loss") == 9.0
    assert metric_value(res, "loss") == 1.5  # the newest task that has it
    assert metric_value(res, "accuracy") == 0.7
    assert metric_value(res, "other/note") is None  # not a number
    assert metric_value(res, "missing") is None and metric_value(res, "final_eval_loss") is None


def _p(index: int, status: str, value: float | None) -> SweepPointView:
    return SweepPointView(index=index, overrides={"k": index}, status=status, value=value)


def test_rank_best_first_with_ties_then_the_rest() -> None:
    points = [
        _p(0, "completed", 0.3),
        _p(1, "failed", None),
        _p(2, "completed", 0.1),
        _p(3, "completed", 0.3),
        _p(4, "running", 0.05),  # a partial value is shown, never ranked
        _p(5, "cancelled", None),
    ]
    ranked = rank(points, "min")
    assert [(p.index, p.rank, p.tied) for p in ranked[:3]] == [
        (2, 1, False),
        (0, 2, True),
        (3, 2, True),
    ]
    assert [p.index for p in ranked[3:]] == [1, 4, 5] and all(p.rank is None for p in ranked[3:])
    top = rank([_p(0, "completed", 0.3), _p(1, "completed", 0.9)], "max")
    assert [p.index for p in top] == [1, 0]


def test_a_32_point_sweep_answers_under_8_kb() -> None:
    service = SweepService(JobService())
    long = {f"training.key_{i}": "v" * 60 for i in range(3)}
    rec = SweepRecord(
        id="sweep-20260101T000000-abcdef",
        created_at=time.time(),
        command="train",
        config="c.yaml",
        metric="final_loss",
        mode="min",
        backend="local",
        points=[
            PointRecord(index=i, overrides=long, job_name=f"n{i}", output_dir="o")
            for i in range(32)
        ],
        launch_done=True,
    )
    service.store.create(rec)
    view = service.get(rec.id)
    assert len(view.model_dump_json()) <= 8000 and view.points_truncated
    assert view.status == "failed" and view.counts == {"not_started": 32}  # all, even if cut


def test_a_nan_metric_is_shown_unranked_not_a_crash() -> None:
    """A diverged learning rate reports loss NaN; NaN != NaN broke the tie lookup."""
    nan = float("nan")
    points = [_p(0, "completed", 0.3), _p(1, "completed", nan), _p(2, "completed", 0.1)]
    ranked = rank(points, "min")
    assert [(p.index, p.rank) for p in ranked] == [(2, 1), (0, 2), (1, None)]
