"""get_sweep's answer: each point's live status and metric, ranked best first.

The metric is read from `jobs.results.get_results` of the point's job: a training summary field
(`final_loss`, `best_loss`, `final_eval_loss`, `train_loss`, ...) or an evaluation metric as
get_results names it (`<metric>`, or `<task>/<metric>` to pick one task). Only completed points
are ranked; equal values share a rank (and say `tied`); the others follow with their status.
"""

from __future__ import annotations

import math
from collections import Counter
from datetime import UTC, datetime

from oumi_mcp_server.core.errors import ServiceError
from oumi_mcp_server.experiments.sweep_models import Mode, SweepPointView, SweepView
from oumi_mcp_server.experiments.sweep_store import PointState, SweepRecord
from oumi_mcp_server.jobs import procinfo, results
from oumi_mcp_server.jobs.results_models import JobResults, TrainingSummary
from oumi_mcp_server.jobs.service import JobService
from oumi_mcp_server.jobs.states import JobState

MAX_ANSWER_BYTES = 8000
LIVE = frozenset({JobState.QUEUED, JobState.LAUNCHING, JobState.RUNNING})
TRAINING_METRICS = frozenset(TrainingSummary.model_fields) - {"source"}


def metric_value(res: JobResults, metric: str) -> float | None:
    """`metric` from one run's results, or None when the run did not report it."""
    if metric in TRAINING_METRICS:
        value = getattr(res.training, metric, None) if res.training else None
    else:
        task, _, name = metric.rpartition("/")
        value = next(
            (
                t.metrics[name]
                for t in res.evaluation
                if name in t.metrics and (not task or t.task == task)
            ),
            None,
        )
    ok = isinstance(value, int | float) and not isinstance(value, bool)
    return float(value) if ok and value is not None else None


def _point_view(jobs: JobService, rec: SweepRecord, index: int) -> SweepPointView:
    point = rec.points[index]
    view = SweepPointView(index=index, overrides=point.overrides, status=point.state)
    if point.job_id is None:
        if point.state == PointState.NOT_STARTED and rec.cancelled:
            view.status = PointState.CANCELLED
        view.note = point.error
        return view
    view.job_id = point.job_id
    try:
        job = jobs.record(point.job_id)
    except ServiceError:
        view.status, view.note = "unknown", "Its job record is gone (pruned?)."
        return view
    res = jobs.resolve(job)
    view.status = res.status.value
    if res.reason and res.status is not JobState.COMPLETED:
        view.note = res.reason[:160]
    if not res.status.is_pending():
        view.value = metric_value(results.get_results(jobs, point.job_id), rec.metric)
        if view.value is None and res.status is JobState.COMPLETED:
            view.note = f"No {rec.metric!r} in its results (get_results shows what it has)."
        elif view.value is not None and math.isnan(view.value):
            view.note = f"Its {rec.metric!r} is NaN (the run diverged?): not ranked."
    return view


def rank(points: list[SweepPointView], mode: Mode) -> list[SweepPointView]:
    """Completed points with a value, best first (competition ranks: 1, 1, 3), then the rest.
    A NaN (a diverged run) is never equal to itself: it is not ranked, it follows."""
    done = [
        p
        for p in points
        if p.status == JobState.COMPLETED and p.value is not None and not math.isnan(p.value)
    ]
    done.sort(key=lambda p: (p.value if mode == "min" else -(p.value or 0.0), p.index))
    counts = Counter(p.value for p in done)
    for p in done:
        first = next(j for j, q in enumerate(done) if q.value == p.value)
        p.rank, p.tied = first + 1, counts[p.value] > 1
    rest = [p for p in points if p not in done]
    return done + rest


def launching(rec: SweepRecord) -> bool:
    """True while the process submitting the points is still at it."""
    return not rec.launch_done and procinfo.is_alive(rec.launcher_pid, rec.launcher_started)


def _status(rec: SweepRecord, counts: Counter[str]) -> str:
    live = sum(counts[s] for s in LIVE) + (counts["not_started"] if launching(rec) else 0)
    if live:
        return "running"
    if rec.cancelled:
        return "cancelled"
    completed = counts[JobState.COMPLETED]
    if completed == len(rec.points):
        return "completed"
    return "partial" if completed else "failed"


def sweep_view(jobs: JobService, rec: SweepRecord) -> SweepView:
    mode: Mode = rec.mode
    points = rank([_point_view(jobs, rec, i) for i in range(len(rec.points))], mode)
    counts = Counter(p.status for p in points)
    notes = []
    if not rec.launch_done and not rec.cancelled and counts[PointState.NOT_STARTED]:
        notes.append(
            "The points not started are being submitted."
            if launching(rec)
            else "The launch was interrupted: the points not started never will; cancel_job "
            "on the sweep id marks them cancelled, run_sweep again to run them."
        )
    answer = SweepView(
        sweep_id=rec.id,
        status=_status(rec, counts),
        command=rec.command,
        metric=rec.metric,
        mode=mode,
        evaluate=rec.evaluate,
        created_at=datetime.fromtimestamp(rec.created_at, UTC).isoformat(timespec="seconds"),
        counts=dict(counts),
        best=points[0] if points and points[0].rank == 1 else None,
        points=points,
        notes=notes,
    )
    while len(answer.model_dump_json()) > MAX_ANSWER_BYTES and len(answer.points) > 1:
        answer.points.pop()
        answer.points_truncated = True
    return answer
