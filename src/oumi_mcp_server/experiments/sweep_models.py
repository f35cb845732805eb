"""The typed arguments and answers of the sweep tools (run_sweep, get_sweep)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Scalar = str | int | float | bool | None
Mode = Literal["min", "max"]


class Distribution(BaseModel):
    model_config = ConfigDict(extra="forbid")

    choices: list[Scalar] | None = None
    low: float | None = None
    high: float | None = None
    log: bool = Field(default=False, description="Log scale.")
    integer: bool = Field(default=False, description="Whole numbers.")


class RandomSearch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    n: int = Field(description="Points to draw, 1-32.")
    seed: int = Field(default=0, description="Same seed, same points.")
    params: dict[str, Distribution] = Field(description="Override key to its distribution.")


class SweepPointPlan(BaseModel):
    index: int
    overrides: dict[str, Scalar] = Field(description="This point's swept values.")


class SweepPlan(BaseModel):
    """What the whole sweep will run; the confirm_token binds every point of it."""

    command: str
    config: str
    config_sha256: str
    fixed_overrides: dict[str, Scalar] = Field(default_factory=dict)
    points: list[SweepPointPlan]
    jobs: int = Field(description="Jobs the sweep submits (one per point).")
    evaluate: str | None = Field(
        default=None, description="Eval config run after each point's training."
    )
    evaluate_sha256: str | None = None
    output_dir: str = Field(description="Point i writes to this, <sweep_id> and <i> filled in.")
    job_name: str = Field(description="Point i's job name, <sweep_id> and <i> filled in.")
    placement: str = Field(description="Where the points run, and how many at a time.")
    backend: str
    cost: str = Field(description="What is known of the cost.")
    metric: str
    mode: Mode
    example_argv: list[str] = Field(description="Point 0's command.")
    env: dict[str, str] = Field(default_factory=dict, description="Added env, secrets redacted.")
    preflight: str
    preflight_ready: bool | None = None
    notes: list[str] = Field(default_factory=list)


class SweepPointJob(BaseModel):
    index: int
    job_id: str | None
    status: str


class SweepLaunchResult(BaseModel):
    launched: bool
    sweep_id: str | None = None
    plan: SweepPlan | None = None
    confirm_token: str | None = Field(
        default=None, description="Pass back to run this exact sweep."
    )
    expires_at: str | None = None
    jobs: list[SweepPointJob] = Field(default_factory=list)
    message: str


class SweepPointView(BaseModel):
    index: int
    rank: int | None = Field(default=None, description="1 = best; equal values share a rank.")
    overrides: dict[str, Scalar]
    job_id: str | None = None
    status: str
    value: float | None = Field(default=None, description="The metric, when the point reported it.")
    tied: bool = False
    note: str | None = None


class SweepView(BaseModel):
    sweep_id: str
    status: str = Field(description="running, completed, partial, failed, cancelled.")
    command: str
    metric: str
    mode: Mode
    evaluate: str | None = None
    created_at: str
    counts: dict[str, int] = Field(description="Points per status.")
    best: SweepPointView | None = None
    points: list[SweepPointView] = Field(description="Ranked first (best first), then the rest.")
    points_truncated: bool = False
    notes: list[str] = Field(default_factory=list)
