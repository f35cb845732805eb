"""Clusters service: launch on a cloud with consent, and the cluster operations.

Public API (all blocking; the MCP layer runs them off the event loop):

- `plan(req: LaunchRequest, args: ClusterArgs, fetch_outputs=False, preflight=True)
  -> ClusterBuiltPlan` (`plan_from_options(req, cloud, options: dict)` for the tool's
  arguments; `render(built)` for elicitation); `offer(built) -> LaunchResult` (plan + token);
  `launch_confirmed(built, token) -> LaunchResult`; `launch_approved(built) -> LaunchResult`.
  The launch returns at once with the job `queued` (launching) while the detached helper runs.
- `cancel(job_id) -> CancelResult` for a launcher job (consent is the jobs service's).
- `fetch_outputs(job_id, dest=None, client_cwd=None, on_progress=None) -> FetchResult`.
- `list_clusters(cloud=None) -> ClusterList`; `cluster_action(action, cloud, cluster,
  confirm_token=None, approved=False) -> ClusterAction` for stop and down.
"""

from __future__ import annotations

import concurrent.futures
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from oumi_mcp_server.clusters import follow, inventory
from oumi_mcp_server.clusters.models import (
    ClusterAction,
    ClusterList,
    ClusterOptions,
    FetchResult,
)
from oumi_mcp_server.clusters.submit import (
    BACKEND,
    ClusterBuiltPlan,
    cluster_binding,
    plan_cluster,
    submit,
)
from oumi_mcp_server.clusters.wrap import ClusterArgs
from oumi_mcp_server.core import consent
from oumi_mcp_server.core.errors import ServiceError
from oumi_mcp_server.core.workspace import resolve_in_workspace
from oumi_mcp_server.jobs.models import CancelResult, LaunchResult
from oumi_mcp_server.jobs.plan import LaunchRequest
from oumi_mcp_server.jobs.service import get_service


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).isoformat(timespec="seconds")


def plan(
    req: LaunchRequest, args: ClusterArgs, fetch_outputs: bool = False, preflight: bool = True
) -> ClusterBuiltPlan:
    return plan_cluster(req, args, fetch_outputs=fetch_outputs, preflight=preflight)


def plan_from_options(
    req: LaunchRequest,
    cloud: str,
    options: Mapping[str, Any] | None,
    preflight: bool = True,
) -> ClusterBuiltPlan:
    """`plan` from run_oumi_job's `cloud` and `cluster` arguments (validated here)."""
    try:
        o = ClusterOptions.model_validate(dict(options or {}))
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(x) for x in first.get("loc", ()))
        raise ServiceError(
            "bad_cluster_option",
            f"cluster.{where}: {first.get('msg', 'invalid')}.",
            f"Known keys: {', '.join(ClusterOptions.model_fields)}.",
        ) from None
    args = ClusterArgs(
        cloud=cloud,
        cluster_name=o.cluster_name,
        accelerators=o.accelerators,
        num_nodes=o.num_nodes,
        use_spot=o.use_spot,
        disk_size=o.disk_size,
        file_mounts=dict(o.file_mounts),
        storage_mounts=dict(o.storage_mounts),
        setup=o.setup,
        autostop_minutes=o.autostop_minutes,
    )
    return plan(req, args, fetch_outputs=o.fetch_outputs, preflight=preflight)


def render(built: ClusterBuiltPlan) -> str:
    """The cluster plan as a person reads it (the elicitation message)."""
    c = built.cluster
    return "\n".join(
        [
            f"Launch oumi {built.plan.command} on {c['cloud']} (cluster {c['cluster_name']})?",
            f"Job config:\n{yaml.safe_dump(c['job_config'], sort_keys=False)}",
            *built.plan.notes,
            f"Pre-flight: {built.plan.preflight}",
        ]
    )


def offer(built: ClusterBuiltPlan) -> LaunchResult:
    tok = consent.issue("launch", cluster_binding(built))
    return LaunchResult(
        launched=False,
        plan=built.plan,
        confirm_token=tok.token,
        expires_at=_iso(tok.expires_at),
        message="Nothing started. Show this plan (job config, cluster, autostop) to the user; if "
        "they agree, call run_oumi_job again with the same arguments and this confirm_token.",
    )


def _start(built: ClusterBuiltPlan, token_digest: str | None) -> LaunchResult:
    jobs = get_service()
    rec = submit(built, jobs.store, jobs.root, token_digest)
    return LaunchResult(
        launched=True,
        job=jobs.status(rec.id),
        message=f"Launching {rec.id} on {built.cluster['cloud']} (status 'queued' while "
        "provisioning). Follow it with wait_for_job or get_job_status.",
    )


def launch_confirmed(built: ClusterBuiltPlan, confirm_token: str | None) -> LaunchResult:
    digest = consent.verify(confirm_token, "launch", cluster_binding(built))
    return _start(built, digest)


def launch_approved(built: ClusterBuiltPlan) -> LaunchResult:
    return _start(built, None)


def cancel(job_id: str) -> CancelResult:
    rec = get_service().record(job_id)
    if rec.backend != BACKEND:
        raise ServiceError(
            "not_a_cluster_job", f"{job_id} is not a cluster job.", "Use cancel_job for local jobs."
        )
    return follow.cancel(rec)


def fetch_outputs(
    job_id: str,
    dest: str | None = None,
    client_cwd: str | None = None,
    on_progress: Callable[[int], None] | None = None,
) -> FetchResult:
    rec = get_service().record(job_id)
    if rec.backend != BACKEND:
        raise ServiceError(
            "not_a_cluster_job",
            f"{job_id} ran locally; its outputs are in {rec.output_dir}.",
            "Read them there.",
        )
    target = None
    if dest:
        if not client_cwd:
            raise ServiceError(
                "bad_client_cwd", "dest needs client_cwd.", "Pass the absolute project folder."
            )
        target = resolve_in_workspace(dest, client_cwd)
    return follow.fetch_outputs(rec, Path(target) if target else None, on_progress)


def list_clusters(cloud: str | None = None, per_cloud_timeout_s: float = 20.0) -> ClusterList:
    clouds = [cloud] if cloud else inventory.enabled_clouds()
    out = ClusterList(clusters=[], clouds_checked=clouds)
    pool = concurrent.futures.ThreadPoolExecutor(max_workers=max(1, len(clouds)))
    futures = {name: pool.submit(inventory.clusters_of, name) for name in clouds}
    for name, fut in futures.items():
        try:
            out.clusters += fut.result(timeout=per_cloud_timeout_s)
        except concurrent.futures.TimeoutError:
            out.errors[name] = f"no answer within {per_cloud_timeout_s:.0f} s"
        except Exception as exc:
            out.errors[name] = f"{type(exc).__name__}: {str(exc)[:200]}"
    pool.shutdown(wait=False, cancel_futures=True)
    inventory.attach_jobs(out.clusters, get_service().store)
    return out


def cluster_action(
    action: str,
    cloud: str,
    cluster: str,
    confirm_token: str | None = None,
    approved: bool = False,
) -> ClusterAction:
    if action not in ("stop", "down"):
        raise ServiceError("bad_action", f"Unknown action {action!r}.", "Use stop or down.")
    what = inventory.describe(action, cloud, cluster)
    bind = {"action": action, "cloud": cloud, "cluster": cluster}
    if not approved:
        if not confirm_token:
            tok = consent.issue(f"cluster-{action}", bind)
            return ClusterAction(
                cloud=cloud,
                cluster=cluster,
                action=action,
                done=False,
                message="Nothing changed yet. Show the plan to the user, then "
                f"call {action}_cluster again with this confirm_token.",
                plan=what,
                confirm_token=tok.token,
                expires_at=_iso(tok.expires_at),
            )
        consent.verify(confirm_token, f"cluster-{action}", bind)
    message = inventory.apply(action, cloud, cluster)
    return ClusterAction(
        cloud=cloud, cluster=cluster, action=action, done=True, message=message, plan=what
    )


CLUSTER_OPTION_KEYS: tuple[str, ...] = tuple(ClusterOptions.model_fields)
"""The keys of run_oumi_job's `cluster` argument, for its description."""
