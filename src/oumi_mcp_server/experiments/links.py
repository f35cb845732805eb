"""Which evaluate jobs evaluated a training run: those whose model path is the run's output dir,
or a folder inside it (a checkpoint, a merged model). Read from the job store's records (the
config's model.model_name, or the run's override of it), so it works for finished jobs and for
jobs started by an earlier server; paths are compared after resolving symlinks and `..`."""

from __future__ import annotations

import os
from pathlib import PurePosixPath

from oumi_mcp_server.jobs.record import LOCAL_BACKEND, JobRecord
from oumi_mcp_server.jobs.service import JobService

EVALUATE = "evaluate"
MAX_SCANNED = 2_000
"""Newest job records looked through for evaluate jobs (older ones are not linked)."""
_MODEL_FLAG = "--model.model_name"


def evaluate_jobs(service: JobService, limit: int = MAX_SCANNED) -> list[JobRecord]:
    """The newest evaluate jobs in the store, newest first (one store read per comparison)."""
    return [r for r in service.store.page(before=None, limit=limit) if r.command == EVALUATE]


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


def _norm(path: str, cwd: str, local: bool) -> PurePosixPath | None:
    """An absolute, normalised path (symlinks resolved for local jobs); None for a Hub id."""
    if not path:
        return None
    if not PurePosixPath(path).is_absolute():
        if not cwd:
            return None
        path = str(PurePosixPath(cwd) / path)
    try:
        return PurePosixPath(os.path.realpath(path) if local else os.path.normpath(path))
    except (OSError, ValueError):
        return None


def is_linked(train: JobRecord, evaluation: JobRecord) -> bool:
    """Whether `evaluation` loaded `train`'s outputs (its output dir or a folder inside it)."""
    if train.id == evaluation.id:
        return False
    local = evaluation.backend == LOCAL_BACKEND
    out = _norm(train.output_dir, train.cwd, local)
    model = _norm(model_of(evaluation), evaluation.cwd, local)
    if out is None or model is None or str(out) == "/":
        return False
    return model == out or out in model.parents


def linked(train: JobRecord, candidates: list[JobRecord]) -> list[JobRecord]:
    """The evaluate jobs among `candidates` that evaluated `train`, in the candidates' order."""
    if train.command == EVALUATE or not train.output_dir:
        return []
    return [c for c in candidates if is_linked(train, c)]
