"""The run table's data: each listed job's status view with what `get_results` reads of it (final
and best loss, evaluation metrics, the config it ran) and the sweep it belongs to, plus the
columns worth showing (metrics, the learning rate and the config keys that differ between runs).

Like `views.FinalViews`, the results of a job in a final state are read once and kept; a job still
running is read afresh on every poll (its loss moves).
"""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path

from oumi_mcp_server.core.errors import ServiceError
from oumi_mcp_server.experiments.sweep import SWEEPS_DIR
from oumi_mcp_server.experiments.sweep_store import RECORD, SWEEP_ID
from oumi_mcp_server.jobs.models import JobStatusView
from oumi_mcp_server.jobs.progress import finite
from oumi_mcp_server.jobs.record import JobRecord
from oumi_mcp_server.jobs.results import get_results
from oumi_mcp_server.jobs.results_models import JobResults
from oumi_mcp_server.jobs.service import JobService
from oumi_mcp_server.jobs.states import JobState

MAX_KEPT = 2_000
_POINT_NAME = re.compile(r"(sweep-.+)-p\d{1,6}$")
LEARNING_RATE = "training.learning_rate"
_SKIPPED_KEYS = ("training.output_dir",)
"""Config keys that differ between any two runs without telling them apart."""
SHOWN_METRICS = 2
SHOWN_CONFIG = 4


@dataclass(frozen=True)
class Column:
    """A metric or config column: `key` is what a row is looked up by, `label` what is shown."""

    key: str
    label: str
    kind: str  # "metric" (a number, sorted numerically) or "config"
    shown: bool


@dataclass
class RunRow:
    view: JobStatusView
    sweep: str = ""
    values: dict[str, float | str] = field(default_factory=dict)
    """Column key to value: `final_loss`, `best_loss`, `eval:<task>/<metric>`, `cfg:<key>`."""


def sweep_of(rec: JobRecord, sweeps: Path) -> str:
    """The sweep a point job belongs to: its name ends `sweep-<id>-p<i>` (`experiments.sweep`)
    and that sweep is stored; '' for any other job."""
    found = _POINT_NAME.search(rec.name)
    if found is None:
        return ""
    name = found.group(1)
    starts = [i for i in range(len(name)) if name.startswith("sweep-", i)]
    for start in starts:  # a job_name prefix may itself hold "sweep-"
        sweep_id = name[start:]
        if SWEEP_ID.match(sweep_id) and (sweeps / sweep_id / RECORD).is_file():
            return sweep_id
    return ""


def result_values(res: JobResults) -> dict[str, float | str]:
    """The numbers and settings a run table shows of one run."""
    values: dict[str, float | str] = {}
    t = res.training
    if t is not None:
        for key, value in (("final_loss", t.final_loss), ("best_loss", t.best_loss)):
            if (number := finite(value)) is not None:
                values[key] = number
        if (number := finite(t.final_eval_loss)) is not None:
            values["eval:eval_loss"] = number
    for task in res.evaluation:
        for name, metric in task.metrics.items():
            if (number := finite(metric)) is not None:
                values[f"eval:{task.task}/{name}"] = number
    if res.config is not None:
        for key, text in res.config.values.items():
            values[f"cfg:{key}"] = text
    return values


class RunResults:
    """`get_results` values per job, kept once the job is final."""

    def __init__(self, max_kept: int = MAX_KEPT) -> None:
        self._kept: OrderedDict[tuple[str, str], tuple[str, dict[str, float | str]]] = OrderedDict()
        self._lock = threading.Lock()
        self._max = max_kept

    def row(self, svc: JobService, view: JobStatusView) -> RunRow:
        key = (str(svc.root), view.job_id)
        with self._lock:
            kept = self._kept.get(key)
        if kept is not None:
            return RunRow(view, kept[0], kept[1])
        try:
            sweep = sweep_of(svc.record(view.job_id), svc.root / SWEEPS_DIR)
            values = result_values(get_results(svc, view.job_id))
        except ServiceError:  # pruned meanwhile: the status view alone
            return RunRow(view)
        if JobState(view.status).is_final():
            with self._lock:
                self._kept[key] = (sweep, values)
                while len(self._kept) > self._max:
                    self._kept.popitem(last=False)
        return RunRow(view, sweep, values)

    def rows(self, svc: JobService, views: list[JobStatusView]) -> list[RunRow]:
        return [self.row(svc, v) for v in views]


def columns(rows: list[RunRow]) -> list[Column]:
    """Final/best loss, every evaluation metric, the learning rate and the config keys whose
    values differ between the rows; the first few of each shown, the rest one click away."""
    present: dict[str, list[float | str | None]] = {}
    for row in rows:
        for key in row.values:
            present.setdefault(key, [])
    for key, seen in present.items():
        seen.extend(row.values.get(key) for row in rows)
    cols = [
        Column(key, label, "metric", True)
        for key, label in (("final_loss", "final loss"), ("best_loss", "best loss"))
        if key in present
    ]
    # headline metrics first: a task's own scores before its per-category ones and counts
    metrics = sorted(
        (k for k in present if k.startswith("eval:")),
        key=lambda k: ("." in k or k.endswith(("/passed", "/total")), k),
    )
    cols += [Column(k, k[5:], "metric", i < SHOWN_METRICS) for i, k in enumerate(metrics)]
    configs = [
        k
        for k in sorted(present)
        if k.startswith("cfg:")
        and k[4:] not in _SKIPPED_KEYS
        and (k[4:] == LEARNING_RATE or len(set(present[k])) > 1)
    ]
    configs.sort(key=lambda k: k[4:] != LEARNING_RATE)  # the learning rate first
    cols += [
        Column(k, "lr" if k[4:] == LEARNING_RATE else k[4:], "config", i < SHOWN_CONFIG)
        for i, k in enumerate(configs)
    ]
    return cols
