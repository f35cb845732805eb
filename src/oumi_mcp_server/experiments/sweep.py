"""Sweeps as one unit on the jobs service: one plan and one consent token for every point, one
launch, a ranked view, one cancel.

`SweepService(jobs)`: `run(req, confirm_token)` (no token: the plan and a token; with it: verify,
spend once, persist, submit every point), `get(sweep_id) -> SweepView`, `cancel(sweep_id, ...)`.
Sweep ids start with `sweep-`; point i's job is named `<job_name->sweep_id-p<i>`.
"""

from __future__ import annotations

import functools
import json
import os
import time
from pathlib import Path
from typing import Any

from oumi_mcp_server.core import consent
from oumi_mcp_server.core.errors import ServiceError
from oumi_mcp_server.experiments.sweep_models import SweepLaunchResult, SweepPointJob, SweepView
from oumi_mcp_server.experiments.sweep_plan import (
    PLAN_ID,
    BuiltSweep,
    PointPlan,
    SweepRequest,
    binding,
    build_sweep,
    shown,
)
from oumi_mcp_server.experiments.sweep_store import (
    EVAL_SNAPSHOT,
    SWEEP_ID,
    PointRecord,
    PointState,
    SweepRecord,
    SweepStore,
    new_sweep_id,
)
from oumi_mcp_server.experiments.sweep_view import LIVE, sweep_view
from oumi_mcp_server.jobs import procinfo
from oumi_mcp_server.jobs.models import CancelResult
from oumi_mcp_server.jobs.service import JobService, iso
from oumi_mcp_server.jobs.states import JobState

PURPOSE = "sweep"
SWEEPS_DIR = "sweeps"
RECOVER_SCAN = 500
"""Newest job records searched for a point submitted just before a crash (found by its name)."""


def is_sweep_id(value: str) -> bool:
    return bool(SWEEP_ID.fullmatch(value or ""))


class SweepService:
    def __init__(self, jobs: JobService, root: Path | None = None) -> None:
        self.jobs = jobs
        self.store = SweepStore(root or jobs.root / SWEEPS_DIR)

    def _build(self, req: SweepRequest, sweep_id: str, *, preflight: bool) -> BuiltSweep:
        folder = self.store.root / sweep_id
        return build_sweep(self.jobs, req, sweep_id, folder, preflight=preflight)

    # ---- launching ----------------------------------------------------------------------
    def plan(self, req: SweepRequest, *, preflight: bool = True) -> BuiltSweep:
        """Every point planned, nothing written; bad input (a plan too big to show, too)
        raises ServiceError."""
        built = self._build(req, PLAN_ID, preflight=preflight)
        shown(built)
        return built

    def run(self, req: SweepRequest, confirm_token: str | None) -> SweepLaunchResult:
        """No token: the plan and a token bound to every point. With it: launch the sweep."""
        if not confirm_token:
            return self.offer(self.plan(req))
        return self.confirm(self.plan(req, preflight=False), confirm_token)

    def confirm(self, planned: BuiltSweep, confirm_token: str | None) -> SweepLaunchResult:
        """Launch `planned` if the token was issued for exactly this sweep and is unused."""
        digest = consent.verify(confirm_token, PURPOSE, binding(self.jobs, planned))
        return self.launch(planned, digest)

    def offer(self, planned: BuiltSweep) -> SweepLaunchResult:
        tok = consent.issue(PURPOSE, binding(self.jobs, planned))
        return SweepLaunchResult(
            launched=False,
            plan=shown(planned),
            confirm_token=tok.token,
            expires_at=iso(tok.expires_at),
            message=f"Nothing started. Show this plan ({len(planned.points)} jobs) to the "
            "user; if they agree, call run_sweep again with the same arguments and this "
            "confirm_token.",
        )

    def launch(self, planned: BuiltSweep, digest: str | None) -> SweepLaunchResult:
        """Spend the token once, persist the sweep (every point not_started), then submit each
        point, noting its job id as soon as it has one."""
        req = planned.req
        sweep_id = new_sweep_id()
        real = self._build(req, sweep_id, preflight=False)
        _same_inputs(self.jobs, planned, real)
        if digest is not None:
            self.jobs.spend_token(digest)  # a replay stops here: nothing started
        rec = SweepRecord(
            id=sweep_id,
            created_at=time.time(),
            command=real.command,
            config=real.points[0].built.plan.config,
            metric=req.metric,
            mode=real.mode,
            backend=real.points[0].built.plan.backend,
            evaluate=str(real.eval_path) if real.eval_path else None,
            fixed_overrides=dict(req.overrides or {}),
            launcher_pid=os.getpid(),
            launcher_started=procinfo.start_time(os.getpid()),
            points=[
                PointRecord(
                    index=p.index,
                    overrides=p.overrides,
                    job_name=p.built.plan.job_name or "",
                    output_dir=p.built.plan.output_dir,
                )
                for p in real.points
            ],
        )
        folder = self.store.create(rec)
        if real.eval_bytes is not None:
            (folder / EVAL_SNAPSHOT).write_bytes(real.eval_bytes)
        try:
            for point in real.points:
                self.store.update(sweep_id, functools.partial(self._submit_point, point=point))
        except Exception as exc:
            # The server lives on: "being submitted" would be a lie for the points left.
            self.store.update(sweep_id, functools.partial(_launch_stopped, why=repr(exc)[:200]))
            raise
        done = self.store.update(sweep_id, lambda r: setattr(r, "launch_done", True))
        jobs = [SweepPointJob(index=p.index, job_id=p.job_id, status=p.state) for p in done.points]
        submitted = sum(p.state == PointState.SUBMITTED for p in done.points)
        return SweepLaunchResult(
            launched=True,
            sweep_id=sweep_id,
            jobs=jobs,
            message=f"Sweep {sweep_id}: {submitted} of {len(jobs)} jobs submitted"
            f"{'' if submitted == len(jobs) else ' (see get_sweep for the others)'}. Follow it "
            "with get_sweep; cancel_job with the sweep id stops what is left.",
        )

    def _submit_point(self, rec: SweepRecord, point: PointPlan) -> None:
        """Submit one point under the sweep's lock: a cancel in between sees its job id."""
        slot = rec.points[point.index]
        if rec.cancelled:
            slot.state = PointState.CANCELLED
            return
        plan = point.built.plan
        try:
            if point.runner_argv is None:
                launched = self.jobs.launch_approved(point.built)
                slot.job_id = launched.job.job_id if launched.job else None
            else:
                slot.job_id = self.jobs.submit_argv(
                    point.runner_argv,
                    cwd=plan.cwd,
                    command=plan.command,
                    name=plan.job_name,
                    env=point.built.env,
                    output_dir=plan.output_dir,
                    config_bytes=point.built.config_bytes,
                    model=point.built.model,
                    source_config=plan.config,
                ).id
            slot.state = PointState.SUBMITTED
        except ServiceError as exc:
            slot.state, slot.error = PointState.SUBMIT_FAILED, f"{exc.code}: {exc.message}"[:300]

    # ---- following ----------------------------------------------------------------------
    def record(self, sweep_id: str) -> SweepRecord:
        rec = self.store.get(sweep_id)
        if not rec.launch_done:
            self._recover(rec)
        return rec

    def _recover(self, rec: SweepRecord) -> None:
        """Points whose job was stored but not yet noted here (a crash in between): found by
        their job name, in memory only (observing writes nothing)."""
        missing = {p.job_name: p for p in rec.points if p.job_id is None and p.job_name}
        if not missing:
            return
        for job in self.jobs.store.page(before=None, limit=RECOVER_SCAN):
            if job.submitted_at < rec.created_at - 1:
                break
            point = missing.get(job.name)
            if point is not None:
                point.job_id, point.state = job.id, PointState.SUBMITTED

    def get(self, sweep_id: str) -> SweepView:
        return sweep_view(self.jobs, self.record(sweep_id))

    # ---- cancelling ---------------------------------------------------------------------
    def describe_cancel(self, sweep_id: str) -> str | None:
        """What cancelling would stop, for the person who approves it; None: nothing left."""
        return _describe(self.get(sweep_id))

    def declined(self, sweep_id: str) -> CancelResult:
        view = self.get(sweep_id)
        message = "The user did not approve; nothing changed."
        return CancelResult(job_id=sweep_id, cancelled=False, status=view.status, message=message)

    def _cancel_binding(self, sweep_id: str, force: bool) -> dict[str, object]:
        return {"action": "cancel_sweep", "sweep_id": sweep_id, "force": bool(force)}

    def cancel(
        self,
        sweep_id: str,
        force: bool = False,
        confirm_token: str | None = None,
        approved: bool = False,
    ) -> CancelResult:
        """First call: what would stop, and a token; with it: stop every point still queued or
        running (queued first: a running job's end would start the next), mark the rest
        cancelled."""
        view = self.get(sweep_id)
        text = _describe(view)
        if text is None:
            return CancelResult(
                job_id=sweep_id,
                cancelled=False,
                status=view.status,
                message=f"Sweep already ended ({view.status}); nothing changed.",
            )
        if not approved:
            if not confirm_token:
                tok = consent.issue("cancel", self._cancel_binding(sweep_id, force))
                return CancelResult(
                    job_id=sweep_id,
                    cancelled=False,
                    status=view.status,
                    confirm_token=tok.token,
                    expires_at=iso(tok.expires_at),
                    message=f"Nothing stopped yet. {text} Ask the user, then call cancel_job "
                    "with this confirm_token.",
                )
            self.jobs.spend_token(
                consent.verify(confirm_token, "cancel", self._cancel_binding(sweep_id, force))
            )
        rec = self.store.update(sweep_id, _mark_cancelled)
        self._recover(rec)
        remaining: list[int] = []
        targets = [p.job_id for p in rec.points if p.job_id]
        statuses = {j: self.jobs.status(j).status for j in targets}
        order = sorted(targets, key=lambda j: statuses[j] != JobState.QUEUED)
        for job_id in order:
            if JobState(statuses[job_id]).is_terminal():
                continue
            remaining += self.jobs.cancel(job_id, force, approved=True).remaining_pids
        after = self.get(sweep_id)
        return CancelResult(
            job_id=sweep_id,
            cancelled=after.status == "cancelled",
            status=after.status,
            message=f"Sweep {sweep_id} cancelled: "
            + ", ".join(f"{n} {s}" for s, n in sorted(after.counts.items()))
            + (f"; processes {remaining} still alive." if remaining else "; no process left."),
            remaining_pids=remaining,
        )


def _describe(view: SweepView) -> str | None:
    live = [p for p in view.points if p.status in LIVE and p.job_id]
    waiting = [p for p in view.points if p.status == PointState.NOT_STARTED]
    if not live and not waiting:
        return None
    ids = ", ".join(str(p.job_id) for p in live)
    return (
        f"Cancel sweep {view.sweep_id}? Stops {len(live)} point job(s) still queued or running "
        f"({ids or 'none'}); {len(waiting)} point(s) not submitted will never start. Completed "
        "points keep their results."
    )


def _launch_stopped(rec: SweepRecord, why: str) -> None:
    rec.launch_done = True
    for p in rec.points:
        if p.job_id is None and p.state == PointState.NOT_STARTED:
            p.state, p.error = PointState.SUBMIT_FAILED, f"launch stopped: {why}"


def _mark_cancelled(rec: SweepRecord) -> None:
    rec.cancelled = True
    for p in rec.points:
        if p.job_id is None and p.state == PointState.NOT_STARTED:
            p.state = PointState.CANCELLED


def _comparable(jobs: JobService, sweep: BuiltSweep) -> dict[str, Any]:
    """The binding with a cluster point's job-config hash replaced by the job config itself: the
    config names the sweep id, so its hash cannot be mapped back to the stand-in; its text can."""
    signed = binding(jobs, sweep)
    for point, built in zip(signed["points"], sweep.points, strict=True):
        cluster = point.get("cluster")
        if isinstance(cluster, dict) and "job_config_sha256" in cluster:
            job_config = getattr(built.built, "cluster", {}).get("job_config")
            cluster["job_config_sha256"] = job_config
    return signed


def _same_inputs(jobs: JobService, planned: BuiltSweep, real: BuiltSweep) -> None:
    """The sweep launched is the one verified: built again for the real id (configs read again),
    every point's binding (argv, env, configs' sha256, cwd, ...) must be what the token signed
    once the real id is put back to the stand-in."""
    signed = json.dumps(_comparable(jobs, planned), sort_keys=True, default=str)
    launched = json.dumps(_comparable(jobs, real), sort_keys=True, default=str)
    if launched.replace(real.sweep_id, PLAN_ID) != signed:
        raise ServiceError(
            "config_changed",
            "A config or the environment changed while the sweep was being launched.",
            "Call run_sweep again without confirm_token for a new plan.",
        )
