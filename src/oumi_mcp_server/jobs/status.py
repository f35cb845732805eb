"""Status resolved when asked, from durable markers and process liveness; never from a cache.

`resolve(record)` dispatches on `record.backend` in this one place. The local backend reads the
run folder's `state.json` and checks the recorded supervisor and job processes (pid plus start
time, so a reused pid is not mistaken for ours). Other backends register a resolver with
`register_backend(name, fn)`.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

from oumi_mcp_server.jobs import logs, procinfo, queue, runfolder
from oumi_mcp_server.jobs.models import LOCAL_BACKEND, JobRecord, JobState


@dataclass
class Resolved:
    status: JobState
    source: str
    exit_code: int | None = None
    signal: str | None = None
    reason: str | None = None
    started_at: float | None = None
    ended_at: float | None = None
    error_lines: list[str] = field(default_factory=list)
    observed_at: float = field(default_factory=time.time)


BackendResolver = Callable[[JobRecord], Resolved]
_BACKENDS: dict[str, BackendResolver] = {}


def register_backend(name: str, resolver: BackendResolver) -> None:
    _BACKENDS[name] = resolver


def resolve(rec: JobRecord) -> Resolved:
    resolver = _BACKENDS.get(rec.backend)
    if resolver is None:
        return _unresolvable(rec)
    return resolver(rec)


def _unresolvable(rec: JobRecord) -> Resolved:
    if rec.legacy_status:
        return Resolved(
            "unknown",
            "legacy registry (not live)",
            reason=f"Imported from an earlier Oumi MCP server, which last saw it as "
            f"{rec.legacy_status!r}; backend {rec.backend!r} cannot be queried here.",
        )
    return Resolved("unknown", "none", reason=f"No status resolver for backend {rec.backend!r}.")


def _exited(state: dict[str, Any], run_dir: Path) -> Resolved:
    code, sig = state.get("exit_code"), state.get("signal")
    out = Resolved(
        "failed",
        "exit record (state.json)",
        exit_code=code,
        signal=sig,
        started_at=state.get("started_at"),
        ended_at=state.get("ended_at"),
    )
    if state.get("cancelled"):
        out.status, out.reason = "cancelled", "Cancelled on request."
    elif code == 0:
        out.status = "completed"
    else:
        if state.get("error"):
            out.reason = str(state["error"])
        elif sig:
            out.reason = f"Killed by {sig}."
        else:
            out.reason = f"Exited with code {code}."
        out.error_lines = logs.error_lines([run_dir / runfolder.STDERR, run_dir / runfolder.STDOUT])
    return out


def resolve_local(rec: JobRecord) -> Resolved:
    run_dir = Path(rec.run_dir)
    state = runfolder.read_state(run_dir) if rec.run_dir else None
    if state is None:
        if rec.legacy_status in ("completed", "failed", "cancelled"):
            return Resolved(
                cast(JobState, rec.legacy_status),
                "legacy registry",
                reason="Imported from an earlier Oumi MCP server; its logs were not kept.",
            )
        why = (
            "Imported from an earlier Oumi MCP server, which did not supervise its processes."
            if rec.legacy_status or rec.origin.startswith("legacy")
            else f"The run folder {run_dir} has no state.json (deleted?)."
        )
        return Resolved("lost", "run folder", reason=why)
    phase = state.get("phase")
    if phase == "exited":
        return _exited(state, run_dir)
    if phase == "queued":
        root = runfolder.root_of(run_dir)
        pending = queue.is_pending(root, rec.id)
        if pending:
            queue.dispatch(root)  # a slot may have freed while no server or supervisor ran
        state = runfolder.read_state(run_dir) or state  # it may have started meanwhile
        if state.get("phase") == "queued":
            if not pending:
                return Resolved("lost", "queue", reason="It left the queue without starting.")
            return Resolved(
                "queued",
                "queue",
                reason=f"Waiting for a free slot "
                f"(at most {queue.max_concurrent()} local job(s) at a time).",
            )
        if state.get("phase") == "exited":
            return _exited(state, run_dir)
    started = state.get("started_at")
    if procinfo.is_alive(state.get("supervisor_pid"), state.get("supervisor_start_time")):
        return Resolved("running", "supervisor process alive", started_at=started)
    state = runfolder.read_state(run_dir) or state  # it may have just written the exit record
    if state.get("phase") == "exited":
        return _exited(state, run_dir)
    if procinfo.is_alive(state.get("pid"), state.get("pid_start_time")):
        return Resolved(
            "running",
            "job process alive",
            started_at=started,
            reason="Its supervisor is gone: the exit code will not be recorded.",
        )
    return Resolved(
        "lost",
        "process table",
        started_at=started,
        reason=f"The supervisor (pid {state.get('supervisor_pid')}) ended without recording the "
        "job's exit: it was killed, or the machine restarted.",
        error_lines=logs.error_lines([run_dir / runfolder.STDERR, run_dir / runfolder.STDOUT]),
    )


register_backend(LOCAL_BACKEND, resolve_local)
