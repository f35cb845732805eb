"""Snapshots of a cluster job's remote log in its run folder (`stdout.log`): what get_job_logs and
progress read. Written only by reconcile; each read is bounded in time by a killable subprocess.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from oumi_mcp_server.clusters import runstate, slurm
from oumi_mcp_server.clusters.runstate import Identity, identity
from oumi_mcp_server.clusters.wrap import SLURM_CLOUDS
from oumi_mcp_server.jobs.record import JobRecord

logger = logging.getLogger(__name__)

SNAPSHOT_BYTES = 512 * 1024
LOG_TIMEOUT_S = 10.0
OTHER_LOG_EVERY_S = 30.0
OTHER_LOG_TIMEOUT_S = 60.0
LOGSNAP = "logsnap.json"


def _write_snapshot(run_dir: Path, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(dir=run_dir, prefix=".stdout.", suffix=".tmp")
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
    Path(tmp).replace(run_dir / runstate.STDOUT)


def refresh_logs(rec: JobRecord, timeout_s: float = LOG_TIMEOUT_S) -> bool:
    """Refresh the local snapshot of the job's remote log; False when none could be read."""
    ident = identity(rec)
    if ident is None:
        return False
    run_dir = Path(rec.run_dir)
    if ident.cloud in SLURM_CLOUDS:
        target = slurm.parse_cluster(ident.cluster)
        data = slurm.log_tail(target, ident.job_id, SNAPSHOT_BYTES, timeout_s)
    else:
        data = _stream_snapshot(run_dir, ident, timeout_s)
    if data is None:
        return False
    _write_snapshot(run_dir, data)
    return True


def snapshot_quietly(rec: JobRecord, ident: Identity) -> None:
    """Refresh the log snapshot without holding up a reconcile pass for long."""
    run_dir = Path(rec.run_dir)
    try:
        if ident.cloud in SLURM_CLOUDS:  # one ssh through the master: fast
            refresh_logs(rec)
            return
        stamp = runstate.read_json(run_dir / LOGSNAP) or {}
        if time.time() - float(stamp.get("at", 0)) < OTHER_LOG_EVERY_S:
            return
        runstate.write_json_atomic(run_dir / LOGSNAP, {"at": time.time()})
        _start_stream_child(run_dir, ident, OTHER_LOG_TIMEOUT_S)
    except Exception as exc:  # a log snapshot is best effort
        logger.info("log snapshot for %s failed: %s", rec.id, exc)


def _start_stream_child(
    run_dir: Path, ident: Identity, timeout_s: float
) -> subprocess.Popen[bytes]:
    """A child that reads the launcher's log stream and ends itself at `timeout_s`."""
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "oumi_mcp_server.clusters.logstream",
            *ident.args(),
            str(SNAPSHOT_BYTES),
            str(run_dir / runstate.STDOUT),
            str(timeout_s),
        ],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )


def _stream_snapshot(run_dir: Path, ident: Identity, timeout_s: float) -> bytes | None:
    """Wait for the child (it stops itself at the bound); kill its whole group if it did not."""
    path = run_dir / runstate.STDOUT
    before = path.stat().st_mtime_ns if path.exists() else None
    proc = _start_stream_child(run_dir, ident, timeout_s)
    try:
        proc.wait(timeout=timeout_s + 5)
    except subprocess.TimeoutExpired:
        pass
    finally:
        _kill_group(proc)
    if not path.exists() or path.stat().st_mtime_ns == before:
        return None
    return path.read_bytes()


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
