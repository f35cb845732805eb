"""Typed answers of the cluster tools."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class FetchResult(BaseModel):
    job_id: str
    source: str = Field(description="cluster:path the outputs came from.")
    dest: str = Field(description="Local folder they are in now.")
    files: int
    bytes: int


class ClusterInfo(BaseModel):
    name: str
    cloud: str
    status: str
    cost_per_hour: float | None = None
    autostop_minutes: int | None = None
    jobs: list[str] = Field(default_factory=list, description="Our job ids on this cluster.")


class ClusterList(BaseModel):
    clusters: list[ClusterInfo]
    clouds_checked: list[str]
    errors: dict[str, str] = Field(default_factory=dict, description="Clouds that did not answer.")


class ClusterAction(BaseModel):
    cloud: str
    cluster: str
    action: str = Field(description="stop or down.")
    done: bool
    message: str
    plan: str | None = Field(None, description="What will happen and what will be lost.")
    confirm_token: str | None = None
    expires_at: str | None = None


class ClusterOptions(BaseModel):
    """run_oumi_job's `cluster` argument (with `cloud`); unset fields keep the config's value."""

    model_config = ConfigDict(extra="forbid")

    cluster_name: str | None = Field(None, description="Reuse/name a cluster; Slurm: user@host.")
    accelerators: str | None = Field(None, description="e.g. A100:8")
    num_nodes: int | None = None
    use_spot: bool | None = None
    disk_size: int | None = Field(None, description="GB")
    file_mounts: dict[str, str] = Field(default_factory=dict, description="remote: local")
    storage_mounts: dict[str, dict[str, str]] = Field(default_factory=dict)
    setup: str | None = Field(None, description="Shell run before the job.")
    autostop_minutes: int | None = Field(None, description="Idle minutes; -1 off. Default 30.")
    fetch_outputs: bool = Field(False, description="Copy outputs home when it ends.")
