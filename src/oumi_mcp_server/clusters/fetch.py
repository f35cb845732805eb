"""Bring a cluster job's outputs home: `fetch_outputs`, and the detached helper that does it when
a job that asked for it ends (`python -m oumi_mcp_server.clusters.fetch <run_dir>`), so no read
and no reconcile pass ever waits on an rsync. The helper's failure is kept in the run folder
(`fetch_error.json`) and shown in the job's status.
"""

from __future__ import annotations

import contextlib
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from oumi_mcp_server.clusters import runstate, slurm
from oumi_mcp_server.clusters.models import FetchResult
from oumi_mcp_server.clusters.wrap import MARKER, SLURM_CLOUDS
from oumi_mcp_server.core.detach import detach
from oumi_mcp_server.core.errors import ServiceError
from oumi_mcp_server.core.redact import redact_text
from oumi_mcp_server.jobs.states import LaunchPhase

FETCHED = "fetched.json"
FETCH_ERROR = "fetch_error.json"


def _remote_output(spec: dict[str, Any], remote_dir: str) -> str:
    out, cwd = str(spec.get("output_dir") or ""), str(spec.get("cwd") or "")
    if out and cwd and Path(out).is_relative_to(cwd):
        return str(Path(remote_dir) / Path(out).relative_to(cwd))
    return out or remote_dir


def fetch_outputs(
    run_dir: Path,
    job_id: str,
    dest: Path | None = None,
    on_progress: Callable[[int], None] | None = None,
) -> FetchResult:
    """Copy the job's output folder from the cluster into `dest` (the run folder's `outputs/`)."""
    st = runstate.state(run_dir)
    if st.launch is not LaunchPhase.LAUNCHED:
        raise ServiceError(
            "not_launched",
            f"Job {job_id} never ran on a cluster; nothing to fetch.",
            "get_job_status says why.",
        )
    spec = runstate.launch_spec(run_dir)
    cloud, cluster = str(spec["cloud"]), st.cluster or str(spec["cluster"])
    launcher_job = str(st.launcher_job_id)
    dest = dest or run_dir / runstate.OUTPUTS
    try:
        if cloud in SLURM_CLOUDS:
            target = slurm.parse_cluster(cluster)
            slurm.open_master(target)
            remote_dir = slurm.remote_dir(target, launcher_job, MARKER)
            if not remote_dir:
                raise ServiceError(
                    "fetch_failed",
                    f"Job {launcher_job}'s log does not say where it ran.",
                    "The job may not have started yet; retry after it ran.",
                )
            remote = _remote_output(spec, remote_dir)
            slurm.rsync_down(target, remote, dest, on_progress)
        else:
            from oumi_mcp_server.clusters import launcher_api

            remote = _remote_output(spec, "~/sky_workdir")
            launcher_api.sky_rsync_down(cluster, remote, dest)
    except ServiceError:
        raise
    except Exception as exc:
        raise ServiceError(
            "fetch_failed",
            f"Copying outputs from {cluster} failed: {redact_text(str(exc))[:300]}",
            "Check the cluster is up and reachable, then call fetch_outputs again (it resumes).",
        ) from None
    files = [p for p in dest.rglob("*") if p.is_file()]
    result = FetchResult(
        job_id=job_id,
        source=f"{cluster}:{remote}",
        dest=str(dest),
        files=len(files),
        bytes=sum(p.stat().st_size for p in files),
    )
    runstate.write_json_atomic(run_dir / FETCHED, result.model_dump(), mode=0o644)
    (run_dir / FETCH_ERROR).unlink(missing_ok=True)
    return result


def fetch_error(run_dir: Path) -> str | None:
    """Why the automatic fetch failed, with the fix, or None."""
    data = runstate.read_json(run_dir / FETCH_ERROR)
    return f"{data.get('message')} {data.get('fix')}".strip() if data else None


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python -m oumi_mcp_server.clusters.fetch <run_dir>", file=sys.stderr)
        return 2
    run_dir = Path(argv[0]).resolve()
    detach(wait_for_go=False)
    try:
        fetch_outputs(run_dir, run_dir.name)
    except ServiceError as exc:
        with contextlib.suppress(OSError):
            runstate.write_json_atomic(
                run_dir / FETCH_ERROR,
                {"at": time.time(), "code": exc.code, "message": exc.message, "fix": exc.fix},
                mode=0o644,
            )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
