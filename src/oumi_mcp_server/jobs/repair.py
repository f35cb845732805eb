"""Open the job store safely: a damaged store is set aside and rebuilt from the run folders.

Every run folder keeps its job's record (`record.json`), so the store is never the only copy of
anything: a store that is unreadable, zeroed, truncated, emptied or deleted is never silently
replaced by an empty one. `open_store` does this when a service starts; `oumi-mcp-server jobs
repair` does it on request (and rebuilds even a store that looks fine).
"""

from __future__ import annotations

import logging
import sqlite3
import time
from pathlib import Path

from oumi_mcp_server.jobs import runfolder
from oumi_mcp_server.jobs.store import JobStore, default_db_path

logger = logging.getLogger(__name__)


def _has_runs(root: Path) -> bool:
    runs = runfolder.runs_dir(root)
    return runs.is_dir() and any((p / runfolder.RECORD).exists() for p in runs.iterdir())


def set_aside(path: Path) -> Path:
    """Move a damaged store (and its WAL files) out of the way; returns where it went."""
    target = path.with_name(f"{path.name}.damaged-{time.strftime('%Y%m%dT%H%M%S')}")
    for suffix in ("", "-wal", "-shm"):
        src = Path(f"{path}{suffix}")
        if src.exists():
            src.replace(Path(f"{target}{suffix}"))
    return target


def rebuild(store: JobStore, root: Path) -> int:
    """Add every run folder's record the store lacks; returns how many were added."""
    runs = runfolder.runs_dir(root)
    if not runs.is_dir():
        return 0
    have = {r.id for r in store.page(before=None, limit=1_000_000)}
    missing, tokens = [], []
    for run_dir in sorted(runs.iterdir()):
        rec = runfolder.read_record(run_dir) if run_dir.name not in have else None
        if rec is not None and rec.id == run_dir.name:
            missing.append(rec)
            if token := runfolder.spent_token(run_dir):
                tokens.append(token)
    if missing:
        store.insert_many(missing, tokens)
    return len(missing)


def open_store(root: Path, path: Path | None = None) -> JobStore:
    """The store at `path`; damaged or missing while run folders exist: rebuilt from them."""
    path = path or default_db_path()
    damaged: str | None = None
    if path.exists() and path.stat().st_size == 0 and _has_runs(root):
        damaged = "the file is empty"
    store: JobStore | None = None
    if damaged is None:
        try:
            store = JobStore(path)
            store.check()
        except sqlite3.OperationalError:
            raise  # locked or read-only: a fault to report, not damage to repair
        except sqlite3.DatabaseError as exc:
            damaged, store = str(exc)[:200], None
    if store is None:
        aside = set_aside(path)
        logger.error(
            "job store %s is damaged (%s); set aside as %s, rebuilding", path, damaged, aside
        )
        store = JobStore(path)
        store.created = True
    if store.created and _has_runs(root):
        added = rebuild(store, root)
        logger.warning("job store rebuilt from %d run folder(s)", added)
    return store
