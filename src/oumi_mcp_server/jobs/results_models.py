"""What `get_results` answers: one run's training summary, evaluation metrics, inference outputs,
artifacts and config, each bounded so the whole answer stays under 8 KB."""

from __future__ import annotations

from pydantic import BaseModel, Field


class TrainingSummary(BaseModel):
    """From this run's trainer_state.json log_history (and oumi's telemetry where written)."""

    step: int | None = Field(default=None, description="Last optimizer step reached.")
    total_steps: int | None = None
    epoch: float | None = None
    first_loss: float | None = None
    final_loss: float | None = None
    best_loss: float | None = None
    best_loss_step: int | None = None
    final_eval_loss: float | None = None
    train_loss: float | None = Field(
        default=None, description="Mean training loss the trainer reported."
    )
    samples_per_second: float | None = None
    steps_per_second: float | None = None
    tokens_per_second: float | None = None
    tokens_seen: int | None = None
    wall_time_s: float | None = None
    peak_memory_mib: float | None = Field(
        default=None, description="Peak accelerator memory reserved."
    )
    source: str = Field(description="The trainer_state.json read.")


class EvalTask(BaseModel):
    """One task_result.json oumi wrote (`<output_dir>/<backend>_<time>/`)."""

    task: str
    backend: str
    metrics: dict[str, float | str] = Field(description="Metric name to value (bounded).")
    metrics_truncated: bool = False
    duration_s: float | None = None
    path: str


class InferenceOutputs(BaseModel):
    path: str
    lines: int
    lines_counted_exactly: bool = True
    examples: list[str] = Field(description="The first rows, each truncated.")


class Artifact(BaseModel):
    kind: str = Field(description="model, adapter, checkpoint or file.")
    path: str
    size_bytes: int
    files: int = 1


class ConfigSummary(BaseModel):
    path: str
    values: dict[str, str] = Field(description="Key settings of the config run (bounded).")


class JobResults(BaseModel):
    job_id: str
    status: str
    command: str
    backend: str
    output_dir: str | None = Field(default=None, description="Where the outputs were read.")
    fetch_needed: bool = Field(
        default=False, description="Cluster job whose outputs are not here yet."
    )
    training: TrainingSummary | None = None
    evaluation: list[EvalTask] = Field(default_factory=list)
    evaluation_truncated: bool = False
    inference: InferenceOutputs | None = None
    artifacts: list[Artifact] = Field(default_factory=list)
    artifacts_truncated: bool = False
    config: ConfigSummary | None = None
    notes: list[str] = Field(default_factory=list)
