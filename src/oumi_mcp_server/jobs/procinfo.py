"""Process identity: a pid plus its start time, so a reused pid is never taken for our process."""

from __future__ import annotations

import os

import psutil

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
