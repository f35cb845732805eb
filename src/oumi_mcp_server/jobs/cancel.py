"""Cancel a local job: SIGTERM its process group, a grace period, SIGKILL, verify, record."""

from __future__ import annotations

import contextlib
import os
import signal
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psutil

from oumi_mcp_server.jobs import procinfo, queue, runfolder

DEFAULT_GRACE_S = 10.0


@dataclass
class CancelOutcome:
    remaining_pids: list[int] = field(default_factory=list)
    was_queued: bool = False


def _members(pgid: int | None, tracked: list[psutil.Process]) -> list[int]:
    pids = set(procinfo.group_members(pgid)) if pgid else set()
    for proc in tracked:
        try:
            if proc.is_running() and proc.status() != psutil.STATUS_ZOMBIE:
                pids.add(proc.pid)
        except psutil.Error:
            continue
    return sorted(pids)


def _signal_all(pgid: int | None, tracked: list[psutil.Process], sig: int) -> None:
    if pgid:
        with contextlib.suppress(OSError):
            os.killpg(pgid, sig)
    for proc in tracked:
        try:
            proc.send_signal(sig)
        except psutil.Error:
            continue


def cancel_local(run_dir: Path, job_id: str, grace_s: float) -> CancelOutcome:
    """Stop the job for good; returns the pids still alive afterwards (empty when verified)."""
    root = runfolder.root_of(run_dir)
    (run_dir / runfolder.CANCEL_MARK).touch()
    with queue.locked(root):
        if queue.remove_pending(root, job_id):
            runfolder.update_state(
                run_dir, phase="exited", cancelled=True, exit_code=None, ended_at=time.time()
            )
            return CancelOutcome(was_queued=True)
    state = _wait_for_pid(run_dir)
    pgid = state.get("pgid")
    tracked: list[psutil.Process] = []
    if procinfo.is_alive(state.get("pid"), state.get("pid_start_time")):
        try:
            root_proc = psutil.Process(int(state["pid"]))
            tracked = [root_proc, *root_proc.children(recursive=True)]
        except psutil.Error:
            tracked = []
    else:
        pgid = pgid if pgid and procinfo.group_members(pgid) else None
    _signal_all(pgid, tracked, signal.SIGTERM)
    deadline = time.monotonic() + max(0.0, grace_s)
    while _members(pgid, tracked) and time.monotonic() < deadline:
        time.sleep(0.1)
    if _members(pgid, tracked):
        _signal_all(pgid, tracked, signal.SIGKILL)
        end = time.monotonic() + 5.0
        while _members(pgid, tracked) and time.monotonic() < end:
            time.sleep(0.05)
    remaining = _members(pgid, tracked)
    _await_exit_record(run_dir, state)
    return CancelOutcome(remaining_pids=remaining)


def _wait_for_pid(run_dir: Path, timeout_s: float = 5.0) -> dict[str, Any]:
    """A job being started has no pid yet; wait briefly while its supervisor lives."""
    end = time.monotonic() + timeout_s
    while True:
        state = runfolder.read_state(run_dir) or {}
        if state.get("pid") or state.get("phase") == "exited" or time.monotonic() > end:
            return state
        sup_alive = procinfo.is_alive(
            state.get("supervisor_pid"), state.get("supervisor_start_time")
        )
        if not sup_alive:
            return state
        time.sleep(0.05)


def _await_exit_record(run_dir: Path, before: dict[str, Any], timeout_s: float = 5.0) -> None:
    """The supervisor records the exit as cancelled; if it is gone, record it ourselves."""
    end = time.monotonic() + timeout_s
    while time.monotonic() < end:
        state = runfolder.read_state(run_dir) or {}
        if state.get("phase") == "exited":
            if not state.get("cancelled"):
                runfolder.update_state(run_dir, cancelled=True)
            return
        if not procinfo.is_alive(state.get("supervisor_pid"), state.get("supervisor_start_time")):
            break
        time.sleep(0.05)
    state = runfolder.read_state(run_dir) or dict(before)
    if state.get("phase") != "exited":
        runfolder.update_state(
            run_dir, phase="exited", cancelled=True, exit_code=None, ended_at=time.time()
        )
    elif not state.get("cancelled"):
        runfolder.update_state(run_dir, cancelled=True)
