"""Sweeps on disk: `<jobs root>/sweeps/<sweep_id>/sweep.json` (and the eval config snapshot).

sweep.json is written atomically BEFORE any point is submitted (every point `not_started`), then
again as each point's job id is known, so a crash mid-launch loses nothing: a point never
submitted says so, and a point whose job was stored but not yet noted here is found again by its
job name (which carries the sweep id and the point index).

Why JSON files and not a table in the job store: that schema belongs to the jobs package; a sweep
is written a handful of times by the one process launching it, read whole, and readable by a
person. A lock file per sweep serialises read-modify-write (launch filling in job ids, cancel
marking points). Standard library only.
"""

from __future__ import annotations

import contextlib
import fcntl
import functools
import json
import math
import os
import re
import secrets
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from pydantic import TypeAdapter

from oumi_mcp_server.core.atomic import write_text_atomic
from oumi_mcp_server.core.errors import ServiceError

SWEEP_ID = re.compile(r"^sweep-[A-Za-z0-9][A-Za-z0-9._-]{0,80}\Z")
r"""`\Z`, not `$`: `$` lets a trailing newline through."""
MAX_PID = 2**31
"""A pid_t: larger is not a pid (os.kill would raise OverflowError)."""
RECORD = "sweep.json"
EVAL_SNAPSHOT = "evaluate.yaml"


class PointState:
    NOT_STARTED = "not_started"
    SUBMITTED = "submitted"
    SUBMIT_FAILED = "submit_failed"
    CANCELLED = "cancelled"


@dataclass
class PointRecord:
    index: int
    overrides: dict[str, Any]
    job_name: str
    output_dir: str
    job_id: str | None = None
    state: str = PointState.NOT_STARTED
    error: str | None = None


@dataclass
class SweepRecord:
    id: str
    created_at: float
    command: str
    config: str
    metric: str
    mode: Literal["min", "max"]
    backend: str
    points: list[PointRecord]
    evaluate: str | None = None
    fixed_overrides: dict[str, Any] = field(default_factory=dict)
    cancelled: bool = False
    launch_done: bool = False
    launcher_pid: int | None = None
    launcher_started: float | None = None
    """The process submitting the points (pid, start time): while it lives, a point not yet
    submitted is on its way; once it is gone, the launch was interrupted."""

    @classmethod
    def from_json(cls, data: object) -> SweepRecord:
        """Typed as written, or ValueError: a hand-edited or damaged file must not reach the
        view as wrong types (a time it cannot print, a pid os.kill refuses)."""
        rec = _record_adapter().validate_python(data)
        bad_pid = rec.launcher_pid is not None and not 0 < rec.launcher_pid < MAX_PID
        if not (math.isfinite(rec.created_at) and 0 <= rec.created_at < 1e11) or bad_pid:
            raise ValueError("created_at or launcher_pid out of range")
        return rec


@functools.cache
def _record_adapter() -> TypeAdapter[SweepRecord]:
    return TypeAdapter(SweepRecord)


def new_sweep_id() -> str:
    return f"sweep-{datetime.now(UTC).strftime('%Y%m%dT%H%M%S')}-{secrets.token_hex(3)}"


def unknown_sweep(sweep_id: str) -> ServiceError:
    return ServiceError(
        "unknown_sweep",
        f"No sweep with id {str(sweep_id)[:80]!r}.",
        "Use the sweep_id run_sweep answered (it starts with 'sweep-').",
    )


class SweepStore:
    def __init__(self, root: Path) -> None:
        self.root = root

    def folder(self, sweep_id: str) -> Path:
        if not SWEEP_ID.fullmatch(sweep_id or ""):
            raise unknown_sweep(sweep_id)
        return self.root / sweep_id

    def create(self, rec: SweepRecord) -> Path:
        """The sweep's folder and first record; an existing id is refused."""
        folder = self.folder(rec.id)
        self.root.mkdir(mode=0o700, parents=True, exist_ok=True)
        folder.mkdir(mode=0o700)
        self._write(folder, rec)
        return folder

    def get(self, sweep_id: str) -> SweepRecord:
        folder = self.folder(sweep_id)
        try:
            data = json.loads((folder / RECORD).read_text(encoding="utf-8"))
            return SweepRecord.from_json(data)
        except FileNotFoundError:
            raise unknown_sweep(sweep_id) from None
        except (ValueError, OSError) as exc:
            raise ServiceError(
                "sweep_record_unreadable",
                f"{folder / RECORD} is not a sweep record ({type(exc).__name__}).",
                "Its point jobs are still listed by list_jobs (names start with the sweep id).",
            ) from None

    def update(self, sweep_id: str, change: Callable[[SweepRecord], None]) -> SweepRecord:
        """Read, change and write the record under the sweep's lock."""
        folder = self.folder(sweep_id)
        with self._locked(folder):
            rec = self.get(sweep_id)
            change(rec)
            self._write(folder, rec)
        return rec

    @contextlib.contextmanager
    def _locked(self, folder: Path) -> Iterator[None]:
        if not folder.is_dir():
            raise unknown_sweep(folder.name)
        fd = os.open(folder / ".lock", os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)

    @staticmethod
    def _write(folder: Path, rec: SweepRecord) -> None:
        text = json.dumps(asdict(rec), indent=1, sort_keys=True, default=str)
        write_text_atomic(folder / RECORD, text, fsync=True)
