"""Follow a cluster job: status from the launcher (observing), and the reconcile step (acting).

- `Follower.resolve(rec) -> Resolved`: the helper's record while launching (a failed launch is
  terminal, with the error), then the launcher's answer for the job's full identity (cloud,
  cluster, job id), asked of that cloud only and kept in memory `CACHE_S` seconds; `final.json`
  once reconcile recorded the outcome. It writes nothing and starts nothing.
- `Follower.reconcile(rec) -> str | None`: for a launched job, refresh the log snapshot
  (`stdout.log`, what get_job_logs and progress read); once it ended, take a last snapshot, write
  `final.json` (never asked again) and start the detached fetch helper when outputs should come
  home. Returns the final outcome once it is recorded.
- `cancel(rec)`: while launching, records the intent (the helper applies it); then asks the
  launcher, bounded in time.

Records imported from earlier Oumi MCP servers have no run folder: their identity (cloud, cluster,
launcher job id) comes from the record itself.
"""

from __future__ import annotations

import contextlib
import logging
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from oumi_mcp_server.clusters import fetch, logsnap, runstate
from oumi_mcp_server.clusters.runstate import Identity, identity
from oumi_mcp_server.clusters.wrap import SKY_CLOUDS
from oumi_mcp_server.core.detach import start_detached
from oumi_mcp_server.core.errors import ServiceError
from oumi_mcp_server.jobs import logs as logs_mod
from oumi_mcp_server.jobs import procinfo, runfolder
from oumi_mcp_server.jobs.backend import Stopped
from oumi_mcp_server.jobs.record import JobRecord
from oumi_mcp_server.jobs.states import JobState, LaunchPhase, Resolved, RunState

logger = logging.getLogger(__name__)

CACHE_S = 4.0
CALL_TIMEOUT_S = 30.0
"""A launcher status or cancel call that takes longer answers `unknown` / a structured error."""
FINAL = "final.json"
_STATES: dict[str, JobState] = {
    "pending": JobState.QUEUED,
    "running": JobState.RUNNING,
    "succeeded": JobState.COMPLETED,
    "failed": JobState.FAILED,
    "cancelled": JobState.CANCELLED,
}


@dataclass
class Remote:
    observed_at: float
    state: str = ""
    status: str = ""
    done: bool = False
    missing: bool = False
    error: str | None = None
    cost_per_hour: float | None = None


def _helper_alive(st: RunState) -> bool:
    if st.helper_pid is None:  # not yet recorded: the helper is starting
        return time.time() - (st.queued_at or 0.0) < 120
    return procinfo.is_alive(st.helper_pid, st.helper_start_time)


def _from_final(final: dict[str, Any]) -> Resolved:
    status = final.get("status")
    return Resolved(
        JobState(status) if status in set(JobState) else JobState.UNKNOWN,
        "launcher (final, recorded)",
        exit_code=final.get("exit_code"),
        reason=final.get("reason"),
        started_at=final.get("started_at"),
        ended_at=final.get("ended_at"),
        error_lines=list(final.get("error_lines") or []),
    )


def _launch_phase(rec: JobRecord, st: RunState, cloud: str, name: str) -> Resolved | None:
    """The answer while the helper owns the job, or None once it launched."""
    if st.launch is LaunchPhase.CANCELLED:
        return Resolved(JobState.CANCELLED, "launch helper", reason=st.note, ended_at=st.ended_at)
    if st.launch is LaunchPhase.FAILED:
        error = st.error or "unknown error"
        return Resolved(
            JobState.FAILED,
            "launch helper",
            reason=f"Launch failed: {error[:500]}",
            ended_at=st.ended_at,
            error_lines=error.splitlines()[-8:],
        )
    if st.launch is LaunchPhase.LAUNCHING:
        if _helper_alive(st):
            return Resolved(
                JobState.LAUNCHING,
                "launch helper",
                reason=f"Launching on {cloud} (cluster {name}): provisioning and "
                "submitting; this can take minutes.",
            )
        st = runstate.state(Path(rec.run_dir))
        if st.launch is LaunchPhase.LAUNCHING:
            return Resolved(
                JobState.LOST,
                "launch helper",
                reason=f"The launch helper (pid {st.helper_pid}) ended without "
                f"recording the outcome. Cluster {name} on {cloud} may be up: "
                "list_clusters shows it, down_cluster removes it.",
            )
        return _launch_phase(rec, st, cloud, name)
    return None


class Follower:
    """Status and reconcile for launcher jobs; the launcher's answers are cached in memory."""

    def __init__(self) -> None:
        self._cache: dict[Identity, Remote] = {}
        self._asking: set[Identity] = set()
        self._lock = threading.Lock()

    def resolve(self, rec: JobRecord) -> Resolved:
        run_dir = Path(rec.run_dir)
        final = runstate.read_json(run_dir / FINAL) if rec.run_dir else None
        if final:
            return _from_final(final)
        ident = identity(rec)
        if ident is None:
            try:
                spec = runstate.launch_spec(run_dir)
            except FileNotFoundError:
                return Resolved(
                    JobState.LOST, "run folder", reason=f"{run_dir} has no launch.json (deleted?)."
                )
            st = runstate.state(run_dir)
            early = _launch_phase(rec, st, str(spec["cloud"]), str(spec["cluster"]))
            if early is not None:
                return early
            ident = identity(rec)
            if ident is None:
                return Resolved(
                    JobState.UNKNOWN, "run folder", reason="Its launch state is unreadable."
                )
        return self._from_remote(rec, ident, self.remote(ident))

    def remote(self, ident: Identity, max_age_s: float = CACHE_S) -> Remote:
        """The launcher's answer, at most `max_age_s` old; one query per job at a time (a cloud
        that hangs costs one abandoned call, not one per status read)."""
        with self._lock:
            cached = self._cache.get(ident)
            fresh_enough = cached is not None and time.time() - cached.observed_at < max_age_s
            if fresh_enough or ident in self._asking:
                return cached or Remote(time.time(), error="The launcher is still being asked.")
            self._asking.add(ident)
        try:
            fresh = _query(ident)
        finally:
            with self._lock:
                self._asking.discard(ident)
        with self._lock:
            self._cache[ident] = fresh
        return fresh

    def _from_remote(self, rec: JobRecord, ident: Identity, remote: Remote) -> Resolved:
        run_dir = Path(rec.run_dir)
        st = runstate.state(run_dir) if rec.run_dir else RunState()
        started = st.launched_at
        source = f"launcher ({ident.cloud})"
        if remote.error:
            return Resolved(
                JobState.UNKNOWN,
                source,
                reason=remote.error,
                started_at=started,
                observed_at=remote.observed_at,
            )
        if remote.missing:
            reason = f"{ident.cloud} no longer knows job {ident.job_id} on cluster {ident.cluster}."
            status = JobState.CANCELLED if st.cancel_applied else JobState.UNKNOWN
            return Resolved(
                status, source, reason=reason, started_at=started, observed_at=remote.observed_at
            )
        status = _STATES.get(remote.state, JobState.UNKNOWN)
        out = Resolved(
            status,
            f"launcher ({ident.cloud}, {remote.status})",
            started_at=started,
            observed_at=remote.observed_at,
        )
        if remote.done:
            out.ended_at = remote.observed_at
            if status is JobState.FAILED:
                out.reason = f"{ident.cloud} reports {remote.status}."
                out.error_lines = logs_mod.error_lines(
                    [run_dir / runstate.STDOUT], secrets=runfolder.job_secrets(run_dir)
                )
            if status is JobState.CANCELLED and runstate.cancel_requested(run_dir):
                out.reason = "Cancelled on request."
        return out

    def reconcile(self, rec: JobRecord) -> str | None:
        run_dir = Path(rec.run_dir)
        final = runstate.read_json(run_dir / FINAL) if rec.run_dir else None
        if final:
            return str(final.get("status"))
        if not rec.run_dir or rec.origin != "mcp":
            return None  # legacy records are asked about only when someone asks
        ident = identity(rec)
        res = self.resolve(rec)
        if ident is None:
            return res.status.value if res.status.is_final() else None
        if not res.status.is_terminal():
            logsnap.snapshot_quietly(rec, ident)
            return None
        if res.status is JobState.UNKNOWN:
            return None
        with contextlib.suppress(Exception):
            logsnap.refresh_logs(rec)  # the last lines, before the outcome is frozen
        remote = self.remote(ident, max_age_s=float("inf"))
        res = self._from_remote(rec, ident, remote)
        runstate.write_json_atomic(
            run_dir / FINAL,
            {
                "status": res.status.value,
                "reason": res.reason,
                "started_at": res.started_at,
                "ended_at": res.ended_at,
                "error_lines": res.error_lines,
                "cost_per_hour": remote.cost_per_hour,
            },
            mode=0o644,
        )
        spec = runstate.launch_spec(run_dir)
        if spec.get("fetch_outputs") and not (run_dir / fetch.FETCHED).exists():
            start_detached(
                [sys.executable, "-m", "oumi_mcp_server.clusters.fetch", str(run_dir)],
                log=run_dir / runstate.HELPER_LOG,
            )
        return res.status.value

    def cancel(self, rec: JobRecord) -> Stopped:
        run_dir = Path(rec.run_dir)
        spec = runstate.launch_spec(run_dir)
        cloud, name = str(spec["cloud"]), str(spec["cluster"])
        runstate.request_cancel(run_dir)
        st = runstate.state(run_dir)
        if st.launch is LaunchPhase.LAUNCHING:
            up = (
                f" Cluster {name} will stay up: down_cluster tears it down."
                if cloud in SKY_CLOUDS
                else ""
            )
            return Stopped(
                f"Cancel recorded. The job is still launching on {cloud}; it is "
                f"cancelled the moment the launch completes.{up}"
            )
        ident = identity(rec)
        if ident is None:
            return Stopped(self.resolve(rec).reason or "Nothing to cancel.")
        from oumi_mcp_server.clusters import launcher_api

        try:
            launcher_api.bounded(CALL_TIMEOUT_S, launcher_api.cancel, *ident.args())
        except Exception as exc:
            raise ServiceError(
                "cancel_failed",
                f"{ident.cloud} did not cancel job {ident.job_id} on {ident.cluster}: "
                f"{str(exc)[:300]}",
                "Check the cluster is reachable, then retry cancel_job.",
            ) from None
        runstate.update(run_dir, cancel_applied=True)
        res = self.resolve_fresh(rec)
        end = time.monotonic() + 10.0
        while not res.status.is_terminal() and time.monotonic() < end:
            time.sleep(0.5)
            res = self.resolve_fresh(rec)
        up = (
            f" Cluster {ident.cluster} is still up (stop_cluster or down_cluster to stop billing)."
            if ident.cloud in SKY_CLOUDS
            else ""
        )
        return Stopped(f"{ident.cloud} reports the job {res.status.value}.{up}")

    def resolve_fresh(self, rec: JobRecord) -> Resolved:
        ident = identity(rec)
        if ident is not None:
            with self._lock:
                self._cache.pop(ident, None)
        return self.resolve(rec)


def _query(ident: Identity) -> Remote:
    from oumi_mcp_server.clusters import launcher_api

    now = time.time()
    try:
        remote = launcher_api.bounded(CALL_TIMEOUT_S, launcher_api.job_status, *ident.args())
    except ServiceError as exc:
        return Remote(now, error=exc.message)
    except Exception as exc:
        return Remote(
            now,
            error=f"Could not ask {ident.cloud} about job {ident.job_id} on "
            f"{ident.cluster}: {type(exc).__name__}: {str(exc)[:300]}",
        )
    if remote is None:
        return Remote(now, missing=True)
    return Remote(
        now,
        state=remote.state,
        status=remote.status,
        done=remote.done,
        cost_per_hour=remote.cost_per_hour,
    )
