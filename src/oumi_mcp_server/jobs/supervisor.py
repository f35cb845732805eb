"""The detached supervisor of one local job: `python -m oumi_mcp_server.jobs.supervisor <run_dir>`.

Started by `queue.dispatch` in its own session; it forks once more (the dispatcher reads the
grandchild's pid and reaps the intermediate), waits for the dispatcher to close stdin, then starts
the job's argv without a shell, in its own process group, with stdout/stderr to files in the run
folder. It records pid, start time and, on exit, exit code or signal, end time and whether a
cancel was requested, atomically in `state.json`; then frees its slot and starts the next queued
job. It outlives any server. Standard library plus psutil only, to start fast.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from oumi_mcp_server.core.detach import detach
from oumi_mcp_server.jobs import procinfo, queue, runfolder


def _signal_name(code: int) -> str:
    try:
        return signal.Signals(code).name
    except ValueError:
        return f"signal {code}"


def _spawn(run_dir: Path, spec: dict[str, Any]) -> subprocess.Popen[bytes]:
    env = spec.get("env")
    with (
        (run_dir / runfolder.STDOUT).open("ab") as out,
        (run_dir / runfolder.STDERR).open("ab") as err,
    ):
        return subprocess.Popen(
            [str(a) for a in spec["argv"]],
            cwd=spec.get("cwd") or None,
            env={str(k): str(v) for k, v in env.items()} if isinstance(env, dict) else None,
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


def run(run_dir: Path) -> int:
    me = os.getpid()
    runfolder.update_state(
        run_dir, supervisor_pid=me, supervisor_start_time=procinfo.start_time(me)
    )
    spec = runfolder.read_json(run_dir / runfolder.SPEC)
    state = runfolder.read_state(run_dir) or {}
    if state.get("phase") == "exited":
        return 0
    if spec is None or not isinstance(spec.get("argv"), list) or not spec["argv"]:
        runfolder.update_state(
            run_dir,
            phase="exited",
            exit_code=None,
            ended_at=time.time(),
            error="spec.json is missing or has no argv",
        )
        return 1
    received: list[int] = []

    def forward(signum: int, _frame: object) -> None:
        received.append(signum)

    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(sig, forward)
    try:
        child = _spawn(run_dir, spec)
    except OSError as exc:
        with (run_dir / runfolder.STDERR).open("a", encoding="utf-8") as err:
            err.write(f"Error: could not start {spec['argv'][0]!r}: {exc}\n")
        runfolder.update_state(
            run_dir,
            phase="exited",
            started_at=time.time(),
            exit_code=127 if isinstance(exc, FileNotFoundError) else 126,
            ended_at=time.time(),
            error=f"could not start: {exc}",
        )
        _scrub_spec(run_dir, spec)
        return 0
    runfolder.update_state(
        run_dir,
        phase="running",
        pid=child.pid,
        pgid=child.pid,
        pid_start_time=procinfo.start_time(child.pid),
        started_at=time.time(),
    )
    _scrub_spec(run_dir, spec)
    forwarded = 0
    cancel_seen = False
    while True:
        try:
            code = child.wait(timeout=0.5)
            break
        except subprocess.TimeoutExpired:
            pass
        while forwarded < len(received):
            _killpg(child.pid, signal.SIGTERM)
            forwarded += 1
        if not cancel_seen and (run_dir / runfolder.CANCEL_MARK).exists():
            cancel_seen = True
            _killpg(child.pid, signal.SIGTERM)
    exit_fields: dict[str, Any] = {
        "phase": "exited",
        "ended_at": time.time(),
        "cancelled": (run_dir / runfolder.CANCEL_MARK).exists(),
    }
    if code < 0:
        exit_fields.update(exit_code=None, signal=_signal_name(-code))
    else:
        exit_fields.update(exit_code=code, signal=None)
    runfolder.update_state(run_dir, **exit_fields)
    _remember_outcome(spec, run_dir.name, exit_fields)
    return 0


def _remember_outcome(spec: dict[str, Any], job_id: str, fields: dict[str, Any]) -> None:
    """Write the final outcome into the store, as `JobStore.set_final_statuses` would.

    Best effort: the exit record in state.json stays the source of truth.
    """
    store = spec.get("store")
    if not isinstance(store, str) or not Path(store).exists():
        return
    outcome = (
        "cancelled"
        if fields["cancelled"]
        else "completed"
        if fields.get("exit_code") == 0
        else "failed"
    )
    try:
        conn = sqlite3.connect(store, timeout=30.0)
        try:
            with conn:
                conn.execute(
                    "UPDATE jobs SET final_status = ? WHERE id = ? AND final_status IS NULL",
                    (outcome, job_id),
                )
        finally:
            conn.close()
    except sqlite3.Error:
        pass


def _killpg(pgid: int, sig: int) -> None:
    with contextlib.suppress(OSError):
        os.killpg(pgid, sig)


def _finish(run_dir: Path) -> None:
    root = runfolder.root_of(run_dir)
    job_id = run_dir.name
    with queue.locked(root):
        queue.release_slot(root, job_id)
    queue.dispatch(root)


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python -m oumi_mcp_server.jobs.supervisor <run_dir>", file=sys.stderr)
        return 2
    run_dir = Path(argv[0]).resolve()
    detach(wait_for_go=True)
    try:
        return run(run_dir)
    finally:
        _finish(run_dir)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
