"""Jobs on this machine: a detached supervisor per job, a file-locked queue for slots."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

from oumi_mcp_server.jobs import cancel as cancel_mod
from oumi_mcp_server.jobs import local_status, procinfo, progress_base, queue, runfolder
from oumi_mcp_server.jobs.backend import Stopped
from oumi_mcp_server.jobs.plan import BuiltPlan, LaunchRequest, binding, build_plan, render
from oumi_mcp_server.jobs.record import LOCAL_BACKEND, JobRecord
from oumi_mcp_server.jobs.states import LocalPhase, Resolved, RunState
from oumi_mcp_server.jobs.store import JobStore


class LocalBackend:
    name = LOCAL_BACKEND

    def __init__(self, root: Path, store: JobStore, cancel_grace_s: float) -> None:
        self.root = root
        self.store = store
        self.cancel_grace_s = cancel_grace_s

    def plan(self, req: LaunchRequest, *, preflight: bool) -> BuiltPlan:
        return build_plan(req, preflight=preflight)

    def binding(self, built: BuiltPlan) -> dict[str, Any]:
        return binding(built)

    def render(self, built: BuiltPlan) -> str:
        return render(built.plan)

    def prepare(self, built: BuiltPlan, job_id: str, run_dir: Path) -> JobRecord:
        p = built.plan
        argv = ["{config}" if a == p.config else a for a in p.argv]
        return self.prepare_argv(
            job_id,
            run_dir,
            argv,
            cwd=p.cwd,
            command=p.command,
            name=p.job_name,
            env=built.env,
            output_dir=p.output_dir,
            config_bytes=built.config_bytes,
            model=built.model,
            source_config=p.config,
        )

    def prepare_argv(
        self,
        job_id: str,
        run_dir: Path,
        argv: list[str],
        *,
        cwd: str,
        command: str,
        name: str | None,
        env: dict[str, str],
        output_dir: str,
        config_bytes: bytes | None,
        model: str,
        source_config: str,
    ) -> JobRecord:
        """The run folder of `argv` (`{config}` becomes the folder's config snapshot)."""
        config_path = ""
        if config_bytes is not None:
            snap = run_dir / runfolder.CONFIG
            snap.write_bytes(config_bytes)
            config_path = str(snap)
        argv = [config_path if a == "{config}" else a for a in argv]
        spec = {
            "argv": argv,
            "cwd": cwd,
            "env": dict(os.environ) | env,
            "store": str(self.store.path),
        }
        runfolder.write_json_atomic(run_dir / runfolder.SPEC, spec)
        progress_base.record(run_dir, output_dir)
        now = time.time()
        runfolder.update_state(run_dir, phase=LocalPhase.QUEUED, queued_at=now)
        return JobRecord(
            id=job_id,
            name=name or command,
            command=command,
            backend=LOCAL_BACKEND,
            backend_job_id=job_id,
            submitted_at=now,
            run_dir=str(run_dir),
            output_dir=output_dir,
            model=model,
            config_path=config_path,
            source_config=source_config,
            cwd=cwd,
            argv=argv,
        )

    def start(self, rec: JobRecord) -> str:
        queue.enqueue(self.root, rec.id)
        queue.kick(self.root)
        return f"Started {rec.id}. Follow it with wait_for_job or get_job_status."

    def resolve(self, rec: JobRecord) -> Resolved:
        return local_status.resolve(rec)

    def reconcile(self, recs: list[JobRecord]) -> dict[str, str]:
        """Put back in line queued jobs whose entry was lost (never started: safe), start what
        can start, and hand back the outcomes of jobs whose exit is recorded."""
        outcomes: dict[str, str] = {}
        for rec in recs:
            state = runfolder.read_state(Path(rec.run_dir)) if rec.run_dir else None
            if state is None:
                continue
            queued = state.phase is LocalPhase.QUEUED
            if queued and not (
                queue.is_pending(self.root, rec.id) or queue.is_claimed(self.root, rec.id)
            ):
                queue.enqueue(self.root, rec.id)
            if state.phase in (LocalPhase.STARTING, LocalPhase.RUNNING):
                state = self._recover(rec, state)
            if state.phase is LocalPhase.EXITED:
                res = self.resolve(rec)
                if res.status.is_final():
                    outcomes[rec.id] = res.status.value
        queue.kick(self.root)
        return outcomes

    def _recover(self, rec: JobRecord, state: RunState) -> RunState:
        """Record the outcome of a job whose supervisor was killed, once the job itself ended
        (from the exit record it left); the run folder keeps saying so."""
        run_dir = Path(rec.run_dir)
        alive = procinfo.is_alive(state.supervisor_pid, state.supervisor_start_time)
        if alive or procinfo.job_alive(rec.id, state):
            return state
        recovered = local_status.recovered_exit(run_dir, state)
        if recovered is None:
            if local_status.never_started(run_dir, state):
                state = runfolder.update_state(
                    run_dir,
                    phase=LocalPhase.QUEUED,
                    supervisor_pid=None,
                    supervisor_start_time=None,
                )
                with queue.locked(self.root):
                    queue.release_slot(self.root, rec.id)
                queue.enqueue(self.root, rec.id)
            return state
        return runfolder.update_state(
            run_dir,
            phase=recovered.phase,
            ended_at=recovered.ended_at,
            exit_code=recovered.exit_code,
            signal=recovered.signal,
            error=recovered.error,
            cancelled=recovered.cancelled,
            recovered=recovered.recovered,
        )

    def describe_cancel(self, rec: JobRecord, force: bool) -> str:
        how = (
            "killed at once (SIGKILL)"
            if force
            else f"stopped (SIGTERM, then SIGKILL after {self.cancel_grace_s:g} s)"
        )
        return (
            f"Cancel local job {rec.id} ({rec.command}, {rec.name})? Its processes will be {how}."
        )

    def cancel(self, rec: JobRecord, force: bool) -> Stopped:
        grace = 0.0 if force else self.cancel_grace_s
        outcome = cancel_mod.cancel_local(Path(rec.run_dir), rec.id, grace)
        if outcome.was_queued:
            return Stopped("Cancelled while queued; it never started.")
        if outcome.remaining_pids:
            return Stopped(
                f"Signalled, but processes {outcome.remaining_pids} are still alive.",
                outcome.remaining_pids,
            )
        return Stopped("Cancelled; no process of the job is left.")
