"""The one interface every place a job can run implements; `JobService` owns everything else.

The service owns the launch flow once (plan -> offer -> launch: id, run folder, record with the
spent token, cleanup on failure, structured errors), following and cancelling; a backend only
says how its jobs are planned, started, observed and stopped. `resolve` observes and nothing
else: it starts no process, writes no file, copies nothing. Whatever must change (start waiting
jobs, record outcomes, refresh log snapshots, fetch outputs) happens in `reconcile`, run by the
owner of the change (the server's reconcile loop, `oumi-mcp-server jobs reconcile`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from oumi_mcp_server.jobs.plan import BuiltPlan, LaunchRequest
from oumi_mcp_server.jobs.record import JobRecord
from oumi_mcp_server.jobs.states import Resolved


@dataclass
class Stopped:
    """What a backend's cancel did; the service adds the job's status as resolved afterwards."""

    message: str
    remaining_pids: list[int] = field(default_factory=list)


class Backend(Protocol):
    name: str

    def plan(self, req: LaunchRequest, *, preflight: bool) -> BuiltPlan:
        """Validate and describe; no side effects. Bad input raises ServiceError."""
        ...

    def binding(self, built: BuiltPlan) -> dict[str, Any]:
        """What a consent token signs: everything that decides what runs."""
        ...

    def render(self, built: BuiltPlan) -> str:
        """The plan as a person reads it (the elicitation message)."""
        ...

    def prepare(self, built: BuiltPlan, job_id: str, run_dir: Path) -> JobRecord:
        """Write what the job needs into its (new, empty) run folder; start nothing."""
        ...

    def start(self, rec: JobRecord) -> str:
        """Start the stored job; returns the message the launch answer carries."""
        ...

    def resolve(self, rec: JobRecord) -> Resolved:
        """The job's status now, from evidence only. Never acts."""
        ...

    def reconcile(self, recs: list[JobRecord]) -> dict[str, str]:
        """Act on what changed (see the module docstring); returns final outcomes to remember."""
        ...

    def describe_cancel(self, rec: JobRecord, force: bool) -> str:
        """What cancelling will do, for the person who approves it."""
        ...

    def cancel(self, rec: JobRecord, force: bool) -> Stopped:
        """Stop the job (consent was given)."""
        ...
