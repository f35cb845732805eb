"""What `compare_runs` answers: 2-20 runs side by side, every list aligned with `runs` (index i
is run i), bounded so the whole answer stays under 8 KB (the HTML report holds everything)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

Mark = Literal["baseline", "better", "worse", "same", "n/a"]
Direction = Literal["lower", "higher"]

DIRECTION_RULE = (
    "Lower is better for metrics named like loss, perplexity, error, wer/cer, mse/mae, "
    "runtime or latency; higher is better for every other metric."
)


class RunSummary(BaseModel):
    job_id: str
    name: str
    command: str
    status: str
    steps: int | None = Field(default=None, description="Last optimizer step reached.")
    final_loss: float | None = None
    best_loss: float | None = None
    run_time_s: float | None = Field(default=None, description="Started to ended (or now).")
    cost_usd: float | None = Field(
        default=None, description="Cluster jobs where the price per hour is known; else null."
    )
    eval_jobs: list[str] = Field(
        default_factory=list, description="Linked evaluate jobs whose metrics are shown here."
    )
    headline: float | None = Field(default=None, description="This run's headline metric.")
    rank: int | None = Field(default=None, description="1 = best by the headline metric.")


class ConfigDiff(BaseModel):
    key: str = Field(description="Dotted config key (overrides applied).")
    values: list[str | None] = Field(description="Per run; null where the key is unset.")


class MetricRow(BaseModel):
    metric: str = Field(description="final_loss, best_loss, eval_loss or <task>/<metric>.")
    direction: Direction
    values: list[float | None]
    deltas: list[float | None] = Field(description="Value minus the baseline's.")
    marks: list[Mark]


class CurveSummary(BaseModel):
    metric: str = "loss"
    steps: list[int] = Field(description="The same steps for every run.")
    values: list[list[float | None]] = Field(
        description="Per run, the value at each step (interpolated; null outside the run)."
    )


class Comparison(BaseModel):
    runs: list[RunSummary]
    baseline: str = Field(description="Job id deltas are measured against.")
    metric: str | None = Field(default=None, description="Headline metric ranking the runs.")
    direction_rule: str = Field(description="Which way is better, per metric name.")
    config_diff: list[ConfigDiff] = Field(
        default_factory=list, description="Only the config keys whose values differ."
    )
    config_diff_truncated: bool = False
    metrics: list[MetricRow] = Field(default_factory=list)
    metrics_truncated: bool = False
    curve: CurveSummary | None = None
    report_path: str | None = Field(
        default=None, description="Self-contained HTML report (tables and overlaid curves)."
    )
    notes: list[str] = Field(default_factory=list)
