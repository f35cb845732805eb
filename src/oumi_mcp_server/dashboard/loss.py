"""A job's loss history, for the dashboard's curve, from the evidence `jobs.progress` reads.

Only this job's evidence (see `jobs.progress_base`): its rows of `metrics_rank0000.jsonl`
(appended by every run into the folder; read from the offset it had at launch), its own
trainer state (`log_history`, including `eval_loss`: the output dir's, else its newest
checkpoint's), then metric lines in its own logs (cluster jobs have only a log snapshot). So a
re-used output folder never draws two runs as one zig-zag, and the curve ends where the job's
progress says it is. The source reaching the highest step wins. Reads are bounded and the series
is thinned to `max_points`, keeping the first and last points. Like `jobs.progress`, parsing is
total: a point whose loss is not a finite number or whose step is not a step count is dropped,
so the series holds only finite numbers whatever the job wrote.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

from oumi_mcp_server.jobs import progress, progress_base
from oumi_mcp_server.jobs.progress_base import Window

MAX_POINTS = 400
_JSONL_BYTES = 2 * 1024 * 1024
_LOG_LINES = 5_000

Point = tuple[int, float]


class LossSeries(BaseModel):
    job_id: str = ""
    source: str | None = Field(default=None, description="File the series was read from.")
    points: list[Point] = Field(default_factory=list, description="[step, loss] pairs.")
    eval_points: list[Point] = Field(default_factory=list, description="[step, eval_loss] pairs.")
    total_points: int = Field(default=0, description="Training points before thinning.")
    truncated: bool = Field(default=False, description="Older points were not read or thinned.")


def _point(row: dict[str, Any], key: str, fallback_step: int) -> Point | None:
    value = progress.finite(row.get(key))
    if value is None:
        return None
    step = progress.count(row.get("step", row.get("global_step")))
    return (step if step is not None else fallback_step), value


def _from_rows(rows: list[dict[str, Any]]) -> tuple[list[Point], list[Point]]:
    train: list[Point] = []
    evals: list[Point] = []
    for row in rows:
        if (p := _point(row, "loss", len(train) + 1)) is not None:
            train.append(p)
        if (p := _point(row, "eval_loss", len(evals) + 1)) is not None:
            evals.append(p)
    return train, evals


def _trainer_state(output_dir: Path, win: Window) -> tuple[list[Point], list[Point]]:
    state = progress.trainer_state(output_dir, win, whole=True)
    return _from_rows(progress.loss_rows(state) if state else [])


def _metrics(output_dir: Path, win: Window) -> tuple[list[Point], list[Point], bool]:
    found = progress_base.metric_rows(output_dir, win, _JSONL_BYTES)
    if found is None:
        return [], [], False
    train, evals = _from_rows(found.rows())
    return train, evals, found.truncated


def _log_lines(path: Path) -> tuple[list[Point], bool]:
    chunk = progress.safe_tail(path, _LOG_LINES, _JSONL_BYTES)
    points: list[Point] = []
    for line in chunk.text.replace("\r", "\n").splitlines():
        found = progress.LOSS_FIELD.search(line)
        value = progress.finite(found.group(1)) if found else None
        if value is None:
            continue
        found_step = progress.STEP_FIELD.search(line)
        step = progress.count(found_step.group(1)) if found_step else None
        points.append((step if step is not None else len(points) + 1, value))
    return points, chunk.truncated


def thin(points: list[Point], max_points: int) -> list[Point]:
    """At most `max_points` evenly spaced points, always the first and the last."""
    max_points = max(max_points, 2)
    if len(points) <= max_points:
        return points
    stride = (len(points) - 1) / (max_points - 1)
    return [points[round(i * stride)] for i in range(max_points)]


def loss_series(
    output_dir: Path | None, log_paths: list[Path], max_points: int = MAX_POINTS
) -> LossSeries:
    """The best loss series found for a run (empty when nothing logged a loss yet)."""
    candidates: list[tuple[str, list[Point], list[Point], bool]] = []
    if output_dir is not None and progress.is_folder(output_dir):
        win = progress_base.window(progress.run_dir_of(log_paths))
        m_train, m_evals, m_cut = _metrics(output_dir, win)
        candidates.append((progress.METRICS_FILE, m_train, m_evals, m_cut))
        train, evals = _trainer_state(output_dir, win)
        candidates.append((progress.TRAINER_STATE, train, evals, False))
    candidates = [c for c in candidates if c[1]]
    if not candidates:
        for path in log_paths:
            points, cut = _log_lines(path)
            if points:
                candidates.append((path.name, points, [], cut))
                break
    if not candidates:
        return LossSeries()
    source, train, evals, cut = max(candidates, key=lambda c: c[1][-1][0])  # the first on ties
    return LossSeries(
        source=source,
        points=thin(train, max_points),
        eval_points=thin(evals, max_points),
        total_points=len(train),
        truncated=cut or len(train) > max_points or len(evals) > max_points,
    )
