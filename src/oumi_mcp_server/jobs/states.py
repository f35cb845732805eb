"""Typed job states: what a job is (`JobState`), the phases its run folder records for each
backend (`LocalPhase`, `LaunchPhase`), and `RunState`, the typed `state.json`.

`state.json` is read and written only through `runfolder.read_state` / `runfolder.update_state`.
Reading is tolerant: a field of the wrong type reads as unset, unknown fields are kept and written
back, and files written before the format was versioned (one `phase` key holding either
vocabulary) are understood. Standard library only: the supervisor imports this module.
"""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class JobState(StrEnum):
    QUEUED = "queued"
    LAUNCHING = "launching"
    RUNNING = "running"
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELLED = "cancelled"
    LOST = "lost"
    UNKNOWN = "unknown"

    def is_terminal(self) -> bool:
        """It will not run again: an outcome, or lost."""
        return self in _TERMINAL

    def is_final(self) -> bool:
        """An outcome read from an exit record: it never changes, so the store may keep it."""
        return self in _FINAL

    def is_pending(self) -> bool:
        """Not started yet: waiting for a local slot, or a cluster being provisioned."""
        return self in (JobState.QUEUED, JobState.LAUNCHING)


_FINAL = frozenset({JobState.COMPLETED, JobState.FAILED, JobState.CANCELLED})
_TERMINAL = _FINAL | {JobState.LOST}


class LocalPhase(StrEnum):
    """A local job's run folder: queued -> starting (supervisor owns it) -> running -> exited."""

    QUEUED = "queued"
    STARTING = "starting"
    RUNNING = "running"
    EXITED = "exited"

    def is_terminal(self) -> bool:
        return self is LocalPhase.EXITED

    def has_started(self) -> bool:
        """A supervisor took it: it must never be started again."""
        return self is not LocalPhase.QUEUED


class LaunchPhase(StrEnum):
    """A cluster job's run folder: launching (the helper runs) -> launched | failed | cancelled."""

    LAUNCHING = "launching"
    LAUNCHED = "launched"
    FAILED = "failed"
    CANCELLED = "cancelled"

    def is_terminal(self) -> bool:
        return self in (LaunchPhase.FAILED, LaunchPhase.CANCELLED)


STATE_VERSION = 2


def _num(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if value == value and abs(value) != float("inf") else None


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _bool(value: Any) -> bool:
    return value is True


_KINDS = {"f": _num, "i": _int, "s": _str, "b": _bool}


@dataclass
class RunState:
    """Everything a run folder's `state.json` records, typed; `extra` keeps unknown fields."""

    phase: LocalPhase | None = None
    launch: LaunchPhase | None = None
    queued_at: float | None = None
    dispatched_at: float | None = None
    started_at: float | None = None
    ended_at: float | None = None
    supervisor_pid: int | None = None
    supervisor_start_time: float | None = None
    pid: int | None = None
    pid_start_time: float | None = None
    pgid: int | None = None
    exit_code: int | None = None
    signal: str | None = None
    cancelled: bool = False
    recovered: str | None = None
    error: str | None = None
    helper_pid: int | None = None
    helper_start_time: float | None = None
    cluster: str | None = None
    launcher_job_id: str | None = None
    launched_at: float | None = None
    cancel_applied: bool = False
    cancel_error: str | None = None
    note: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> RunState:
        out = cls()
        known = {f.name for f in dataclasses.fields(cls)} - {"extra", "phase", "launch"}
        for name in known:
            if name in data:
                setattr(out, name, _KINDS[_FIELD_KINDS[name]](data[name]))
        phase, launch = data.get("phase"), data.get("launch")
        if "version" not in data and phase in _LAUNCH_VALUES:  # one key, two vocabularies
            phase, launch = None, phase
        out.phase = LocalPhase(phase) if phase in _LOCAL_VALUES else None
        out.launch = LaunchPhase(launch) if launch in _LAUNCH_VALUES else None
        out.extra = {k: v for k, v in data.items() if k not in known | {"phase", "launch"}}
        out.extra.pop("version", None)
        return out

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = dict(self.extra)
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if f.name != "extra" and value is not None and value is not False:
                data[f.name] = str(value) if isinstance(value, StrEnum) else value
        data["version"] = STATE_VERSION
        return data


_LOCAL_VALUES = frozenset(p.value for p in LocalPhase)
_LAUNCH_VALUES = frozenset(p.value for p in LaunchPhase)
_FIELD_KINDS: dict[str, str] = {
    **dict.fromkeys(
        ("queued_at", "dispatched_at", "started_at", "ended_at", "supervisor_start_time"), "f"
    ),
    **dict.fromkeys(("pid_start_time", "helper_start_time", "launched_at"), "f"),
    **dict.fromkeys(("supervisor_pid", "pid", "pgid", "exit_code", "helper_pid"), "i"),
    **dict.fromkeys(
        ("signal", "recovered", "error", "cluster", "launcher_job_id", "cancel_error", "note"), "s"
    ),
    **dict.fromkeys(("cancelled", "cancel_applied"), "b"),
}


@dataclass
class Resolved:
    """A job's status as resolved now, and the evidence it was read from."""

    status: JobState
    source: str
    exit_code: int | None = None
    signal: str | None = None
    reason: str | None = None
    started_at: float | None = None
    ended_at: float | None = None
    error_lines: list[str] = field(default_factory=list)
    observed_at: float = field(default_factory=time.time)
