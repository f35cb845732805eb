"""The few `oumi.launcher` calls we make, always for one named cloud (never `launcher.status()`
without a cloud: that starts a SkyPilot API server and needs every cloud's SDK).

Heavy: imports oumi on first use; callers run these off the event loop. Clouds registered by
plugins (modules named in `OUMI_MCP_CLOUD_PLUGINS`, comma-separated) are imported first, in this
process and in the launch helper.
"""

from __future__ import annotations

import concurrent.futures
import importlib
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from oumi_mcp_server.clusters import slurm
from oumi_mcp_server.clusters.wrap import SLURM_CLOUDS
from oumi_mcp_server.core.errors import ServiceError

PLUGINS_ENV = "OUMI_MCP_CLOUD_PLUGINS"
_lock = threading.RLock()


@dataclass
class RemoteStatus:
    state: str  # oumi JobState value: pending, running, succeeded, failed, cancelled
    status: str  # the cloud's own word (e.g. Slurm's COMPLETED)
    done: bool
    cost_per_hour: float | None = None


def load_plugins() -> None:
    for name in filter(None, (n.strip() for n in os.environ.get(PLUGINS_ENV, "").split(","))):
        importlib.import_module(name)


def launcher() -> Any:
    load_plugins()
    import oumi.launcher

    return oumi.launcher


def known_clouds() -> list[str]:
    return list(launcher().which_clouds())


def cluster(cloud: str, name: str) -> Any:
    """The launcher's cluster object; Slurm-like clouds only know clusters made in-process."""
    with _lock:
        target = launcher().get_cloud(cloud)
        found = target.get_cluster(name)
        if found is None and hasattr(target, "_get_or_create_cluster"):
            found = target._get_or_create_cluster(name)
        return found


def _with_master(cloud: str, name: str) -> slurm.Target | None:
    if cloud not in SLURM_CLOUDS:
        return None
    target = slurm.parse_cluster(name)
    slurm.open_master(target)
    return target


def job_status(cloud: str, name: str, job_id: str) -> RemoteStatus | None:
    _with_master(cloud, name)
    with _lock:
        found = cluster(cloud, name)
        if found is None:
            return None
        st = found.get_job(job_id)
    if st is None:
        return None
    state = getattr(st.state, "value", None) or str(st.status).lower()
    return RemoteStatus(str(state), str(st.status), bool(st.done), st.cost_per_hour)


def cancel(cloud: str, name: str, job_id: str) -> RemoteStatus | None:
    _with_master(cloud, name)
    with _lock:
        found = cluster(cloud, name)
        if found is None:
            raise RuntimeError(f"cluster {name} not found on {cloud}")
        found.cancel_job(job_id)
    return job_status(cloud, name, job_id)


def sky_rsync_down(cluster_name: str, remote: str, local: Path) -> None:
    """SkyPilot's own rsync from the head node (idempotent: rsync only copies what changed)."""
    local.mkdir(parents=True, exist_ok=True)
    from sky import global_user_state

    record = global_user_state.get_cluster_from_name(cluster_name)
    if not record or record.get("handle") is None:
        raise RuntimeError(f"SkyPilot does not know cluster {cluster_name}")
    runner = record["handle"].get_command_runners()[0]
    runner.rsync(source=f"{remote.rstrip('/')}/", target=f"{local}/", up=False, stream_logs=False)


T = TypeVar("T")


def bounded(timeout_s: float, fn: Callable[..., T], *args: Any) -> T:
    """Call `fn` in a worker thread and give up after `timeout_s` (the thread is abandoned: a
    launcher call cannot be interrupted), so a hung cloud never hangs a tool."""
    pool = concurrent.futures.ThreadPoolExecutor(max_workers=1)
    try:
        return pool.submit(fn, *args).result(timeout=timeout_s)
    except concurrent.futures.TimeoutError:
        raise ServiceError(
            "launcher_timeout",
            f"The launcher did not answer within {timeout_s:.0f} s.",
            "The cloud or cluster may be unreachable; check it, then retry.",
        ) from None
    finally:
        pool.shutdown(wait=False, cancel_futures=True)
