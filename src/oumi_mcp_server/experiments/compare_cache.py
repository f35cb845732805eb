"""What compare reads of one run (its results, series and config), kept while its evidence is
unchanged, so comparing 10 finished runs again costs stats, not parses.

The key is the run's status and times (resolved fresh on every call) and the fingerprint (size,
mtime, inode) of every file and folder that evidence comes from: the output dir and each folder
in it, its trainer states (the output dir's and the newest checkpoint's), its metrics rows, every
task_result.json, and the config snapshot. A run still writing changes its key on every step;
nothing is ever served from a file that changed.
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from pathlib import Path

from oumi_mcp_server.jobs import progress_base as base
from oumi_mcp_server.jobs.record import JobRecord
from oumi_mcp_server.jobs.results import MAX_SCAN, TASK_RESULT, outputs_of
from oumi_mcp_server.jobs.results_models import JobResults
from oumi_mcp_server.jobs.states import Resolved

MAX_ENTRIES = 256
Series = dict[str, list[tuple[int, float]]]


@dataclass(frozen=True)
class Evidence:
    """Read-only once made: callers copy what they change."""

    results: JobResults
    series: Series
    config: dict[str, str]


_memo: OrderedDict[str, tuple[Hashable, Evidence]] = OrderedDict()
_lock = threading.Lock()


def _fp(path: Path | str) -> base.Fingerprint | None:
    st = base.stat_of(Path(path))
    return base.fingerprint(st) if st is not None else None


def _entries(out: Path) -> list[str]:
    try:
        with os.scandir(out) as it:
            names = [e.name for _, e in zip(range(MAX_SCAN), it, strict=False)]
    except (OSError, ValueError):
        return []
    return sorted(names)


def key_of(rec: JobRecord, res: Resolved) -> Hashable:
    """Everything the run's evidence depends on, cheaply: stats, never reads."""
    out = outputs_of(rec)
    files: list[tuple[str, base.Fingerprint | None]] = []
    if out is not None:
        names = _entries(out)
        newest = base.checkpoints(out)[:1]
        rels = [base.TRAINER_STATE, base.METRICS_FILE, *names]
        rels += [f"{n}/{base.TRAINER_STATE}" for n in newest]
        rels += [f"{n}/{TASK_RESULT}" for n in names if n not in newest]
        files = [(rel, _fp(out / rel)) for rel in rels]
    return (
        res.status.value,
        res.started_at,
        res.ended_at,
        str(out),
        _fp(out) if out is not None else None,
        tuple(files),
        _fp(rec.config_path) if rec.config_path else None,
    )


def evidence(rec: JobRecord, res: Resolved, read: Callable[[], Evidence]) -> Evidence:
    """The run's evidence: kept when its key is unchanged, else `read()` (and kept)."""
    key = key_of(rec, res)
    with _lock:
        kept = _memo.get(rec.id)
        if kept is not None and kept[0] == key:
            _memo.move_to_end(rec.id)
            return kept[1]
    found = read()
    with _lock:
        _memo[rec.id] = (key, found)
        _memo.move_to_end(rec.id)
        while len(_memo) > MAX_ENTRIES:
            _memo.popitem(last=False)
    return found
