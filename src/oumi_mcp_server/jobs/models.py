"""The typed answers of the job tools (the stored record is `record.JobRecord`)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from oumi_mcp_server.jobs.record import LOCAL_BACKEND
from oumi_mcp_server.jobs.states import JobState


class JobProgress(BaseModel):
    step: int | None = None
    total_steps: int | None = None
    fraction: float | None = Field(default=None, description="step / total_steps, 0..1")
    loss: float | None = Field(default=None, description="Latest logged training loss.")
    first_loss: float | None = Field(
        default=None, description="First logged loss, to see the trend."
    )
    epoch: float | None = None
    eta_s: float | None = Field(default=None, description="Estimated seconds left.")
    sources: list[str] = Field(default_factory=list, description="Where these numbers came from.")
    notes: list[str] = Field(
        default_factory=list, description="Values the job's files held that were unusable."
    )


class JobStatusView(BaseModel):
    job_id: str
    name: str
    command: str
    status: str = Field(description=" ".join(JobState))
    backend: str
    cluster: str
    exit_code: int | None = None
    signal: str | None = None
    reason: str | None = Field(default=None, description="Why the job is failed, lost or unknown.")
    error_lines: list[str] = Field(description="Last error lines of the logs.")
    submitted_at: str
    started_at: str | None = None
    ended_at: str | None = None
    progress: JobProgress | None = None
    run_dir: str
    output_dir: str
    model: str
    observed_at: str
    status_source: str = Field(description="What the status was read from.")


class LogStream(BaseModel):
    stream: Literal["stdout", "stderr"]
    text: str
    lines: int
    file_size: int
    truncated: bool = Field(description="True when older lines were left out.")


class JobLogs(BaseModel):
    job_id: str
    status: str
    streams: list[LogStream]
    truncated: bool
    grep: str | None = None


class JobSummary(BaseModel):
    job_id: str
    name: str
    command: str
    status: str
    backend: str
    submitted_at: str
    exit_code: int | None = None
    step: int | None = None
    total_steps: int | None = None
    loss: float | None = None


class JobList(BaseModel):
    jobs: list[JobSummary]
    next_cursor: str | None = Field(default=None, description="Pass back as cursor for older jobs.")
    total_stored: int


class LaunchPlan(BaseModel):
    """What will run, shown to the person before anything starts; the consent token binds it."""

    command: str
    argv: list[str]
    cwd: str
    config: str
    config_sha256: str
    output_dir: str
    job_name: str | None = None
    env: dict[str, str] = Field(
        default_factory=dict, description="Added variables, secrets redacted."
    )
    nproc: int = 1
    backend: str = LOCAL_BACKEND
    preflight: str = Field(description="Pre-flight summary, or why it is unavailable.")
    preflight_ready: bool | None = None
    notes: list[str] = Field(default_factory=list)
    cluster: dict[str, Any] | None = Field(
        default=None, description="Cluster launch: cloud, cluster, job config, autostop."
    )


class LaunchResult(BaseModel):
    launched: bool
    plan: LaunchPlan | None = None
    confirm_token: str | None = Field(
        default=None, description="Pass back to launch this exact plan."
    )
    expires_at: str | None = None
    job: JobStatusView | None = None
    message: str


class CancelResult(BaseModel):
    job_id: str
    cancelled: bool
    status: str
    message: str
    confirm_token: str | None = None
    expires_at: str | None = None
    remaining_pids: list[int] = Field(default_factory=list)
