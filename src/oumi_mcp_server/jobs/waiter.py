"""The job's own exit record: `python -m oumi_mcp_server.jobs.waiter <run_dir> <argv...>`.

The supervisor starts the job through this tiny parent, in the job's process group. It runs the
argv, waits for it and writes `exit.json` (exit code or signal, end time) in the run folder, then
ends the same way the job did. A supervisor that was killed meanwhile loses nothing: reconcile
reads the outcome from here. It ignores the stop signals a cancel sends to the whole group (the
job handles them; SIGKILL ends both), so it outlives the job it waits for. Standard library only.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from oumi_mcp_server.jobs import runfolder

EXIT = "exit.json"


def _ignore(_signum: int, _frame: object) -> None:
    """A handler, not SIG_IGN: handlers are reset on exec, so the job still gets the signal."""


def main(argv: list[str]) -> int:
    if len(argv) < 2:
        print("usage: python -m oumi_mcp_server.jobs.waiter <run_dir> <argv...>", file=sys.stderr)
        return 2
    run_dir, command = Path(argv[0]), argv[1:]
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(sig, _ignore)
    try:
        child = subprocess.Popen(command, stdin=subprocess.DEVNULL, close_fds=True)
    except OSError as exc:
        print(f"Error: could not start {command[0]!r}: {exc}", file=sys.stderr)
        code = 127 if isinstance(exc, FileNotFoundError) else 126
        _record(run_dir, {"exit_code": code, "error": f"could not start: {exc}"})
        return code
    while True:
        try:
            code = child.wait()
            break
        except InterruptedError:
            continue
    fields: dict[str, object] = {"exit_code": code} if code >= 0 else {"signal": -code}
    _record(run_dir, fields)
    if code < 0:
        signal.signal(-code, signal.SIG_DFL)
        os.kill(os.getpid(), -code)
    return code


def _record(run_dir: Path, fields: dict[str, object]) -> None:
    with contextlib.suppress(OSError):
        runfolder.write_json_atomic(run_dir / EXIT, {**fields, "ended_at": time.time()}, 0o644)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
