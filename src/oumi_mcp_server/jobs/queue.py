"""Concurrency slots for local jobs that work with no server running.

A submitted job leaves an entry in `queue/pending/`; `dispatch()` (called on submit, by the
supervisor of every job that ends, and lazily when a queued job is looked at) starts the oldest
pending jobs while fewer than `max_concurrent()` supervisors are alive. All of it runs under one
`fcntl` lock on `queue/lock`, so several servers and supervisors can dispatch at once safely.
Standard library plus `procinfo` only: the supervisor imports this module.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

from oumi_mcp_server.jobs import procinfo, runfolder

MAX_JOBS_ENV = "OUMI_MCP_MAX_LOCAL_JOBS"


def max_concurrent() -> int:
    try:
        return max(1, int(os.environ.get(MAX_JOBS_ENV, "1")))
    except ValueError:
        return 1


def _qdir(root: Path, sub: str) -> Path:
    path = root / "queue" / sub
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    return path


@contextlib.contextmanager
def locked(root: Path) -> Iterator[None]:
    lock_path = root / "queue" / "lock"
    lock_path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def enqueue(root: Path, job_id: str) -> None:
    """Put a job (its run folder and state.json already written) in line, then dispatch."""
    entry = _qdir(root, "pending") / f"{time.time_ns():020d}-{job_id}"
    with locked(root):
        entry.write_text(job_id, encoding="utf-8")
    dispatch(root)


def is_pending(root: Path, job_id: str) -> bool:
    return any(p.name.endswith(f"-{job_id}") for p in _qdir(root, "pending").iterdir())


def remove_pending(root: Path, job_id: str) -> bool:
    """Take a job out of line (cancel of a queued job); caller holds the lock."""
    removed = False
    for entry in _qdir(root, "pending").iterdir():
        if entry.name.endswith(f"-{job_id}"):
            entry.unlink(missing_ok=True)
            removed = True
    return removed


def release_slot(root: Path, job_id: str) -> None:
    """Called by a supervisor whose job ended; caller holds the lock."""
    (_qdir(root, "active") / job_id).unlink(missing_ok=True)


def _live_active(root: Path) -> int:
    alive = 0
    for entry in _qdir(root, "active").iterdir():
        info = runfolder.read_json(entry)
        if info and procinfo.is_alive(info.get("pid"), info.get("start_time")):
            alive += 1
        else:
            entry.unlink(missing_ok=True)
    return alive


def dispatch(root: Path) -> list[str]:
    """Start queued jobs while slots are free; returns the ids started."""
    started: list[str] = []
    with locked(root):
        free = max_concurrent() - _live_active(root)
        for entry in sorted(_qdir(root, "pending").iterdir()):
            if free <= 0:
                break
            job_id = entry.name.split("-", 1)[1]
            run_dir = runfolder.run_dir_for(root, job_id)
            if not run_dir.is_dir():
                entry.unlink(missing_ok=True)
                continue
            _start_supervisor(root, job_id, run_dir)
            entry.unlink(missing_ok=True)
            started.append(job_id)
            free -= 1
    return started


def _start_supervisor(root: Path, job_id: str, run_dir: Path) -> None:
    """Spawn the detached supervisor, record it, then let it go (it waits for stdin EOF)."""
    log = (run_dir / runfolder.SUPERVISOR_LOG).open("ab")
    try:
        launcher = subprocess.Popen(
            [sys.executable, "-m", "oumi_mcp_server.jobs.supervisor", str(run_dir)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=log,
            start_new_session=True,
            close_fds=True,
        )
    finally:
        log.close()
    assert launcher.stdout is not None and launcher.stdin is not None
    line = launcher.stdout.readline().decode().strip()
    launcher.stdout.close()
    launcher.wait()
    pid = int(line) if line.isdigit() else 0
    started = procinfo.start_time(pid) if pid else None
    runfolder.update_state(
        run_dir,
        phase="starting",
        supervisor_pid=pid,
        supervisor_start_time=started,
        dispatched_at=time.time(),
    )
    runfolder.write_json_atomic(_qdir(root, "active") / job_id, {"pid": pid, "start_time": started})
    launcher.stdin.close()
