"""Which clusters exist, on the clouds that are enabled; stop and tear them down.

Enabled clouds: Slurm when a Slurm cluster is known (our job records, `OUMI_SLURM_CONNECTIONS`);
SkyPilot clouds as SkyPilot's last `sky check` cached them (read from its local state, no API
server); plus clouds registered by plugins (`OUMI_MCP_CLOUD_PLUGINS`). Nothing else is asked.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

from oumi_mcp_server.clusters.models import ClusterInfo
from oumi_mcp_server.clusters.wrap import SKY_CLOUDS, SLURM_CLOUDS
from oumi_mcp_server.jobs.store import JobStore

logger = logging.getLogger(__name__)

_SKY_NAMES = {"kubernetes": "k8s", "slurm": "sky-slurm"}


def sky_state_exists() -> bool:
    """SkyPilot keeps its state in ~/.sky; without it no SkyPilot cluster was ever launched here,
    and asking would create it (and start SkyPilot's API server): reading must write nothing."""
    return (Path.home() / ".sky").is_dir()


def _sky_enabled() -> list[str]:
    if not sky_state_exists():
        return []
    try:
        from sky import global_user_state, skypilot_config
        from sky.clouds.cloud import CloudCapability

        workspace = skypilot_config.get_active_workspace()
        found = global_user_state.get_cached_enabled_clouds(CloudCapability.COMPUTE, workspace)
    except Exception as exc:
        logger.info("SkyPilot enabled clouds unavailable: %s", exc)
        return []
    names = [_SKY_NAMES.get(str(c).lower(), str(c).lower()) for c in found]
    return [n for n in names if n in SKY_CLOUDS]


def _plugin_clouds() -> list[str]:
    from oumi_mcp_server.clusters import launcher_api

    if not os.environ.get(launcher_api.PLUGINS_ENV):
        return []
    known = set(launcher_api.known_clouds())
    return sorted(known - SKY_CLOUDS - SLURM_CLOUDS - {"local", "modal"})


def _slurm_known(store: JobStore) -> bool:
    if os.environ.get("OUMI_SLURM_CONNECTIONS"):
        return True
    return any(rec.extra.get("cloud") == "slurm" for rec in store.page(before=None, limit=200))


def enabled_clouds(store: JobStore) -> list[str]:
    clouds = _sky_enabled()
    if _slurm_known(store):
        clouds.append("slurm")
    return clouds + _plugin_clouds()


def _slurm_names(store: JobStore) -> set[str]:
    names = {
        rec.cluster
        for rec in store.page(before=None, limit=500)
        if rec.extra.get("cloud") == "slurm" and rec.cluster
    }
    for conn in filter(None, os.environ.get("OUMI_SLURM_CONNECTIONS", "").split(",")):
        names.add(conn.strip())
    return names


def _sky_clusters(cloud: str) -> list[ClusterInfo]:
    """SkyPilot clusters of `cloud` from SkyPilot's local state (no API server is started)."""
    if not sky_state_exists():
        return []
    from sky import global_user_state

    out = []
    for record in global_user_state.get_clusters():
        handle = record.get("handle")
        where = str(getattr(getattr(handle, "launched_resources", None), "cloud", "")).lower()
        if _SKY_NAMES.get(where, where) != cloud:
            continue
        info = ClusterInfo(
            name=str(record.get("name")),
            cloud=cloud,
            status=str(getattr(record.get("status"), "value", record.get("status"))),
        )
        info.cost_per_hour, info.autostop_minutes = _sky_details(info.name)
        out.append(info)
    return out


def clusters_of(cloud: str, store: JobStore) -> list[ClusterInfo]:
    if cloud in SKY_CLOUDS:
        return _sky_clusters(cloud)
    from oumi_mcp_server.clusters import launcher_api

    target = launcher_api.launcher().get_cloud(cloud)
    if cloud in SLURM_CLOUDS:
        for name in _slurm_names(store):
            launcher_api.cluster(cloud, name)
    out = []
    for cluster in target.list_clusters():
        info = ClusterInfo(
            name=cluster.name(),
            cloud=cloud,
            status="known (Slurm: shared, not probed)"
            if cloud in SLURM_CLOUDS
            else _sky_status(cluster),
        )
        info.cost_per_hour, info.autostop_minutes = _sky_details(cluster.name())
        out.append(info)
    return out


def _sky_status(cluster: Any) -> str:
    status = getattr(cluster, "status", None)
    if callable(status):
        try:
            return str(status())
        except Exception:
            return "unknown"
    return "up"


def _sky_details(name: str) -> tuple[float | None, int | None]:
    if not sky_state_exists():
        return None, None
    try:
        from sky import global_user_state

        record = global_user_state.get_cluster_from_name(name)
    except Exception:
        return None, None
    if not record:
        return None, None
    cost = None
    handle = record.get("handle")
    try:
        cost = float(handle.launched_resources.get_cost(3600)) * handle.launched_nodes
    except Exception:
        cost = None
    autostop = record.get("autostop")
    return cost, int(autostop) if isinstance(autostop, int) and autostop >= 0 else None


def attach_jobs(clusters: list[ClusterInfo], store: JobStore) -> None:
    by_name: dict[str, list[str]] = {}
    for rec in store.page(before=None, limit=500):
        if rec.cluster:
            by_name.setdefault(rec.cluster, []).append(rec.id)
    for info in clusters:
        info.jobs = by_name.get(info.name, [])[:20]


def describe(action: str, cloud: str, cluster: str) -> str:
    if cloud in SLURM_CLOUDS:
        return (
            f"{action} on Slurm cluster {cluster} does nothing: the cluster is shared and "
            "managed by its admins; cancel jobs with cancel_job instead."
        )
    if action == "stop":
        return (
            f"Stop {cloud} cluster {cluster}: its machines shut down and billing for compute "
            "stops; disks are kept (and billed) and running jobs are killed."
        )
    return (
        f"Tear down {cloud} cluster {cluster}: its machines AND disks are deleted. Everything "
        "on them (checkpoints, outputs not fetched with fetch_outputs) is lost for good."
    )


def apply(action: str, cloud: str, cluster: str) -> str:
    from oumi_mcp_server.clusters import launcher_api

    api = launcher_api.launcher()
    if cloud in SLURM_CLOUDS:
        return describe(action, cloud, cluster)
    if action == "stop":
        api.stop(cloud, cluster)
        return f"Stopped {cluster} on {cloud}."
    api.down(cloud, cluster)
    return f"Tore down {cluster} on {cloud}."
