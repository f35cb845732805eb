"""The last step of starting a process that must outlive whoever started it."""

from __future__ import annotations

import os


def detach(*, wait_for_go: bool) -> None:
    """Fork once more: the parent prints the child's pid on stdout and exits; the child goes on.

    The starter reads that pid (the process that will outlive it) and reaps the parent. The
    child drops stdin and stdout. With `wait_for_go` it first reads stdin to EOF: the starter
    closes it only after recording the pid, so the child never runs unrecorded.
    """
    pid = os.fork()
    if pid:
        os.write(1, f"{pid}\n".encode())
        os._exit(0)
    devnull = os.open(os.devnull, os.O_RDWR)
    os.dup2(devnull, 1)
    if wait_for_go:
        try:
            while os.read(0, 4096):
                pass
        except OSError:
            pass
    os.dup2(devnull, 0)
    os.close(devnull)
