"""Process identity: a pid plus its start time, so a reused pid is never taken for our process."""

from __future__ import annotations

import os

import psutil

from oumi_mcp_server.jobs.states import LocalPhase, RunState

_START_TOLERANCE_S = 0.05


def start_time(pid: int) -> float | None:
    try:
        return float(psutil.Process(pid).create_time())
    except (psutil.Error, OSError):
        return None


def is_alive(pid: int | None, started: float | None) -> bool:
    """True when `pid` runs (not a zombie) and is the same process that started at `started`."""
    if not pid or pid <= 0:
        return False
    try:
        proc = psutil.Process(pid)
        if proc.status() == psutil.STATUS_ZOMBIE:
            return False
        created = float(proc.create_time())
    except (psutil.Error, OSError):
        return False
    return started is None or abs(created - started) < _START_TOLERANCE_S


def group_members(pgid: int) -> list[int]:
    """Live (non-zombie) processes whose process group is `pgid`."""
    found: list[int] = []
    for proc in psutil.process_iter(["pid", "status"]):
        try:
            if proc.info["status"] == psutil.STATUS_ZOMBIE:
                continue
            if os.getpgid(proc.pid) == pgid:
                found.append(proc.pid)
        except (psutil.Error, OSError):
            continue
    return found


JOB_ID_ENV = "OUMI_MCP_JOB_ID"
"""Set in every local job's environment: finds its processes when no pid was recorded."""


def marked(job_id: str) -> list[int]:
    """Live processes whose environment says they belong to `job_id` (ours: same user)."""
    found: list[int] = []
    me = os.getuid()
    for proc in psutil.process_iter(["pid", "status", "uids"]):
        try:
            if proc.info["status"] == psutil.STATUS_ZOMBIE or proc.info["uids"].real != me:
                continue
            if proc.environ().get(JOB_ID_ENV) == job_id:
                found.append(proc.pid)
        except (psutil.Error, OSError):
            continue
    return found


def job_alive(job_id: str, state: RunState) -> bool:
    """The job's own process still runs (its supervisor may be gone)."""
    if state.pid is not None:
        return is_alive(state.pid, state.pid_start_time) or bool(
            state.pgid and group_members(state.pgid)
        )
    return state.phase is LocalPhase.STARTING and bool(marked(job_id))
