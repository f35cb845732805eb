"""Metrics of several runs side by side: which way is better, deltas against the baseline run,
marks, and the headline metric that ranks the runs."""

from __future__ import annotations

import math
import re

from oumi_mcp_server.core.echo import short
from oumi_mcp_server.core.errors import ServiceError
from oumi_mcp_server.experiments.compare_models import Direction, Mark, MetricRow

TRAINING = ("final_loss", "best_loss", "eval_loss")
"""Metrics from the training log itself, shown first."""
_LOWER_WORDS = {
    "loss",
    "perplexity",
    "ppl",
    "error",
    "err",
    "wer",
    "cer",
    "ter",
    "mse",
    "mae",
    "rmse",
    "runtime",
    "latency",
    "bpb",
}
_WORD = re.compile(r"[a-z]+")


def direction(metric: str) -> Direction:
    """'lower' for loss/perplexity/error-like names, 'higher' for every other metric."""
    name = metric.lower()
    words = set(_WORD.findall(name))
    lower = words & _LOWER_WORDS or "bits_per_byte" in name
    lower = lower or any(w.endswith(("loss", "error", "perplexity")) for w in words)
    return "lower" if lower else "higher"


def sig(value: float | None, digits: int = 6) -> float | None:
    """`value` to `digits` significant digits (answers stay short)."""
    if value is None or not math.isfinite(value):
        return value
    if value == 0:
        return 0.0  # never -0.0
    return round(value, digits - 1 - math.floor(math.log10(abs(value)))) + 0.0  # never -0.0


def mark(value: float | None, base: float | None, way: Direction) -> Mark:
    if value is None or base is None:
        return "n/a"
    if abs(value - base) <= 1e-9 * max(1.0, abs(base)):
        return "same"
    better = value < base if way == "lower" else value > base
    return "better" if better else "worse"


def rows(per_run: list[dict[str, float]], baseline: int) -> list[MetricRow]:
    """One row per metric any run has: training metrics first, then in order of appearance."""
    names = list(dict.fromkeys(k for run in per_run for k in run))
    names = [n for n in TRAINING if n in names] + [n for n in names if n not in TRAINING]
    out = []
    for name in names:
        values = [run.get(name) for run in per_run]
        base = values[baseline]
        way = direction(name)
        out.append(
            MetricRow(
                metric=name,
                direction=way,
                values=[sig(v) for v in values],
                deltas=[None if v is None or base is None else sig(v - base) for v in values],
                marks=[
                    "baseline" if i == baseline else mark(v, base, way)
                    for i, v in enumerate(values)
                ],
            )
        )
    return out


def headline(table: list[MetricRow], metric: str | None) -> MetricRow | None:
    """The row `metric` names (exactly, or as the unique `<task>/<metric>` ending), or by default
    the first evaluation metric every run has that tells them apart (a suite every run scores 0 on
    ranks nothing), else the first every run has, else eval_loss, else final_loss."""
    if metric is not None:
        exact = [r for r in table if r.metric == metric]
        ends = exact or [r for r in table if r.metric.endswith("/" + metric)]
        if len(ends) == 1:
            return ends[0]
        names = [r.metric for r in table]
        if ends:
            raise ServiceError(
                "ambiguous_metric",
                f"{short(metric, 80)!r} names {len(ends)} metrics.",
                f"Pass one of: {', '.join(short(r.metric, 60) for r in ends[:8])}.",
                {"candidates": [short(r.metric, 80) for r in ends[:20]]},
            )
        raise ServiceError(
            "unknown_metric",
            f"No run has a metric {short(metric, 80)!r}.",
            "Pass one of the metrics the runs have, or omit metric for the default"
            + (f": {', '.join(short(n, 60) for n in names[:10])}." if names else "."),
            {"available": [short(n, 80) for n in names[:40]]},
        )
    complete = [r for r in table if all(v is not None for v in r.values)]
    evals = [r for r in complete if "/" in r.metric]
    evals = [r for r in evals if len(set(r.values)) > 1] + [
        r for r in evals if len(set(r.values)) <= 1
    ]
    fallback = [r for r in table if r.metric in ("eval_loss", "final_loss")]
    picked = evals or [r for r in complete if r.metric == "eval_loss"] or fallback
    return picked[0] if picked else None


def ranks(row: MetricRow | None, count: int) -> list[int | None]:
    """1 for the best value of `row` (ties share a rank); None where a run lacks it."""
    if row is None:
        return [None] * count
    present = sorted({v for v in row.values if v is not None}, reverse=row.direction == "higher")
    order = {v: i + 1 for i, v in enumerate(present)}
    return [order[v] if v is not None else None for v in row.values]
