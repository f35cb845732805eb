"""A local job's status, read from its run folder and the process table; never changes anything.

`resolve(record)` reads `state.json` and checks the recorded supervisor and job processes (pid
plus start time, so a reused pid is not mistaken for ours). Starting queued jobs, recording
outcomes and recovering from dead supervisors is `reconcile`'s work (see `local_backend`).
"""

from __future__ import annotations

import signal
import time
from pathlib import Path

from oumi_mcp_server.jobs import cancel_request, logs, procinfo, queue, runfolder, waiter
from oumi_mcp_server.jobs.record import JobRecord
from oumi_mcp_server.jobs.states import JobState, LocalPhase, Resolved, RunState


def _error_lines(run_dir: Path) -> list[str]:
    paths = [run_dir / runfolder.STDERR, run_dir / runfolder.STDOUT]
    return logs.error_lines(paths, secrets=runfolder.job_secrets(run_dir))


def _exited(state: RunState, run_dir: Path) -> Resolved:
    out = Resolved(
        JobState.FAILED,
        "the job's own exit record (exit.json)" if state.recovered else "exit record (state.json)",
        exit_code=state.exit_code,
        signal=state.signal,
        started_at=state.started_at,
        ended_at=state.ended_at,
    )
    if state.cancelled:
        out.status, why = JobState.CANCELLED, "Cancelled on request."
    elif state.exit_code == 0:
        out.status, why = JobState.COMPLETED, ""
    else:
        if state.error:
            why = state.error
        elif state.signal:
            why = f"Killed by {state.signal}."
        elif state.exit_code is not None:
            why = f"Exited with code {state.exit_code}."
        else:
            why = "It ended without an exit code."
        out.error_lines = _error_lines(run_dir)
    out.reason = " ".join(filter(None, (why, state.recovered))) or None
    return out


def recovered_exit(run_dir: Path, state: RunState) -> RunState | None:
    """The exit record a job whose supervisor was killed left itself (`waiter`), as the state
    the supervisor would have written; None when the job left none."""
    data = runfolder.read_json(run_dir / waiter.EXIT)
    if data is None:
        return None
    left = RunState.from_json(data)
    out = RunState.from_json(state.to_json())
    out.phase, out.ended_at, out.exit_code, out.error = (
        LocalPhase.EXITED,
        left.ended_at,
        left.exit_code,
        left.error,
    )
    sig = data.get("signal")
    out.signal = signal_name(sig) if isinstance(sig, int) else None
    request = cancel_request.read(run_dir)
    out.cancelled = request is not None and (out.signal is not None or left.exit_code != 0)
    out.recovered = (
        "Recovered from the job's own exit record: its supervisor was killed before recording it."
    )
    return out


STARTING_GRACE_S = 10.0
"""A supervisor dead this long after taking a job, with no trace of the job, never started it."""


def never_started(run_dir: Path, state: RunState) -> bool:
    """The supervisor died between taking the job and starting it: no process carries the job's
    id, no exit record, and long enough ago that a process being exec'd would carry it by now.
    Only then may the job go back in line without ever running twice."""
    return (
        state.phase is LocalPhase.STARTING
        and state.pid is None
        and time.time() - (state.dispatched_at or 0.0) > STARTING_GRACE_S
        and not queue.lock_is_held(run_dir / runfolder.SUPERVISOR_LOCK)
        and not (run_dir / waiter.EXIT).exists()
        and not procinfo.marked(run_dir.name)
    )


def signal_name(code: int) -> str:
    try:
        return signal.Signals(code).name
    except ValueError:
        return f"signal {code}"


def _no_state(rec: JobRecord, run_dir: Path) -> Resolved:
    final = JobState(rec.final_status) if rec.final_status in set(JobState) else None
    if final is not None and final.is_final():
        return Resolved(
            final,
            "job store (run folder unreadable)",
            reason=f"{run_dir}/state.json is missing or damaged; the outcome comes "
            "from the job store.",
        )
    if rec.run_dir and procinfo.marked(rec.id):
        return Resolved(
            JobState.RUNNING,
            "job processes (found by the job id they carry)",
            reason=f"{run_dir}/state.json is missing or damaged; its processes are alive "
            "(cancel_job still stops them).",
        )
    legacy = rec.legacy_status
    if legacy in ("completed", "failed", "cancelled"):
        return Resolved(
            JobState(legacy),
            "legacy registry",
            reason="Imported from an earlier Oumi MCP server; its logs were not kept.",
        )
    why = (
        "Imported from an earlier Oumi MCP server, which did not supervise its processes."
        if legacy or rec.origin.startswith("legacy")
        else f"The run folder {run_dir} has no readable state.json (deleted or damaged?)."
    )
    return Resolved(JobState.LOST, "run folder", reason=why)


def resolve(rec: JobRecord) -> Resolved:
    run_dir = Path(rec.run_dir)
    state = runfolder.read_state(run_dir) if rec.run_dir else None
    if state is None or state.phase is None:
        return _no_state(rec, run_dir)
    if state.phase is LocalPhase.EXITED:
        return _exited(state, run_dir)
    if state.phase is LocalPhase.QUEUED:
        root = runfolder.root_of(run_dir)
        if queue.is_pending(root, rec.id) or queue.is_claimed(root, rec.id):
            reason = (
                f"Waiting for a free slot (at most {queue.max_concurrent()} local job(s) at "
                "a time)."
            )
        else:
            reason = "Its queue entry is missing; the next reconcile puts it back in line."
        return Resolved(JobState.QUEUED, "queue", reason=reason)
    if procinfo.is_alive(state.supervisor_pid, state.supervisor_start_time):
        return Resolved(JobState.RUNNING, "supervisor process alive", started_at=state.started_at)
    state = runfolder.read_state(run_dir) or state  # it may have just written the exit record
    if state.phase is LocalPhase.EXITED:
        return _exited(state, run_dir)
    if procinfo.job_alive(rec.id, state):
        return Resolved(
            JobState.RUNNING,
            "job process alive",
            started_at=state.started_at,
            reason="Its supervisor is gone; the outcome is recovered when the job ends.",
        )
    recovered = recovered_exit(run_dir, state)
    if recovered is not None:
        return _exited(recovered, run_dir)
    if never_started(run_dir, state):
        return Resolved(
            JobState.QUEUED,
            "run folder",
            reason="Its supervisor died before "
            "starting it; the next reconcile puts it back in line.",
        )
    return Resolved(
        JobState.LOST,
        "process table",
        started_at=state.started_at,
        reason=f"The supervisor (pid {state.supervisor_pid}) ended without recording the job's "
        "exit: it was killed, or the machine restarted.",
        error_lines=_error_lines(run_dir),
    )
