"""Starting a process that must outlive whoever started it (supervisors, helpers, the keeper)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from oumi_mcp_server.core.errors import ServiceError


def detach(*, wait_for_go: bool) -> bool:
    """Fork once more: the parent prints the child's pid on stdout and exits; the child goes on.

    The starter reads that pid (the process that will outlive it) and reaps the parent. The
    child drops stdin and stdout. With `wait_for_go` it first reads stdin to EOF and returns
    whether the starter wrote "go" before closing it: the starter says so only after recording
    the pid, so a child whose starter died (EOF alone) must not go on. Without it, returns True.
    """
    pid = os.fork()
    if pid:
        os.write(1, f"{pid}\n".encode())
        os._exit(0)
    devnull = os.open(os.devnull, os.O_RDWR)
    os.dup2(devnull, 1)
    said = b""
    if wait_for_go:
        try:
            while chunk := os.read(0, 64):
                said = (said + chunk)[-64:]
        except OSError:
            said = b""
    os.dup2(devnull, 0)
    os.close(devnull)
    return not wait_for_go or said.strip() == b"go"


def start_detached(argv: list[str], log: Path | None = None, timeout_s: float = 60) -> int:
    """Run `argv` (whose main calls `detach(wait_for_go=False)`), return the detached pid.

    Its stderr goes to `log` (appended) or nowhere: a pipe would keep us waiting for as long as
    the detached process lives.
    """
    with (log or Path(os.devnull)).open("ab") as err:
        proc = subprocess.run(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=err,
            start_new_session=True,
            timeout=timeout_s,
            check=False,
        )
    try:
        return int(proc.stdout.split()[0])
    except (IndexError, ValueError):
        raise ServiceError(
            "helper_failed",
            f"{' '.join(argv[1:3])[:120]} did not start (exit {proc.returncode}).",
            f"See {log} and the server log, then retry." if log else "See the server log; retry.",
        ) from None
