"""Jobs on clusters through `oumi.launcher` (SkyPilot clouds, Slurm, the HPC clusters Oumi knows),
behind the jobs package's `Backend` interface."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import yaml

from oumi_mcp_server.clusters import fetch, submit
from oumi_mcp_server.clusters.follow import Follower
from oumi_mcp_server.clusters.submit import ClusterBuiltPlan
from oumi_mcp_server.clusters.wrap import SKY_CLOUDS
from oumi_mcp_server.core.errors import ServiceError
from oumi_mcp_server.jobs.backend import Stopped
from oumi_mcp_server.jobs.plan import BuiltPlan, LaunchRequest
from oumi_mcp_server.jobs.record import LAUNCHER_BACKEND, JobRecord
from oumi_mcp_server.jobs.states import Resolved

logger = logging.getLogger(__name__)


def _cluster_plan(built: BuiltPlan) -> ClusterBuiltPlan:
    if not isinstance(built, ClusterBuiltPlan):
        raise ServiceError(
            "not_a_cluster_plan",
            "This plan is not a cluster plan.",
            "Plan it again with cloud set.",
        )
    return built


class LauncherBackend:
    name = LAUNCHER_BACKEND

    def __init__(self) -> None:
        self.follower = Follower()

    def plan(self, req: LaunchRequest, *, preflight: bool) -> BuiltPlan:
        return submit.plan_cluster(req, preflight=preflight)

    def binding(self, built: BuiltPlan) -> dict[str, Any]:
        return submit.cluster_binding(built)

    def render(self, built: BuiltPlan) -> str:
        c = _cluster_plan(built).cluster
        return "\n".join(
            [
                f"Launch oumi {built.plan.command} on {c['cloud']} "
                f"(cluster {c['cluster_name'] or 'new, named at launch'})?",
                f"Job config:\n{yaml.safe_dump(c['job_config'], sort_keys=False)}",
                *built.plan.notes,
                f"Pre-flight: {built.plan.preflight}",
            ]
        )

    def prepare(self, built: BuiltPlan, job_id: str, run_dir: Path) -> JobRecord:
        return submit.prepare(_cluster_plan(built), job_id, run_dir)

    def start(self, rec: JobRecord) -> str:
        submit.start_helper(Path(rec.run_dir))
        return (
            f"Launching {rec.id} on {rec.extra.get('cloud')} (status 'launching' while "
            "provisioning). Follow it with wait_for_job or get_job_status."
        )

    def resolve(self, rec: JobRecord) -> Resolved:
        res = self.follower.resolve(rec)
        problem = fetch.fetch_error(Path(rec.run_dir)) if rec.run_dir else None
        if problem:
            res.reason = (
                f"{res.reason + ' ' if res.reason else ''}Automatic fetch of outputs "
                f"failed: {problem}"
            )
        return res

    def reconcile(self, recs: list[JobRecord]) -> dict[str, str]:
        outcomes: dict[str, str] = {}
        for rec in recs:
            try:
                outcome = self.follower.reconcile(rec)
            except Exception:
                logger.exception("reconcile of cluster job %s failed", rec.id)
                continue
            if outcome in ("completed", "failed", "cancelled"):
                outcomes[rec.id] = outcome
        return outcomes

    def describe_cancel(self, rec: JobRecord, force: bool) -> str:
        cloud = rec.extra.get("cloud") or "the cluster"
        up = (
            f" The cluster {rec.cluster} stays up (stop_cluster or down_cluster stop billing)."
            if cloud in SKY_CLOUDS
            else ""
        )
        return (
            f"Cancel job {rec.id} ({rec.command}, {rec.name}) on {cloud}? The launcher "
            f"cancels it on cluster {rec.cluster} (while still launching, the cancel is "
            f"applied the moment the launch completes).{up}"
        )

    def cancel(self, rec: JobRecord, force: bool) -> Stopped:
        return self.follower.cancel(rec)
