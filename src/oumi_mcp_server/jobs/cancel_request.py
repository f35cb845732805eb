"""A cancel request in a run folder (`cancel`): when it was asked and how long SIGTERM may take.

Whoever owns the job applies it: the local supervisor (SIGTERM now, SIGKILL at the deadline, so
escalation survives the server), or the cluster launch helper while launching. Standard library
only: the supervisor imports it.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from oumi_mcp_server.jobs import runfolder

DEFAULT_GRACE_S = 10.0


@dataclass(frozen=True)
class CancelRequest:
    requested_at: float
    grace_s: float


def write(run_dir: Path, grace_s: float) -> CancelRequest:
    """Ask for a cancel; a second request keeps the first one's time (and its deadline)."""
    first = read(run_dir)
    request = CancelRequest(first.requested_at if first else time.time(), max(0.0, grace_s))
    if first is not None:
        request = CancelRequest(first.requested_at, min(first.grace_s, request.grace_s))
    runfolder.write_json_atomic(
        run_dir / runfolder.CANCEL_MARK,
        {"requested_at": request.requested_at, "grace_s": request.grace_s},
        mode=0o644,
    )
    return request


def read(run_dir: Path) -> CancelRequest | None:
    path = run_dir / runfolder.CANCEL_MARK
    try:
        mtime = path.stat().st_mtime
    except OSError:
        return None
    data = runfolder.read_json(path) or {}
    at, grace = data.get("requested_at"), data.get("grace_s")
    return CancelRequest(
        float(at) if isinstance(at, int | float) else mtime,
        float(grace) if isinstance(grace, int | float) and grace >= 0 else DEFAULT_GRACE_S,
    )
