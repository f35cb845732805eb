"""Per-step series of one run (loss, learning rate, grad norm, eval_*), from its own evidence.

Read as `jobs.progress` reads a run (only this job's files, `progress_base.window`): the whole
trainer_state.json log_history (the output dir's, else its newest checkpoint's), this job's rows
of metrics_rank0000.jsonl, else the metric dicts the trainer printed to its logs (which carry no
step: the n-th printed value is taken as step n). The source reaching the furthest step wins.
Parsing is total: a value that is not a finite number, or a step that is not a step count, is
dropped. Then, for comparisons: the values of several runs at the same steps.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, TypeVar

from oumi_mcp_server.jobs import progress, runfolder
from oumi_mcp_server.jobs import progress_base as base
from oumi_mcp_server.jobs.record import JobRecord
from oumi_mcp_server.jobs.results import outputs_of

T = TypeVar("T")
Point = tuple[int, float]
Series = dict[str, list[Point]]
NAMED = ("loss", "learning_rate", "grad_norm")
_JSONL_BYTES = 2 * 1024 * 1024
_LOG_LINES = 5_000
_MAX_KEYS = 24
_PAIR = re.compile(
    r"['\"]([A-Za-z_][A-Za-z0-9_./-]{0,80})['\"]:\s*['\"]?"
    r"(-?\d{1,40}(?:\.\d{1,40})?(?:[eE][-+]?\d{1,4})?)['\"]?",
    re.ASCII,
)


def wanted(key: str) -> bool:
    """loss, learning_rate, grad_norm and eval metrics (not eval timings)."""
    if key in NAMED:
        return True
    return key.startswith("eval_") and not key.endswith(("_runtime", "_per_second"))


def _add(out: Series, key: str, step: int | None, value: Any) -> None:
    if not wanted(key) or (key not in out and len(out) >= _MAX_KEYS):
        return
    number = progress.finite(value)
    if number is None:
        return
    points = out.setdefault(key, [])
    points.append((step if step is not None else len(points) + 1, number))


def from_rows(rows: list[dict[str, Any]]) -> Series:
    """The wanted keys of log_history / metrics rows, each as (step, value) in step order (a row
    without a usable step is left out: these files always write one)."""
    out: Series = {}
    for row in rows:
        step = base.count(row.get("step", row.get("global_step")))
        for key, value in row.items():
            if isinstance(key, str) and step is not None:
                _add(out, key, step, value)
    return {k: sorted(v, key=lambda p: p[0]) for k, v in out.items()}


def from_log(path: Path) -> Series:
    """The metric dicts a trainer printed to a log (`{'loss': 1.2, 'grad_norm': 0.5, ...}`)."""
    out: Series = {}
    chunk = progress.safe_tail(path, _LOG_LINES, _JSONL_BYTES)
    for line in chunk.text.replace("\r", "\n").splitlines():
        if "loss" not in line or progress.LOSS_FIELD.search(line) is None:
            continue
        pairs = dict(_PAIR.findall(line))
        step = base.count(pairs.get("step", pairs.get("global_step")))
        for key, value in pairs.items():
            _add(out, key, step, value)
    return out


def _reach(found: Series) -> int:
    return max((pts[-1][0] for pts in found.values() if pts), default=-1)


def series(rec: JobRecord) -> Series:
    """Per metric, the (step, value) points this run logged; {} when it logged none yet."""
    out = outputs_of(rec)
    run_dir = Path(rec.run_dir) if rec.run_dir else None
    win = base.window(run_dir)
    candidates: list[Series] = []
    if out is not None and progress.is_folder(out):
        state = progress.trainer_state(out, win, whole=True)
        candidates.append(from_rows(progress.loss_rows(state)) if state else {})
        rows = base.metric_rows(out, win, _JSONL_BYTES)
        candidates.append(from_rows(rows.rows()) if rows else {})
    candidates = [c for c in candidates if c]
    if not candidates and run_dir is not None:
        logs = (from_log(run_dir / name) for name in (runfolder.STDERR, runfolder.STDOUT))
        candidates = [found for found in logs if found][:1]
    return max(candidates, key=_reach) if candidates else {}


# ---- several runs at the same steps ---------------------------------------------------------
def value_at(points: list[Point], step: int) -> float | None:
    """The value at `step`, linear between the logged steps around it; None outside them."""
    if not points or step < points[0][0] or step > points[-1][0]:
        return None
    lo, hi = 0, len(points) - 1
    while hi - lo > 1:
        mid = (lo + hi) // 2
        lo, hi = (mid, hi) if points[mid][0] <= step else (lo, mid)
    (s0, v0), (s1, v1) = points[lo], points[hi]
    if step == s1:
        return v1
    if s1 == s0:
        return v0
    return v0 + (v1 - v0) * (step - s0) / (s1 - s0)


def common_steps(runs: list[list[Point]], count: int = 8) -> list[int]:
    """`count` steps spread over the runs' steps: logged steps every run shares when they share
    enough of them (exact values), else evenly spaced over the longest run (interpolated)."""
    runs = [r for r in runs if r]
    if not runs:
        return []
    shared = sorted(set.intersection(*(set(s for s, _ in r) for r in runs)))
    top = max(r[-1][0] for r in runs)
    if len(shared) >= count and shared[-1] >= min(r[-1][0] for r in runs):
        return thin(shared, count)
    low = min(r[0][0] for r in runs)
    if top <= low:
        return [low]
    picked = {round(low + (top - low) * i / (count - 1)) for i in range(count)}
    return sorted(picked)


def thin(items: list[T], max_items: int) -> list[T]:
    """At most `max_items` evenly spaced items, always the first and the last."""
    max_items = max(max_items, 2)
    if len(items) <= max_items:
        return items
    stride = (len(items) - 1) / (max_items - 1)
    return [items[round(i * stride)] for i in range(max_items)]
