"""`compare_runs`: 2-20 runs side by side. Everything is read from each run's own evidence
through `jobs.results` (`collect`, what get_results answers) and `experiments.curves.series`;
eval metrics also come from the evaluate jobs that loaded a run's outputs (`links`). Checks every
argument before reading anything, so a refusal writes nothing; then writes the HTML report."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

from oumi_mcp_server.clusters.follow import FINAL
from oumi_mcp_server.core.echo import short
from oumi_mcp_server.core.errors import ServiceError
from oumi_mcp_server.experiments import (
    compare_cache,
    compare_config,
    compare_metrics,
    curves,
    links,
)
from oumi_mcp_server.experiments import report as html_report
from oumi_mcp_server.experiments.compare_models import (
    DIRECTION_RULE,
    Comparison,
    ConfigDiff,
    CurveSummary,
    RunSummary,
)
from oumi_mcp_server.jobs import progress_base as base
from oumi_mcp_server.jobs import results, runfolder
from oumi_mcp_server.jobs.record import LOCAL_BACKEND, JobRecord
from oumi_mcp_server.jobs.results_models import EvalTask, JobResults
from oumi_mcp_server.jobs.service import JobService
from oumi_mcp_server.jobs.states import Resolved

MIN_RUNS, MAX_RUNS = 2, 20
CURVE_STEPS = 8
MAX_EVAL_JOBS = 3
"""Linked evaluate jobs read per run, newest first."""
MAX_ANSWER_BYTES = 7_600
"""Under the 8 KB answer bound, with room for the MCP envelope."""


@dataclass
class Run:
    """Everything read for one run."""

    rec: JobRecord
    res: Resolved
    results: JobResults
    evals: list[EvalTask]
    eval_jobs: list[str]
    series: curves.Series
    config: dict[str, str]
    metrics: dict[str, float] = field(default_factory=dict)


def check_ids(job_ids: list[str], baseline: str | None) -> None:
    if not MIN_RUNS <= len(job_ids) <= MAX_RUNS:
        raise ServiceError(
            "bad_job_ids",
            f"compare_runs takes {MIN_RUNS} to {MAX_RUNS} job ids, got {len(job_ids)}.",
            "Pass the ids of the runs to compare (list_jobs shows them); for more than "
            f"{MAX_RUNS}, compare the best ones.",
        )
    seen: set[str] = set()
    twice = [j for j in job_ids if j in seen or seen.add(j)]  # type: ignore[func-returns-value]
    if twice:
        raise ServiceError(
            "duplicate_job_ids",
            f"Job id {short(twice[0], 80)!r} is given more than once.",
            "Pass each run once.",
        )
    if baseline is not None and baseline not in job_ids:
        raise ServiceError(
            "bad_baseline",
            f"Baseline {short(baseline, 80)!r} is not one of the job ids compared.",
            "Pass one of job_ids as baseline, or omit it (the first run is the baseline).",
        )


def records(service: JobService, job_ids: list[str]) -> list[JobRecord]:
    """Every record, or one error naming every unknown id."""
    found: list[JobRecord] = []
    unknown: list[str] = []
    for job_id in job_ids:
        try:
            found.append(service.record(job_id))
        except ServiceError:
            unknown.append(short(job_id, 80))
    if unknown:
        raise ServiceError(
            "unknown_job",
            f"No job with id {', '.join(repr(u) for u in unknown[:5])}"
            + (f" (and {len(unknown) - 5} more)." if len(unknown) > 5 else "."),
            "list_jobs shows the known job ids.",
            {"unknown": unknown},
        )
    return found


def _evidence(service: JobService, rec: JobRecord) -> tuple[Resolved, compare_cache.Evidence]:
    """The run's status (resolved now) and its evidence (read again only when it changed)."""
    res = service.resolve(rec)

    def read() -> compare_cache.Evidence:
        run_dir = Path(rec.run_dir) if rec.run_dir else None
        win = base.window(run_dir, res.started_at, res.ended_at)
        got = results.collect(rec, res.status.value, win)
        return compare_cache.Evidence(got, curves.series(rec), compare_config.run_config(rec))

    return res, compare_cache.evidence(rec, res, read)


def gather(service: JobService, rec: JobRecord, evaluators: list[links.Candidate]) -> Run:
    res, found = _evidence(service, rec)
    evals = list(found.results.evaluation)
    eval_jobs = []
    for other in links.linked(rec, evaluators)[:MAX_EVAL_JOBS]:
        evals += _evidence(service, other)[1].results.evaluation
        eval_jobs.append(other.id)
    run = Run(rec, res, found.results, evals, eval_jobs, found.series, found.config)
    run.metrics = metrics_of(run)
    return run


def metrics_of(run: Run) -> dict[str, float]:
    """final/best loss, the trainer's last eval_loss, then `<task>/<metric>` of every evaluation:
    the run's own (newest first), then its linked evaluate jobs' (newest job first); the first
    value found wins. stderr and text values are left out."""
    found: dict[str, float] = {}
    train = run.results.training
    if train is not None:
        for name, loss in (
            ("final_loss", train.final_loss),
            ("best_loss", train.best_loss),
            ("eval_loss", train.final_eval_loss),
        ):
            if loss is not None:
                found[name] = loss
    for task in run.evals:
        for name, value in task.metrics.items():
            if isinstance(value, float | int) and "stderr" not in name:
                found.setdefault(f"{task.task}/{name}", float(value))
    return found


def run_time(run: Run) -> float | None:
    start, end = run.res.started_at, run.res.ended_at
    if start is not None and end is None and not run.res.status.is_terminal():
        end = time.time()
    if start is not None and end is not None and end >= start:
        return round(end - start, 1)
    train = run.results.training
    return train.wall_time_s if train is not None else None


def cost(rec: JobRecord, seconds: float | None) -> float | None:
    """Price per hour times run time, for cluster jobs whose final record holds the price the
    launcher reported (local jobs, and clouds that report none, have no cost)."""
    if rec.backend == LOCAL_BACKEND or not rec.run_dir or seconds is None:
        return None
    final = runfolder.read_json(Path(rec.run_dir) / FINAL) or {}
    per_hour = final.get("cost_per_hour")
    if isinstance(per_hour, bool) or not isinstance(per_hour, int | float):
        return None
    return round(per_hour * seconds / 3600, 4) if 0 <= per_hour < 1e6 else None


def summary(run: Run) -> RunSummary:
    train = run.results.training
    seconds = run_time(run)
    return RunSummary(
        job_id=run.rec.id,
        name=short(run.rec.name, 60),
        command=run.rec.command,
        status=run.results.status,
        steps=train.step if train else None,
        final_loss=compare_metrics.sig(train.final_loss) if train else None,
        best_loss=compare_metrics.sig(train.best_loss) if train else None,
        run_time_s=seconds,
        cost_usd=cost(run.rec, seconds),
        eval_jobs=run.eval_jobs,
    )


def curve_summary(runs: list[Run], metric: str = "loss") -> CurveSummary | None:
    points = [run.series.get(metric, []) for run in runs]
    steps = curves.common_steps(points, CURVE_STEPS)
    if not steps:
        return None
    values = [[compare_metrics.sig(curves.value_at(p, s), 5) for s in steps] for p in points]
    return CurveSummary(metric=metric, steps=steps, values=values)


@dataclass
class Compared:
    answer: Comparison
    curves: list[tuple[JobRecord, curves.Series]]
    """Each run's full series (for a plot)."""

    def loss_png(self) -> bytes | None:
        """The runs' training loss overlaid, as PNG bytes (None when none logged a loss)."""
        from oumi_mcp_server.experiments import plot

        lines = [(f"{rec.name} ({rec.id})", s.get("loss", [])) for rec, s in self.curves]
        return plot.overlay_png("training loss", lines)


def compare_runs(
    service: JobService,
    job_ids: list[str],
    metric: str | None = None,
    baseline: str | None = None,
) -> Comparison:
    """Compare the runs; the answer is bounded, the HTML report holds it all."""
    return compare(service, job_ids, metric, baseline).answer


def compare(
    service: JobService,
    job_ids: list[str],
    metric: str | None = None,
    baseline: str | None = None,
    *,
    report: bool = True,
) -> Compared:
    """The comparison and the runs' series; writes the report unless `report` is False."""
    check_ids(job_ids, baseline)
    recs = records(service, job_ids)
    evaluators = links.evaluate_jobs(service)
    runs = [gather(service, rec, evaluators) for rec in recs]
    base_index = job_ids.index(baseline) if baseline is not None else 0
    table = compare_metrics.rows([r.metrics for r in runs], base_index)
    head = compare_metrics.headline(table, metric)
    summaries = [summary(r) for r in runs]
    for row, rank, value in zip(
        summaries,
        compare_metrics.ranks(head, len(runs)),
        head.values if head else [None] * len(runs),
        strict=True,
    ):
        row.rank, row.headline = rank, value
    answer = Comparison(
        runs=summaries,
        baseline=recs[base_index].id,
        metric=head.metric if head else None,
        direction_rule=DIRECTION_RULE,
        config_diff=[
            ConfigDiff(key=k, values=v)
            for k, v in compare_config.differing([r.config for r in runs])
        ],
        metrics=table,
        curve=curve_summary(runs),
        notes=notes(runs),
    )
    series = [(r.rec, r.series) for r in runs]
    if report:
        answer.report_path = str(html_report.write(answer, series))
    return Compared(fit(answer), series)


def notes(runs: list[Run]) -> list[str]:
    found: list[str] = []
    for run in runs:
        if run.results.fetch_needed:
            found.append(f"{run.rec.id}: outputs not fetched yet; fetch_outputs brings them.")
        elif run.results.training is None and not run.evals:
            found.append(f"{run.rec.id}: no training log or evaluation found (yet).")
    if all(r.metrics.get("final_loss") is None for r in runs):
        found.append("No run logged a training loss.")
    return found[:5]


def fit(answer: Comparison) -> Comparison:
    """Cut the answer under MAX_ANSWER_BYTES (metrics after the headline, then config keys, then
    curve steps), saying so; the report keeps everything."""
    keep = {answer.metric, *compare_metrics.TRAINING}
    while len(answer.model_dump_json()) > MAX_ANSWER_BYTES:
        extra = [i for i, r in enumerate(answer.metrics) if r.metric not in keep]
        if extra:
            answer.metrics.pop(extra[-1])
            answer.metrics_truncated = True
        elif len(answer.config_diff) > 3:
            answer.config_diff.pop()
            answer.config_diff_truncated = True
        elif answer.curve is not None and len(answer.curve.steps) > 3:
            drop = len(answer.curve.steps) - 2
            answer.curve.steps.pop(drop)
            for values in answer.curve.values:
                values.pop(drop)
        elif len(answer.metrics) > 1:
            answer.metrics.pop()
            answer.metrics_truncated = True
        elif answer.notes:
            answer.notes.pop()
        else:
            break
    return answer
