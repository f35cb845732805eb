"""Follow a cluster job: status from the launcher, log snapshots, cancel, fetch outputs.

- `resolve(rec) -> Resolved` (registered with the jobs package for `backend == "launcher"`):
  the helper's record while launching (a failed launch is terminal, with the error), then the
  launcher's answer for the job's full identity (cloud, cluster, job id), asked of that cloud only
  and cached `CACHE_S` seconds in the run folder. A finished job's outcome is written once to
  `final.json` and never asked again. Each fresh answer also refreshes `stdout.log`, a bounded
  snapshot of the remote log, so logs and progress parsing work as for local jobs.
- `refresh_logs(rec, timeout_s)`: that snapshot, bounded in time by a killable subprocess.
- `cancel(rec) -> CancelResult` (registered as the jobs service's cancel for this backend, after
  consent): while launching, records the intent (the helper applies it); then asks the launcher.
- `fetch_outputs(rec, dest, on_progress) -> FetchResult`: rsync the job's output folder home.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from oumi_mcp_server.clusters import runstate, slurm
from oumi_mcp_server.clusters.models import FetchResult
from oumi_mcp_server.clusters.wrap import MARKER, SKY_CLOUDS, SLURM_CLOUDS
from oumi_mcp_server.core.errors import ServiceError
from oumi_mcp_server.jobs import procinfo
from oumi_mcp_server.jobs.models import CancelResult, JobRecord, JobState
from oumi_mcp_server.jobs.service import BACKEND_CANCEL
from oumi_mcp_server.jobs.status import Resolved, register_backend

logger = logging.getLogger(__name__)

BACKEND = "launcher"
CACHE_S = 4.0
SNAPSHOT_BYTES = 512 * 1024
LOG_TIMEOUT_S = 10.0
OTHER_LOG_EVERY_S = 30.0
OTHER_LOG_TIMEOUT_S = 60.0
LOGSNAP = "logsnap.json"
FINAL = "final.json"
_STATES: dict[str, JobState] = {
    "pending": "queued",
    "running": "running",
    "succeeded": "completed",
    "failed": "failed",
    "cancelled": "cancelled",
}


def _cloud(run_dir: Path) -> tuple[str, str]:
    spec = runstate.launch_spec(run_dir)
    return str(spec["cloud"]), str(spec["cluster"])


def _helper_alive(st: dict[str, Any]) -> bool:
    pid = st.get("helper_pid")
    if pid is None:  # not yet recorded: the helper is starting
        return time.time() - float(st.get("queued_at") or 0) < 120
    return procinfo.is_alive(pid, st.get("helper_start_time"))


def _from_final(final: dict[str, Any]) -> Resolved:
    return Resolved(
        final["status"],
        "launcher (final, recorded)",
        exit_code=final.get("exit_code"),
        reason=final.get("reason"),
        started_at=final.get("started_at"),
        ended_at=final.get("ended_at"),
        error_lines=list(final.get("error_lines") or []),
    )


def _launch_phase(rec: JobRecord, st: dict[str, Any], cloud: str, name: str) -> Resolved | None:
    """The answer while the helper owns the job, or None once it launched."""
    phase = st.get("phase")
    if phase == "cancelled":
        return Resolved(
            "cancelled", "launch helper", reason=st.get("note"), ended_at=st.get("ended_at")
        )
    if phase == "failed":
        error = str(st.get("error") or "unknown error")
        return Resolved(
            "failed",
            "launch helper",
            reason=f"Launch failed: {error[:500]}",
            ended_at=st.get("ended_at"),
            error_lines=error.splitlines()[-8:],
        )
    if phase == "launching":
        if _helper_alive(st):
            return Resolved(
                "launching",
                "launch helper",
                reason=f"Launching on {cloud} (cluster {name}): provisioning and "
                "submitting; this can take minutes.",
            )
        st = runstate.state(Path(rec.run_dir))
        if st.get("phase") == "launching":
            return Resolved(
                "lost",
                "launch helper",
                reason=f"The launch helper (pid {st.get('helper_pid')}) ended without "
                f"recording the outcome. Cluster {name} on {cloud} may be up: "
                "list_clusters shows it, down_cluster removes it.",
            )
        return _launch_phase(rec, st, cloud, name)
    return None


def resolve(rec: JobRecord) -> Resolved:
    run_dir = Path(rec.run_dir)
    final = runstate.read_json(run_dir / FINAL)
    if final:
        return _from_final(final)
    try:
        cloud, name = _cloud(run_dir)
    except FileNotFoundError:
        return Resolved("lost", "run folder", reason=f"{run_dir} has no launch.json (deleted?).")
    st = runstate.state(run_dir)
    early = _launch_phase(rec, st, cloud, name)
    if early is not None:
        return early
    st = runstate.state(run_dir)
    job_id, cluster = str(st.get("launcher_job_id")), str(st.get("cluster") or name)
    started = st.get("launched_at")
    cached = runstate.read_json(run_dir / runstate.REMOTE)
    if cached and time.time() - float(cached.get("observed_at", 0)) < CACHE_S:
        remote = cached
    else:
        remote = _query(run_dir, cloud, cluster, job_id)
        if remote.get("error"):
            return Resolved(
                "unknown",
                f"launcher ({cloud})",
                reason=remote["error"],
                started_at=started,
                observed_at=remote["observed_at"],
            )
        _snapshot_quietly(rec, cloud, cluster, job_id)
    if remote.get("missing"):
        reason = f"{cloud} no longer knows job {job_id} on cluster {cluster}."
        status: JobState = "cancelled" if st.get("cancel_applied") else "unknown"
        return Resolved(
            status,
            f"launcher ({cloud})",
            reason=reason,
            started_at=started,
            observed_at=remote["observed_at"],
        )
    status = _STATES.get(str(remote.get("state")), "unknown")
    out = Resolved(
        status,
        f"launcher ({cloud}, {remote.get('status')})",
        started_at=started,
        observed_at=remote["observed_at"],
    )
    if remote.get("done"):
        out.ended_at = remote["observed_at"]
        if status == "failed":
            out.reason = f"{cloud} reports {remote.get('status')}."
            from oumi_mcp_server.jobs import logs as logs_mod

            out.error_lines = logs_mod.error_lines([run_dir / runstate.STDOUT])
        if status == "cancelled":
            out.reason = "Cancelled on request." if runstate.cancel_requested(run_dir) else None
        runstate.write_json_atomic(
            run_dir / FINAL,
            {
                "status": status,
                "reason": out.reason,
                "started_at": started,
                "ended_at": out.ended_at,
                "error_lines": out.error_lines,
            },
            mode=0o644,
        )
        _auto_fetch(rec)
    return out


def _query(run_dir: Path, cloud: str, cluster: str, job_id: str) -> dict[str, Any]:
    from oumi_mcp_server.clusters import launcher_api

    now = time.time()
    try:
        remote = launcher_api.job_status(cloud, cluster, job_id)
    except ServiceError as exc:
        return {"error": exc.message, "observed_at": now}
    except Exception as exc:
        return {
            "error": f"Could not ask {cloud} about job {job_id} on {cluster}: "
            f"{type(exc).__name__}: {str(exc)[:300]}",
            "observed_at": now,
        }
    data: dict[str, Any] = {"observed_at": now}
    if remote is None:
        data["missing"] = True
    else:
        data.update(
            state=remote.state,
            status=remote.status,
            done=remote.done,
            cost_per_hour=remote.cost_per_hour,
        )
    runstate.write_json_atomic(run_dir / runstate.REMOTE, data, mode=0o644)
    return data


def _write_snapshot(run_dir: Path, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(dir=run_dir, prefix=".stdout.", suffix=".tmp")
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
    Path(tmp).replace(run_dir / runstate.STDOUT)


def refresh_logs(rec: JobRecord, timeout_s: float = LOG_TIMEOUT_S) -> bool:
    """Refresh the local snapshot of the job's remote log; False when none could be read."""
    run_dir = Path(rec.run_dir)
    st = runstate.state(run_dir)
    if st.get("phase") != "launched":
        return False
    cloud, name = _cloud(run_dir)
    cluster, job_id = str(st.get("cluster") or name), str(st.get("launcher_job_id"))
    if cloud in SLURM_CLOUDS:
        data = slurm.log_tail(slurm.parse_cluster(cluster), job_id, SNAPSHOT_BYTES, timeout_s)
    else:
        data = _stream_snapshot(run_dir, cloud, cluster, job_id, timeout_s)
    if data is None:
        return False
    _write_snapshot(run_dir, data)
    return True


def _snapshot_quietly(rec: JobRecord, cloud: str, cluster: str, job_id: str) -> None:
    """Refresh the log snapshot without holding up a status answer for long."""
    run_dir = Path(rec.run_dir)
    try:
        if cloud in SLURM_CLOUDS:  # one ssh through the master: fast
            refresh_logs(rec)
            return
        stamp = runstate.read_json(run_dir / LOGSNAP) or {}
        if time.time() - float(stamp.get("at", 0)) < OTHER_LOG_EVERY_S:
            return
        runstate.write_json_atomic(run_dir / LOGSNAP, {"at": time.time()})
        _start_stream_child(run_dir, cloud, cluster, job_id, OTHER_LOG_TIMEOUT_S)
    except Exception as exc:  # a log snapshot is best effort; status must still answer
        logger.info("log snapshot for %s failed: %s", rec.id, exc)


def _start_stream_child(
    run_dir: Path, cloud: str, cluster: str, job_id: str, timeout_s: float
) -> subprocess.Popen[bytes]:
    """A child that reads the launcher's log stream and ends itself at `timeout_s`."""
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "oumi_mcp_server.clusters.logstream",
            cloud,
            cluster,
            job_id,
            str(SNAPSHOT_BYTES),
            str(run_dir / runstate.STDOUT),
            str(timeout_s),
        ],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )


def _stream_snapshot(
    run_dir: Path, cloud: str, cluster: str, job_id: str, timeout_s: float
) -> bytes | None:
    """Wait for the child (it stops itself at the bound); kill its whole group if it did not."""
    before = (
        (run_dir / runstate.STDOUT).stat().st_mtime_ns
        if (run_dir / runstate.STDOUT).exists()
        else None
    )
    proc = _start_stream_child(run_dir, cloud, cluster, job_id, timeout_s)
    try:
        proc.wait(timeout=timeout_s + 5)
    except subprocess.TimeoutExpired:
        pass
    finally:
        _kill_group(proc)
    path = run_dir / runstate.STDOUT
    if not path.exists() or path.stat().st_mtime_ns == before:
        return None
    return path.read_bytes()


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()


def cancel(rec: JobRecord) -> CancelResult:
    run_dir = Path(rec.run_dir)
    cloud, name = _cloud(run_dir)
    st = runstate.state(run_dir)
    runstate.request_cancel(run_dir)
    if st.get("phase") == "launching":
        st = runstate.state(run_dir)
        if st.get("phase") == "launching":
            return CancelResult(
                job_id=rec.id,
                cancelled=False,
                status="launching",
                message=f"Cancel recorded. The job is still launching on {cloud}; it is "
                "cancelled the moment the launch completes. "
                + (
                    f"Cluster {name} will stay up: down_cluster tears it down."
                    if cloud in SKY_CLOUDS
                    else ""
                ),
            )
    if st.get("phase") != "launched":
        view = resolve(rec)
        return CancelResult(
            job_id=rec.id,
            cancelled=view.status == "cancelled",
            status=view.status,
            message=view.reason or "Nothing to cancel.",
        )
    from oumi_mcp_server.clusters import launcher_api

    cluster, job_id = str(st.get("cluster") or name), str(st.get("launcher_job_id"))
    try:
        launcher_api.cancel(cloud, cluster, job_id)
    except Exception as exc:
        raise ServiceError(
            "cancel_failed",
            f"{cloud} did not cancel job {job_id} on {cluster}: {str(exc)[:300]}",
            "Check the cluster is reachable, then retry cancel_job.",
        ) from None
    runstate.update(run_dir, cancel_applied=True)
    (run_dir / runstate.REMOTE).unlink(missing_ok=True)
    view = resolve(rec)
    for _ in range(20):
        if view.status in ("cancelled", "completed", "failed"):
            break
        time.sleep(0.5)
        (run_dir / runstate.REMOTE).unlink(missing_ok=True)
        view = resolve(rec)
    up = (
        f" Cluster {cluster} is still up (stop_cluster or down_cluster to stop billing)."
        if cloud in SKY_CLOUDS
        else ""
    )
    return CancelResult(
        job_id=rec.id,
        cancelled=view.status == "cancelled",
        status=view.status,
        message=f"{cloud} reports the job {view.status}.{up}",
    )


def _auto_fetch(rec: JobRecord) -> None:
    spec = runstate.launch_spec(Path(rec.run_dir))
    if spec.get("fetch_outputs") and not (Path(rec.run_dir) / "fetched.json").exists():
        try:
            fetch_outputs(rec)
        except ServiceError as exc:
            logger.info("automatic fetch for %s failed: %s", rec.id, exc.message)


def _remote_output(spec: dict[str, Any], remote_dir: str) -> str:
    out, cwd = str(spec.get("output_dir") or ""), str(spec.get("cwd") or "")
    if out and cwd and Path(out).is_relative_to(cwd):
        return str(Path(remote_dir) / Path(out).relative_to(cwd))
    return out or remote_dir


def fetch_outputs(
    rec: JobRecord, dest: Path | None = None, on_progress: Callable[[int], None] | None = None
) -> FetchResult:
    """Copy the job's output folder from the cluster into `dest` (the run folder's `outputs/`)."""
    run_dir = Path(rec.run_dir)
    st = runstate.state(run_dir)
    if st.get("phase") != "launched":
        raise ServiceError(
            "not_launched",
            f"Job {rec.id} never ran on a cluster; nothing to fetch.",
            "get_job_status says why.",
        )
    spec = runstate.launch_spec(run_dir)
    cloud, cluster = str(spec["cloud"]), str(st.get("cluster") or spec["cluster"])
    job_id = str(st.get("launcher_job_id"))
    dest = dest or run_dir / runstate.OUTPUTS
    if cloud in SLURM_CLOUDS:
        target = slurm.parse_cluster(cluster)
        slurm.open_master(target)
        remote_dir = slurm.remote_dir(target, job_id, MARKER)
        if not remote_dir:
            raise ServiceError(
                "fetch_failed",
                f"Job {job_id}'s log does not say where it ran.",
                "The job may not have started yet; retry after it ran.",
            )
        remote = _remote_output(spec, remote_dir)
        slurm.rsync_down(target, remote, dest, on_progress)
    else:
        from oumi_mcp_server.clusters import launcher_api

        remote = _remote_output(spec, "~/sky_workdir")
        launcher_api.sky_rsync_down(cluster, remote, dest)
    files = [p for p in dest.rglob("*") if p.is_file()]
    result = FetchResult(
        job_id=rec.id,
        source=f"{cluster}:{remote}",
        dest=str(dest),
        files=len(files),
        bytes=sum(p.stat().st_size for p in files),
    )
    runstate.write_json_atomic(run_dir / "fetched.json", result.model_dump(), mode=0o644)
    return result


register_backend(BACKEND, resolve)
BACKEND_CANCEL[BACKEND] = cancel
