"""Cluster operations beside the job model: fetch a job's outputs, list clusters, stop and down.

Launching, following and cancelling cluster jobs is the jobs service's (the launcher backend in
`clusters.backend`). All blocking; the MCP layer runs them off the event loop.

- `fetch_outputs(jobs, job_id, dest=None, client_cwd=None, on_progress=None) -> FetchResult`
- `list_clusters(jobs, cloud=None) -> ClusterList`
- `cluster_action(jobs, action, cloud, cluster, confirm_token=None, approved=False)
  -> ClusterAction` for stop and down, behind a single-use consent token.
"""

from __future__ import annotations

import concurrent.futures
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from oumi_mcp_server.clusters import fetch, inventory, launcher_api
from oumi_mcp_server.clusters.models import ClusterAction, ClusterList, ClusterOptions, FetchResult
from oumi_mcp_server.clusters.submit import check_cloud, check_cluster_name
from oumi_mcp_server.core import consent
from oumi_mcp_server.core.errors import ServiceError
from oumi_mcp_server.core.redact import redact_text
from oumi_mcp_server.core.workspace import resolve_in_workspace
from oumi_mcp_server.jobs.record import LAUNCHER_BACKEND
from oumi_mcp_server.jobs.service import JobService

ACTION_TIMEOUT_S = 600.0
"""stop/down wait this long for the launcher before answering with a structured error."""


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).isoformat(timespec="seconds")


def fetch_outputs(
    jobs: JobService,
    job_id: str,
    dest: str | None = None,
    client_cwd: str | None = None,
    on_progress: Callable[[int], None] | None = None,
) -> FetchResult:
    rec = jobs.record(job_id)
    if rec.backend != LAUNCHER_BACKEND:
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
        target = Path(resolve_in_workspace(dest, client_cwd))
        if not target.is_relative_to(Path(client_cwd).resolve()):
            raise ServiceError(
                "dest_outside_project",
                "dest must be a folder inside client_cwd: fetch_outputs writes files there "
                "without asking.",
                "Pass a folder relative to client_cwd (default: the job's run folder).",
            )
    return fetch.fetch_outputs(Path(rec.run_dir), rec.id, target, on_progress)


def list_clusters(
    jobs: JobService, cloud: str | None = None, per_cloud_timeout_s: float = 20.0
) -> ClusterList:
    if cloud:
        check_cloud(cloud)
    clouds = [cloud] if cloud else inventory.enabled_clouds(jobs.store)
    out = ClusterList(clusters=[], clouds_checked=clouds)
    pool = concurrent.futures.ThreadPoolExecutor(max_workers=max(1, len(clouds)))
    futures = {name: pool.submit(inventory.clusters_of, name, jobs.store) for name in clouds}
    for name, fut in futures.items():
        try:
            out.clusters += fut.result(timeout=per_cloud_timeout_s)
        except concurrent.futures.TimeoutError:
            out.errors[name] = f"no answer within {per_cloud_timeout_s:.0f} s"
        except Exception as exc:
            out.errors[name] = f"{type(exc).__name__}: {redact_text(str(exc))[:200]}"
    pool.shutdown(wait=False, cancel_futures=True)
    inventory.attach_jobs(out.clusters, jobs.store)
    return out


def cluster_action(
    jobs: JobService,
    action: str,
    cloud: str,
    cluster: str,
    confirm_token: str | None = None,
    approved: bool = False,
) -> ClusterAction:
    if action not in ("stop", "down"):
        raise ServiceError("bad_action", f"Unknown action {action[:20]!r}.", "Use stop or down.")
    check_cloud(cloud)
    check_cluster_name(cloud, cluster)
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
        jobs.spend_token(consent.verify(confirm_token, f"cluster-{action}", bind))
    try:
        message = launcher_api.bounded(ACTION_TIMEOUT_S, inventory.apply, action, cloud, cluster)
    except ServiceError:
        raise
    except Exception as exc:
        raise ServiceError(
            f"{action}_failed",
            f"{action} of cluster {cluster[:80]!r} on {cloud[:40]!r} failed: "
            f"{redact_text(str(exc))[:300]}",
            "list_clusters shows the clusters that exist; check the name and cloud.",
        ) from None
    return ClusterAction(
        cloud=cloud, cluster=cluster, action=action, done=True, message=message, plan=what
    )


CLUSTER_OPTION_KEYS: tuple[str, ...] = tuple(ClusterOptions.model_fields)
"""The keys of run_oumi_job's `cluster` argument, for its description."""
