"""A job's run folder: spec, config snapshot, logs and the supervisor's `state.json`.

Layout under a jobs root (`<state_dir>/jobs` by default)::

    runs/<job_id>/record.json   the job's store record (what `jobs repair` rebuilds the store from)
    runs/<job_id>/spec.json     what to run (argv, cwd, env; env scrubbed once started), 0600
    runs/<job_id>/config.yaml   the config as it was at submit time
    runs/<job_id>/state.json    `states.RunState`, written atomically under `.state.lock`
    runs/<job_id>/.supervisor.lock  held by the job's supervisor for its whole life
    runs/<job_id>/stdout.log, stderr.log, supervisor.log
    runs/<job_id>/cancel        present once a cancel was requested
    queue/                      see `queue.py`

Only the standard library (and `core.atomic`, `jobs.states`) is imported here: the supervisor
imports this module.
"""

from __future__ import annotations

import contextlib
import dataclasses
import fcntl
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from oumi_mcp_server.core.atomic import write_text_atomic
from oumi_mcp_server.jobs.record import JobRecord
from oumi_mcp_server.jobs.states import RunState

SPEC = "spec.json"
STATE = "state.json"
CONFIG = "config.yaml"
STDOUT = "stdout.log"
STDERR = "stderr.log"
SUPERVISOR_LOG = "supervisor.log"
CANCEL_MARK = "cancel"
RECORD = "record.json"
"""The job's store record, kept in its run folder too: a damaged store is rebuilt from these."""
REDACT = "redact.json"
"""Values of the job's secret-named variables given at launch (0600): hidden in every log read."""
STATE_LOCK = ".state.lock"
SUPERVISOR_LOCK = ".supervisor.lock"


def jobs_root() -> Path:
    """Root of run folders and the queue; beside the job store in the state directory."""
    from oumi_mcp_server.core.paths import state_dir

    root = state_dir() / "jobs"
    root.mkdir(mode=0o700, parents=True, exist_ok=True)
    return root


def runs_dir(root: Path) -> Path:
    return root / "runs"


def run_dir_for(root: Path, job_id: str) -> Path:
    return runs_dir(root) / job_id


def root_of(run_dir: Path) -> Path:
    """The jobs root a run folder belongs to (the supervisor needs no env to find the queue)."""
    return run_dir.parent.parent


def write_json_atomic(path: Path, data: Any, mode: int = 0o600) -> None:
    """Replace `path` with `data` as JSON, durably (fsync before the rename)."""
    write_text_atomic(path, json.dumps(data, separators=(",", ":")), mode=mode, fsync=True)


def read_json(path: Path) -> dict[str, Any] | None:
    """The object in `path`, or None when it is missing or unreadable."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def write_record(run_dir: Path, rec: JobRecord, spent_token: str | None = None) -> None:
    """The record, and the consent token it spent (a rebuilt store keeps it spent)."""
    write_json_atomic(run_dir / RECORD, dataclasses.asdict(rec) | {"spent_token": spent_token})


def spent_token(run_dir: Path) -> str | None:
    token = (read_json(run_dir / RECORD) or {}).get("spent_token")
    return token if isinstance(token, str) else None


def read_record(run_dir: Path) -> JobRecord | None:
    data = read_json(run_dir / RECORD)
    if data is None:
        return None
    names = {f.name for f in dataclasses.fields(JobRecord)}
    try:
        return JobRecord(**{k: v for k, v in data.items() if k in names})
    except TypeError:
        return None


def write_secrets(run_dir: Path, values: list[str]) -> None:
    if values:
        write_json_atomic(run_dir / REDACT, {"values": values})


def job_secrets(run_dir: Path) -> list[str]:
    """What `write_secrets` kept for this job, for the log redactor."""
    values = (read_json(run_dir / REDACT) or {}).get("values")
    return [v for v in values if isinstance(v, str)] if isinstance(values, list) else []


def read_state(run_dir: Path) -> RunState | None:
    """The typed state.json, or None when it is missing or not a JSON object."""
    data = read_json(run_dir / STATE)
    return RunState.from_json(data) if data is not None else None


def write_state(run_dir: Path, state: RunState) -> None:
    write_json_atomic(run_dir / STATE, state.to_json(), mode=0o644)


@contextlib.contextmanager
def _state_lock(run_dir: Path) -> Iterator[None]:
    fd = os.open(run_dir / STATE_LOCK, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def update_state(run_dir: Path, **fields: Any) -> RunState:
    """Set `fields` of state.json under a lock, so concurrent writers never lose an update."""
    with _state_lock(run_dir):
        state = read_state(run_dir) or RunState()
        for name, value in fields.items():
            if not hasattr(state, name) or name == "extra":
                raise AttributeError(f"RunState has no field {name!r}")
            setattr(state, name, value)
        write_state(run_dir, state)
    return state


def create_run_dir(root: Path, job_id: str) -> Path:
    """Make the folder; refuse an existing one so two submissions never share a folder."""
    runs = runs_dir(root)
    runs.mkdir(mode=0o700, parents=True, exist_ok=True)
    path = runs / job_id
    path.mkdir(mode=0o700)
    return path
