"""Cancel a local job: a request its supervisor applies (SIGTERM, SIGKILL at the deadline), then
a check that nothing of the job is left; done here only when the supervisor is gone."""

from __future__ import annotations

import contextlib
import os
import signal
import time
from dataclasses import dataclass, field
from pathlib import Path

import psutil

from oumi_mcp_server.jobs import cancel_request, procinfo, queue, runfolder
from oumi_mcp_server.jobs.states import LocalPhase, RunState

DEFAULT_GRACE_S = cancel_request.DEFAULT_GRACE_S


@dataclass
class CancelOutcome:
    remaining_pids: list[int] = field(default_factory=list)
    was_queued: bool = False


def _job_pids(job_id: str, state: RunState) -> set[int]:
    """Every live process of the job: its group (orphans reparented away included), the recorded
    process and its children, and whatever carries the job's id in its environment."""
    pids = set(procinfo.group_members(state.pgid)) if state.pgid else set()
    if procinfo.is_alive(state.pid, state.pid_start_time) and state.pid:
        with contextlib.suppress(psutil.Error):
            root = psutil.Process(state.pid)
            pids |= {root.pid, *(c.pid for c in root.children(recursive=True))}
    pids |= set(procinfo.marked(job_id))
    pids.discard(os.getpid())
    return pids


def _signal(pgid: int | None, pids: set[int], sig: int) -> None:
    if pgid:
        with contextlib.suppress(OSError):
            os.killpg(pgid, sig)
    for pid in pids:
        with contextlib.suppress(OSError):
            os.kill(pid, sig)


def _supervisor_alive(state: RunState) -> bool:
    return procinfo.is_alive(state.supervisor_pid, state.supervisor_start_time)


def cancel_local(run_dir: Path, job_id: str, grace_s: float) -> CancelOutcome:
    """Stop the job for good; returns the pids still alive afterwards (empty when verified)."""
    root = runfolder.root_of(run_dir)
    with queue.locked(root):
        state = runfolder.read_state(run_dir) or RunState()
        if state.phase is LocalPhase.QUEUED and not queue.is_claimed(root, job_id):
            queue.remove_pending(root, job_id)
            runfolder.update_state(
                run_dir, phase=LocalPhase.EXITED, cancelled=True, ended_at=time.time()
            )
            return CancelOutcome(was_queued=True)
        cancel_request.write(run_dir, grace_s)
    end = time.monotonic() + grace_s + 5.0
    while time.monotonic() < end:  # the supervisor applies the request and records the exit
        state = runfolder.read_state(run_dir) or state
        if state.phase is LocalPhase.EXITED or not _supervisor_alive(state):
            break
        time.sleep(0.1)
    if state.phase is not LocalPhase.EXITED and not _supervisor_alive(state):
        _stop(job_id, state, grace_s)  # no supervisor left to do it
        runfolder.update_state(
            run_dir,
            phase=LocalPhase.EXITED,
            cancelled=True,
            ended_at=time.time(),
            recovered="The supervisor was gone; the cancel stopped the job's processes itself.",
        )
    leftovers = _job_pids(job_id, state)
    if leftovers:  # orphans that outlived the job's main process
        _signal(state.pgid, leftovers, signal.SIGKILL)
        _wait_gone(job_id, state, 5.0)
    return CancelOutcome(remaining_pids=sorted(_job_pids(job_id, state)))


def _stop(job_id: str, state: RunState, grace_s: float) -> None:
    _signal(state.pgid, _job_pids(job_id, state), signal.SIGTERM)
    if not _wait_gone(job_id, state, grace_s):
        _signal(state.pgid, _job_pids(job_id, state), signal.SIGKILL)
        _wait_gone(job_id, state, 5.0)


def _wait_gone(job_id: str, state: RunState, timeout_s: float) -> bool:
    end = time.monotonic() + max(0.0, timeout_s)
    while _job_pids(job_id, state):
        if time.monotonic() >= end:
            return False
        time.sleep(0.1)
    return True
