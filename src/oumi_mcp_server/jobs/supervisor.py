"""The detached supervisor of one local job: `python -m oumi_mcp_server.jobs.supervisor <run_dir>`.

Started by `queue.dispatch` in its own session; it forks once more (the dispatcher reads the
grandchild's pid and reaps the intermediate) and goes on only when the dispatcher says "go" (EOF
alone means the dispatcher died before recording it: abort). It then takes the run folder's
supervisor lock for its whole life and starts the job only if the folder is still `queued`, so a
record is started at most once whatever is killed when. It starts the argv without a shell, in
its own process group, under `waiter` (which keeps the job's own exit record should this process
be killed), with stdout/stderr to files in the run folder; it owns cancel escalation
(SIGTERM on request, SIGKILL at the request's deadline, even with no server left); on exit it
records exit code or signal, end time and whether the cancel request ended it, atomically in
`state.json` (retrying while the disk is full), and the outcome in the job store; then frees its
slot and starts the next queued job. Standard library plus psutil only, to start fast.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from oumi_mcp_server.core.detach import detach
from oumi_mcp_server.jobs import cancel_request, local_status, procinfo, queue, runfolder, waiter
from oumi_mcp_server.jobs.states import LocalPhase, RunState
from oumi_mcp_server.jobs.store import JobStore

RECORD_RETRY_S = 3600.0
"""How long the supervisor keeps trying to write its job's exit record (disk full, read-only)."""


def _spawn(run_dir: Path, spec: dict[str, Any]) -> subprocess.Popen[bytes]:
    env = spec.get("env")
    env = {str(k): str(v) for k, v in env.items()} if isinstance(env, dict) else dict(os.environ)
    env[procinfo.JOB_ID_ENV] = run_dir.name
    with (
        (run_dir / runfolder.STDOUT).open("ab") as out,
        (run_dir / runfolder.STDERR).open("ab") as err,
    ):
        return subprocess.Popen(
            [sys.executable, "-m", "oumi_mcp_server.jobs.waiter", str(run_dir)]
            + [str(a) for a in spec["argv"]],
            cwd=spec.get("cwd") or None,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=err,
            start_new_session=True,
            close_fds=True,
        )


def _scrub_spec(run_dir: Path, spec: dict[str, Any]) -> None:
    """Once started, the environment (it may hold secrets) is no longer needed on disk."""
    if "env" in spec:
        runfolder.write_json_atomic(
            run_dir / runfolder.SPEC, {k: v for k, v in spec.items() if k != "env"}
        )


def _hold_lock(run_dir: Path) -> int | None:
    """The run folder's supervisor lock, held until this process ends; None if another has it."""
    fd = os.open(run_dir / runfolder.SUPERVISOR_LOCK, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        return None
    return fd


def _record(run_dir: Path, retry_s: float = RECORD_RETRY_S, **fields: Any) -> RunState | None:
    """Write `fields` into state.json, retrying with backoff while the disk refuses."""
    end, pause = time.monotonic() + retry_s, 0.2
    while True:
        try:
            return runfolder.update_state(run_dir, **fields)
        except OSError:
            if time.monotonic() >= end:
                return None
            time.sleep(pause)
            pause = min(pause * 2, 5.0)


def _watch(run_dir: Path, child: subprocess.Popen[bytes], received: list[int]) -> tuple[int, bool]:
    """Wait for the child; forward signals; apply a cancel request with its deadline.

    Returns the exit code and whether the cancel request ended the job.
    """
    forwarded = 0
    term_at: float | None = None
    killed = False
    while True:
        try:
            code = child.wait(timeout=0.2)
            return code, term_at is not None
        except subprocess.TimeoutExpired:
            pass
        while forwarded < len(received):
            _killpg(child.pid, signal.SIGTERM)
            forwarded += 1
        request = cancel_request.read(run_dir)
        if request is None:
            continue
        if term_at is None:
            term_at = time.monotonic()
            _killpg(child.pid, signal.SIGKILL if request.grace_s <= 0 else signal.SIGTERM)
        if not killed and time.monotonic() - term_at >= request.grace_s:
            killed = True
            _killpg(child.pid, signal.SIGKILL)


def run(run_dir: Path) -> int:
    """Supervise the job if this run folder is ours to start; its slot is freed only then."""
    if _hold_lock(run_dir) is None:
        return 0  # another supervisor owns this run folder
    state = runfolder.read_state(run_dir)
    if state is None or state.phase is not LocalPhase.QUEUED:
        return 0  # started once already (or gone): never twice
    try:
        return _supervise(run_dir)
    finally:
        _finish(run_dir)


def _supervise(run_dir: Path) -> int:
    me = os.getpid()
    runfolder.update_state(
        run_dir,
        phase=LocalPhase.STARTING,
        supervisor_pid=me,
        supervisor_start_time=procinfo.start_time(me),
        dispatched_at=time.time(),
    )
    spec = runfolder.read_json(run_dir / runfolder.SPEC)
    if spec is None or not isinstance(spec.get("argv"), list) or not spec["argv"]:
        _record(
            run_dir,
            phase=LocalPhase.EXITED,
            ended_at=time.time(),
            error="spec.json is missing or has no argv",
        )
        return 1
    if cancel_request.read(run_dir) is not None:
        _record(run_dir, phase=LocalPhase.EXITED, ended_at=time.time(), cancelled=True)
        _remember_outcome(spec, run_dir.name, "cancelled")
        return 0
    received: list[int] = []

    def forward(signum: int, _frame: object) -> None:
        received.append(signum)

    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(sig, forward)
    try:
        child = _spawn(run_dir, spec)
    except OSError as exc:
        with contextlib.suppress(OSError), (run_dir / runfolder.STDERR).open("a") as err:
            err.write(f"Error: could not start {spec['argv'][0]!r}: {exc}\n")
        now = time.time()
        _record(
            run_dir,
            phase=LocalPhase.EXITED,
            started_at=now,
            ended_at=now,
            exit_code=127 if isinstance(exc, FileNotFoundError) else 126,
            error=f"could not start: {exc}",
        )
        _scrub_spec(run_dir, spec)
        _remember_outcome(spec, run_dir.name, "failed")
        return 0
    _record(
        run_dir,
        phase=LocalPhase.RUNNING,
        pid=child.pid,
        pgid=child.pid,
        pid_start_time=procinfo.start_time(child.pid),
        started_at=time.time(),
    )
    with contextlib.suppress(OSError):
        _scrub_spec(run_dir, spec)
    code, cancelled = _watch(run_dir, child, received)
    # Stopped by someone applying the request before this loop saw it: still the request's doing.
    cancelled = cancelled or (code != 0 and cancel_request.read(run_dir) is not None)
    if cancelled:
        _killpg(child.pid, signal.SIGKILL)  # orphans left in the group of a cancelled job
    exit_fields: dict[str, Any] = {
        "phase": LocalPhase.EXITED,
        "ended_at": time.time(),
        "cancelled": cancelled,
    }
    if code < 0:
        exit_fields.update(exit_code=None, signal=local_status.signal_name(-code))
    else:
        exit_fields.update(exit_code=code, signal=None)
    error = (runfolder.read_json(run_dir / waiter.EXIT) or {}).get("error")
    if isinstance(error, str):
        exit_fields["error"] = error
    _record(run_dir, **exit_fields)
    outcome = "cancelled" if cancelled else "completed" if code == 0 else "failed"
    _remember_outcome(spec, run_dir.name, outcome)
    return 0


def _remember_outcome(spec: dict[str, Any], job_id: str, outcome: str) -> None:
    """Best effort: the exit record in state.json stays the source of truth."""
    store = spec.get("store")
    if not isinstance(store, str) or not Path(store).exists():
        return
    with contextlib.suppress(sqlite3.Error, OSError):
        JobStore(Path(store), import_legacy=False).set_final_statuses({job_id: outcome})


def _killpg(pgid: int, sig: int) -> None:
    with contextlib.suppress(OSError):
        os.killpg(pgid, sig)


def _finish(run_dir: Path) -> None:
    root = runfolder.root_of(run_dir)
    with queue.locked(root):
        queue.release_slot(root, run_dir.name)
    queue.kick(root)


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python -m oumi_mcp_server.jobs.supervisor <run_dir>", file=sys.stderr)
        return 2
    run_dir = Path(argv[0]).resolve()
    if not detach(wait_for_go=True):
        return 0  # the dispatcher died before recording us: the claim goes back in line
    return run(run_dir)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
