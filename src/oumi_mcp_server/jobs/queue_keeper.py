"""The queue keeper: `python -m oumi_mcp_server.jobs.queue_keeper <jobs_root>`.

Started (detached, at most one per jobs root: it holds `queue/keeper.lock`) whenever a job has to
wait for a slot. It dispatches every second until nothing waits, so the queue drains with no
server running, even when the supervisor that would have started the next job was killed.
Standard library plus psutil only.
"""

from __future__ import annotations

import fcntl
import os
import sys
import time
from pathlib import Path

from oumi_mcp_server.core.detach import detach
from oumi_mcp_server.jobs import queue

POLL_S = 1.0


def _hold(lock: Path) -> int | None:
    fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        return None
    return fd


def _waiting(root: Path) -> bool:
    return bool(queue.pending_ids(root))


def keep(root: Path, poll_s: float = POLL_S) -> None:
    lock = queue.keeper_lock(root)
    lock.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    while True:
        fd = _hold(lock)
        if fd is None:
            return  # another keeper has it
        try:
            while _waiting(root):
                queue.dispatch(root)
                time.sleep(poll_s)
        finally:
            os.close(fd)
        if not _waiting(root):  # re-checked after letting go: a job queued meanwhile is ours
            return


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python -m oumi_mcp_server.jobs.queue_keeper <jobs_root>", file=sys.stderr)
        return 2
    detach(wait_for_go=False)
    keep(Path(argv[0]).resolve())
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
