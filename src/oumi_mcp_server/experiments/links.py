"""Which evaluate jobs evaluated a training run: those whose model path is the run's output dir,
or a folder inside it (a checkpoint, a merged model). Read from the job store's records (the
config's model.model_name, or the run's override of it), so it works for finished jobs and for
jobs started by an earlier server; paths are compared after resolving symlinks and `..`."""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from pathlib import PurePosixPath

from oumi_mcp_server.jobs.record import LOCAL_BACKEND, JobRecord
from oumi_mcp_server.jobs.service import JobService

EVALUATE = "evaluate"
MAX_SCANNED = 2_000
"""Newest job records looked through for evaluate jobs (older ones are not linked)."""
_MODEL_FLAG = "--model.model_name"


@dataclass(frozen=True)
class Candidate:
    """An evaluate job and the model path it loaded (None: not a local folder, a Hub id)."""

    rec: JobRecord
    model: str | None

    @property
    def id(self) -> str:
        return self.rec.id


_kept: dict[str, tuple[tuple[int, str], list[Candidate]]] = {}
_lock = threading.Lock()


def evaluate_jobs(service: JobService, limit: int = MAX_SCANNED) -> list[Candidate]:
    """The newest evaluate jobs in the store, newest first, with their model paths. Kept while
    the store holds the same jobs (same count, same newest job): records never change what they
    ran, so the scan and the path resolution happen once per new job."""
    newest = service.store.page(before=None, limit=1)
    key = (service.store.count(), newest[0].id if newest else "")
    where = str(service.store.path)
    with _lock:
        kept = _kept.get(where)
    if kept is not None and kept[0] == key:
        return kept[1]
    found = [
        Candidate(r, _norm(model_of(r), r.cwd, r.backend == LOCAL_BACKEND))
        for r in service.store.page(before=None, limit=limit)
        if r.command == EVALUATE
    ]
    with _lock:
        _kept.clear()  # one store per process, but tests switch state directories
        _kept[where] = (key, found)
    return found


def model_of(rec: JobRecord) -> str:
    """The model an evaluate job loaded: its override of model.model_name, else the config's."""
    model = rec.model
    for i, arg in enumerate(rec.argv[:-1]):
        if arg == _MODEL_FLAG:
            model = rec.argv[i + 1]
    for arg in rec.argv:
        if arg.startswith(_MODEL_FLAG + "="):
            model = arg.split("=", 1)[1]
    return model


def _norm(path: str, cwd: str, local: bool) -> str | None:
    """An absolute, normalised path (no `..`, no trailing `/`; symlinks resolved for local
    jobs); None for a Hub id."""
    if not path:
        return None
    if not PurePosixPath(path).is_absolute():
        if not cwd:
            return None
        path = str(PurePosixPath(cwd) / path)
    try:
        return os.path.realpath(path) if local else os.path.normpath(path)
    except (OSError, ValueError):
        return None


def linked(train: JobRecord, candidates: list[Candidate]) -> list[JobRecord]:
    """The evaluate jobs among `candidates` that loaded `train`'s outputs (its output dir or a
    folder inside it), in the candidates' order."""
    if train.command == EVALUATE or not train.output_dir:
        return []
    outs = {local: _norm(train.output_dir, train.cwd, local) for local in (True, False)}
    found = []
    for cand in candidates:
        out = outs[cand.rec.backend == LOCAL_BACKEND]
        if cand.id == train.id or cand.model is None or out is None or out == "/":
            continue
        if cand.model == out or cand.model.startswith(out + "/"):
            found.append(cand.rec)
    return found
