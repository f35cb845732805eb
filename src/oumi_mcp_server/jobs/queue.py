"""Concurrency slots for local jobs that work with no server running, and start a job at most once.

Layout under a jobs root:

    queue/pending/<ns>-<job_id>   a job waiting for a slot
    queue/active/<job_id>         a claimed slot: the pending entry renamed (atomic), then the
                                  supervisor's pid and start time written into it
    queue/lock                    `fcntl` lock held by whoever dispatches
    queue/keeper.lock             held by the queue keeper while jobs wait

`dispatch()` (on submit, by every supervisor whose job ends, by the queue keeper and by reconcile)
claims pending entries while fewer slots than `max_concurrent()` are taken. A slot is taken while
the job's supervisor OR the job's own process lives, so a killed supervisor never frees a slot
its job still uses. A claim whose supervisor never got going (the dispatcher was killed before
saying "go") goes back in line; one whose job started is never started again: the supervisor
refuses a run folder that left the `queued` phase, under a lock it holds for its whole life.
Standard library plus `procinfo` only: the supervisor imports this module.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

from oumi_mcp_server.core.detach import start_detached
from oumi_mcp_server.jobs import procinfo, runfolder
from oumi_mcp_server.jobs.states import LocalPhase

MAX_JOBS_ENV = "OUMI_MCP_MAX_LOCAL_JOBS"
GO = b"go\n"
"""What the dispatcher writes to a supervisor once its claim is recorded; EOF alone aborts."""
logger = logging.getLogger(__name__)


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


def lock_is_held(path: Path) -> bool:
    """True while another process holds an exclusive `flock` on `path`."""
    try:
        fd = os.open(path, os.O_RDWR)
    except FileNotFoundError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)
    return False


def enqueue(root: Path, job_id: str) -> None:
    """Put a job (its run folder and state.json already written) in line."""
    entry = _qdir(root, "pending") / f"{time.time_ns():020d}-{job_id}"
    with locked(root):
        runfolder.write_json_atomic(entry, {"job_id": job_id})


def kick(root: Path) -> None:
    """Start what can start now; leave a keeper behind for what must wait. Never raises: a job
    left waiting is started by the keeper, the next supervisor or the next reconcile."""
    try:
        dispatch(root)
        if pending_ids(root):
            ensure_keeper(root)
    except OSError as exc:
        logger.warning("dispatching local jobs failed (retried later): %s", exc)


def pending_ids(root: Path) -> list[str]:
    return [p.name.split("-", 1)[1] for p in sorted(_qdir(root, "pending").iterdir())]


def is_pending(root: Path, job_id: str) -> bool:
    return job_id in pending_ids(root)


def is_claimed(root: Path, job_id: str) -> bool:
    return (_qdir(root, "active") / job_id).exists()


def claims(root: Path) -> list[Path]:
    return list(_qdir(root, "active").iterdir())


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


def _slot_in_use(claim: Path, run_dir: Path) -> bool:
    """A claim holds its slot while its supervisor or its job lives; a dead claim whose job never
    started goes back in line, any other dead claim is dropped. Caller holds the lock."""
    info = runfolder.read_json(claim) or {}
    if procinfo.is_alive(info.get("pid"), info.get("start_time")):
        return True
    state = runfolder.read_state(run_dir) if run_dir.is_dir() else None
    if state is not None and procinfo.job_alive(run_dir.name, state):
        return True
    if lock_is_held(run_dir / runfolder.SUPERVISOR_LOCK):
        return True  # a supervisor still winding down
    if state is not None and state.phase is LocalPhase.QUEUED:
        entry = str(info.get("entry") or f"{time.time_ns():020d}-{run_dir.name}")
        claim.replace(_qdir(claim.parent.parent.parent, "pending") / entry)
    else:
        claim.unlink(missing_ok=True)
    return False


def _live_active(root: Path) -> int:
    runs = runfolder.runs_dir(root)
    return sum(_slot_in_use(claim, runs / claim.name) for claim in claims(root))


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
            state = runfolder.read_state(run_dir) if run_dir.is_dir() else None
            if state is None or state.phase is not LocalPhase.QUEUED:
                entry.unlink(missing_ok=True)  # gone, cancelled, or already started once
                continue
            claim = _qdir(root, "active") / job_id
            entry.replace(claim)  # the claim, atomically, before anything is spawned
            runfolder.write_json_atomic(claim, {"entry": entry.name})
            _start_supervisor(claim, entry.name, run_dir)
            started.append(job_id)
            free -= 1
    return started


def _start_supervisor(claim: Path, entry: str, run_dir: Path) -> None:
    """Spawn the detached supervisor, record it in the claim, then say "go"."""
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
    runfolder.write_json_atomic(claim, {"entry": entry, "pid": pid, "start_time": started})
    with contextlib.suppress(BrokenPipeError):
        launcher.stdin.write(GO)
    with contextlib.suppress(BrokenPipeError):
        launcher.stdin.close()


def ensure_keeper(root: Path) -> None:
    """Start the queue keeper unless one runs: it dispatches until nothing waits, so a queue
    drains even when no server runs and a supervisor was killed."""
    if not lock_is_held(keeper_lock(root)):
        start_detached([sys.executable, "-m", "oumi_mcp_server.jobs.queue_keeper", str(root)])


def keeper_lock(root: Path) -> Path:
    return root / "queue" / "keeper.lock"
