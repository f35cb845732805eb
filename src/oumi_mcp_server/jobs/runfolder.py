"""A job's run folder: spec, config snapshot, logs and the supervisor's `state.json`.

Layout under a jobs root (`<state_dir>/jobs` by default)::

    runs/<job_id>/spec.json     what to run (argv, cwd, env; env scrubbed once started), 0600
    runs/<job_id>/config.yaml   the config as it was at submit time
    runs/<job_id>/state.json    written atomically by the dispatcher and the supervisor
    runs/<job_id>/stdout.log, stderr.log, supervisor.log
    runs/<job_id>/cancel        present once a cancel was requested
    queue/                      see `queue.py`

Only the standard library (and `core.atomic`) is imported here: the supervisor imports this module.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from oumi_mcp_server.core.atomic import write_text_atomic

SPEC = "spec.json"
STATE = "state.json"
CONFIG = "config.yaml"
STDOUT = "stdout.log"
STDERR = "stderr.log"
SUPERVISOR_LOG = "supervisor.log"
CANCEL_MARK = "cancel"


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


def read_state(run_dir: Path) -> dict[str, Any] | None:
    return read_json(run_dir / STATE)


def write_state(run_dir: Path, state: dict[str, Any]) -> None:
    write_json_atomic(run_dir / STATE, state, mode=0o644)


def update_state(run_dir: Path, **fields: Any) -> dict[str, Any]:
    """Merge `fields` into state.json (callers are the only writer at that moment)."""
    state = read_state(run_dir) or {}
    state.update(fields)
    write_state(run_dir, state)
    return state


def create_run_dir(root: Path, job_id: str) -> Path:
    """Make the folder; refuse an existing one so two submissions never share a folder."""
    runs = runs_dir(root)
    runs.mkdir(mode=0o700, parents=True, exist_ok=True)
    path = runs / job_id
    path.mkdir(mode=0o700)
    return path
