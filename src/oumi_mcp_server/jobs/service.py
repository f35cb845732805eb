"""Jobs service: plan, launch, follow and cancel jobs that outlive the server.

Public API (`JobService(root=None, store=None, cancel_grace_s=10.0)`; defaults are
`<state_dir>/jobs` and `<state_dir>/jobs.sqlite3`; `get_service()` returns one per process and
state directory):

- `plan(req: LaunchRequest, *, preflight: bool = True) -> BuiltPlan` validate, no side effects
- `offer(built: BuiltPlan) -> LaunchResult` the plan plus a `confirm_token` bound to it
- `launch(req, confirm_token: str | None) -> LaunchResult` offer, or verify the token and start
- `launch_confirmed(built, confirm_token) -> LaunchResult` verify (single use) and start
- `launch_approved(built: BuiltPlan) -> LaunchResult` start after the person accepted (elicitation)
- `submit_argv(argv, *, cwd, command="custom", name=None, env=None, output_dir="",
  config_bytes=None, model="", source_config="", token_digest=None) -> JobRecord` record, queue
  and supervise any argv (`{config}` becomes the run folder's config snapshot): the trusted path
  under `launch`, and the test-only hook for trivial commands. Never reachable from MCP tools.
- `record(job_id) -> JobRecord`, `status(job_id) -> JobStatusView`,
  `logs(job_id, tail=200, stream="both", grep=None, max_bytes=6000) -> JobLogs`,
  `list_jobs(status=None, limit=20, cursor=None) -> JobList`,
  `async wait(job_id, timeout_s, until, on_tick=None) -> JobStatusView` (capped at 300 s)
- `cancel_offer(job_id, force=False) -> CancelResult`, `describe_cancel(job_id, force) -> str`,
  `cancel(job_id, force=False, confirm_token=None, approved=False) -> CancelResult`
- `prune(older_than_days, dry_run=False) -> list[str]` finished records only

Other backends (clusters) add records with their own `backend`, `cluster`, `backend_job_id` via
`store.insert` and register a status resolver with `status.register_backend`; run folders
(`runfolder.create_run_dir`) and consent tokens (`core.consent`) are shared.
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

from oumi_mcp_server.core import consent
from oumi_mcp_server.core.blocking import run_blocking
from oumi_mcp_server.core.errors import ServiceError
from oumi_mcp_server.jobs import cancel as cancel_mod
from oumi_mcp_server.jobs import listing, logs, progress, queue, runfolder
from oumi_mcp_server.jobs import status as status_mod
from oumi_mcp_server.jobs.models import (
    FINAL_STATES,
    LOCAL_BACKEND,
    PENDING_STATES,
    TERMINAL_STATES,
    CancelResult,
    JobList,
    JobLogs,
    JobRecord,
    JobStatusView,
    LaunchResult,
)
from oumi_mcp_server.jobs.plan import BuiltPlan, LaunchRequest, binding, build_plan, validate_envs
from oumi_mcp_server.jobs.store import DB_ENV, DuplicateJobError, JobStore, TokenAlreadyUsedError

WAIT_CAP_S = 300.0
DEFAULT_MAX_BYTES = logs.DEFAULT_MAX_BYTES
BACKEND_CANCEL: dict[str, Callable[[JobRecord], CancelResult]] = {}
"""Cancel for other backends (after consent), registered by their packages."""
_JOB_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$")
Stream = logs.Stream
Until = Literal["done", "running"]


def _iso(ts: float | None) -> str | None:
    return datetime.fromtimestamp(ts, UTC).isoformat(timespec="seconds") if ts else None


def new_job_id(command: str) -> str:
    return f"{command}-{datetime.now(UTC).strftime('%Y%m%dT%H%M%S')}-{secrets.token_hex(3)}"


class JobService:
    def __init__(
        self,
        root: Path | None = None,
        store: JobStore | None = None,
        cancel_grace_s: float = cancel_mod.DEFAULT_GRACE_S,
    ) -> None:
        self.root = root or runfolder.jobs_root()
        self.store = store or JobStore()
        self.cancel_grace_s = cancel_grace_s

    # ---- launching ----------------------------------------------------------------------
    def plan(self, req: LaunchRequest, *, preflight: bool = True) -> BuiltPlan:
        return build_plan(req, preflight=preflight)

    def offer(self, built: BuiltPlan) -> LaunchResult:
        tok = consent.issue("launch", binding(built))
        return LaunchResult(
            launched=False,
            plan=built.plan,
            confirm_token=tok.token,
            expires_at=_iso(tok.expires_at),
            message="Nothing started. Show this plan to the user; if they agree, call run_oumi_job "
            "again with the same arguments and this confirm_token.",
        )

    def launch(self, req: LaunchRequest, confirm_token: str | None) -> LaunchResult:
        if not confirm_token:
            return self.offer(self.plan(req))
        return self.launch_confirmed(self.plan(req, preflight=False), confirm_token)

    def launch_confirmed(self, built: BuiltPlan, confirm_token: str | None) -> LaunchResult:
        """Start `built` if `confirm_token` was issued for exactly this plan and is unused."""
        digest = consent.verify(confirm_token, "launch", binding(built))
        return self._start(built, digest)

    def launch_approved(self, built: BuiltPlan) -> LaunchResult:
        return self._start(built, None)

    def _start(self, built: BuiltPlan, token_digest: str | None) -> LaunchResult:
        p = built.plan
        argv = list(p.argv)
        argv[argv.index(p.config)] = "{config}"
        rec = self.submit_argv(
            argv,
            cwd=p.cwd,
            command=p.command,
            name=p.job_name,
            env=built.env,
            output_dir=p.output_dir,
            config_bytes=built.config_bytes,
            model=built.model,
            source_config=p.config,
            token_digest=token_digest,
        )
        return LaunchResult(
            launched=True,
            job=self.status(rec.id),
            message=f"Started {rec.id}. Follow it with wait_for_job or get_job_status.",
        )

    def submit_argv(
        self,
        argv: list[str],
        *,
        cwd: str,
        command: str = "custom",
        name: str | None = None,
        env: dict[str, str] | None = None,
        output_dir: str = "",
        config_bytes: bytes | None = None,
        model: str = "",
        source_config: str = "",
        token_digest: str | None = None,
    ) -> JobRecord:
        """Record and queue `argv` (`{config}` is replaced by the run folder's config snapshot)."""
        extra_env = validate_envs(env)
        job_id = new_job_id(command)
        run_dir = runfolder.create_run_dir(self.root, job_id)
        config_path = ""
        if config_bytes is not None:
            snap = run_dir / runfolder.CONFIG
            snap.write_bytes(config_bytes)
            config_path = str(snap)
        argv = [config_path if a == "{config}" else a for a in argv]
        runfolder.write_json_atomic(
            run_dir / runfolder.SPEC,
            {
                "argv": argv,
                "cwd": cwd,
                "env": dict(os.environ) | extra_env,
                "store": str(self.store.path),
            },
        )
        now = time.time()
        runfolder.write_state(run_dir, {"phase": "queued", "queued_at": now})
        rec = JobRecord(
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
        try:
            self.store.insert(rec, consumed_token=token_digest)
        except TokenAlreadyUsedError:
            shutil.rmtree(run_dir, ignore_errors=True)
            raise ServiceError(
                "confirm_token_used",
                "This confirm_token already launched a job.",
                "Call run_oumi_job without confirm_token for a new plan.",
            ) from None
        except DuplicateJobError:
            shutil.rmtree(run_dir, ignore_errors=True)
            raise
        queue.enqueue(self.root, job_id)
        return rec

    # ---- following -----------------------------------------------------------------------
    def record(self, job_id: str) -> JobRecord:
        rec = self.store.get(job_id) if _JOB_ID.match(job_id or "") else None
        if rec is None:
            raise ServiceError(
                "unknown_job",
                f"No job with id {job_id[:80]!r}.",
                "list_jobs shows the known job ids.",
            )
        return rec

    def status(self, job_id: str) -> JobStatusView:
        return self.view(self.record(job_id))

    def resolve(self, rec: JobRecord, memo: dict[str, str] | None = None) -> status_mod.Resolved:
        """Resolve, remembering an outcome read from an exit record (now, or into `memo`)."""
        res = status_mod.resolve(rec)
        if (
            res.status in FINAL_STATES
            and rec.final_status is None
            and res.source.startswith("exit")
        ):
            if memo is None:
                self.store.set_final_statuses({rec.id: res.status})
            else:
                memo[rec.id] = res.status
        return res

    def view(
        self, rec: JobRecord, with_progress: bool = True, res: status_mod.Resolved | None = None
    ) -> JobStatusView:
        """One job's answer: live status and, unless skipped (cheap listings), its progress."""
        res = res or self.resolve(rec)
        prog = None
        if with_progress and rec.run_dir and res.status not in PENDING_STATES:
            run_dir = Path(rec.run_dir)
            prog = progress.parse(
                Path(rec.output_dir) if rec.output_dir else None,
                [run_dir / runfolder.STDERR, run_dir / runfolder.STDOUT],
                res.started_at,
                running=res.status == "running",
            )
        return JobStatusView(
            job_id=rec.id,
            name=rec.name,
            command=rec.command,
            status=res.status,
            backend=rec.backend,
            cluster=rec.cluster,
            exit_code=res.exit_code,
            signal=res.signal,
            reason=res.reason,
            error_lines=res.error_lines,
            submitted_at=_iso(rec.submitted_at) or "",
            started_at=_iso(res.started_at),
            ended_at=_iso(res.ended_at),
            progress=prog,
            run_dir=rec.run_dir,
            output_dir=rec.output_dir,
            model=rec.model,
            observed_at=_iso(res.observed_at) or "",
            status_source=res.source,
        )

    def logs(
        self,
        job_id: str,
        tail: int = 200,
        stream: Stream = "both",
        grep: str | None = None,
        max_bytes: int = DEFAULT_MAX_BYTES,
    ) -> JobLogs:
        pattern = logs.check_args(tail, stream, grep, max_bytes)
        rec = self.record(job_id)
        # Resolve first: for a cluster job that refreshes the local copy of its logs.
        status = status_mod.resolve(rec).status
        streams = logs.read_streams(Path(rec.run_dir), tail, stream, pattern, max_bytes)
        return JobLogs(
            job_id=rec.id,
            status=status,
            streams=streams,
            truncated=any(s.truncated for s in streams),
            grep=grep,
        )

    def list_jobs(
        self, status: str | None = None, limit: int = 20, cursor: str | None = None
    ) -> JobList:
        return listing.list_jobs(self, status, limit, cursor)

    async def wait(
        self,
        job_id: str,
        timeout_s: float,
        until: Until,
        on_tick: Callable[[JobStatusView], Awaitable[None]] | None = None,
        poll_s: float = 1.0,
    ) -> JobStatusView:
        """Block at most `timeout_s` (capped at 300 s) until the job is done (or running)."""
        if until not in ("done", "running"):
            raise ServiceError("bad_until", f"Unknown until {until!r}.", "Use done or running.")
        if not timeout_s >= 0:  # also refuses NaN
            raise ServiceError("bad_timeout", "timeout_s must be 0 or more.", "Use 60-300.")
        timeout_s = min(timeout_s, WAIT_CAP_S)
        await run_blocking(self.record, job_id)
        end = time.monotonic() + timeout_s
        while True:
            view = await run_blocking(self.status, job_id)
            if on_tick is not None:
                await on_tick(view)
            done = view.status in TERMINAL_STATES or view.status == "unknown"
            started = until == "running" and view.status not in PENDING_STATES
            if done or started or time.monotonic() >= end:
                return view
            await _sleep(min(poll_s, max(0.0, end - time.monotonic())))

    # ---- cancelling ----------------------------------------------------------------------
    def _cancel_binding(self, rec: JobRecord, force: bool) -> dict[str, object]:
        return {"action": "cancel", "job_id": rec.id, "backend": rec.backend, "force": bool(force)}

    def cancel_offer(self, job_id: str, force: bool = False) -> CancelResult:
        rec = self.record(job_id)
        view = self.view(rec, with_progress=False)
        if view.status in TERMINAL_STATES:
            return _already_ended(view)
        tok = consent.issue("cancel", self._cancel_binding(rec, force))
        how = "SIGKILL now" if force else "SIGTERM, then SIGKILL after 10 s"
        return CancelResult(
            job_id=rec.id,
            cancelled=False,
            status=view.status,
            confirm_token=tok.token,
            expires_at=_iso(tok.expires_at),
            message=f"Nothing stopped yet. Cancelling {rec.id} ({view.status}) stops its whole "
            f"process group ({how}). Ask the user, then call cancel_job with this confirm_token.",
        )

    def describe_cancel(self, job_id: str, force: bool = False) -> str:
        rec = self.record(job_id)
        return (
            f"Cancel job {rec.id} ({rec.command}, {rec.name})? Its processes will be "
            f"{'killed at once' if force else 'stopped (SIGTERM, then SIGKILL after 10 s)'}."
        )

    def cancel(
        self,
        job_id: str,
        force: bool = False,
        confirm_token: str | None = None,
        approved: bool = False,
    ) -> CancelResult:
        rec = self.record(job_id)
        view = self.view(rec, with_progress=False)
        if view.status in TERMINAL_STATES:
            return _already_ended(view)
        if not approved:
            if not confirm_token:
                return self.cancel_offer(job_id, force)
            consent.verify(confirm_token, "cancel", self._cancel_binding(rec, force))
        if rec.backend != LOCAL_BACKEND:
            if rec.backend in BACKEND_CANCEL:  # e.g. clusters registers the launcher's
                return BACKEND_CANCEL[rec.backend](rec)
            raise ServiceError(
                "cancel_unsupported",
                f"Cancel for backend {rec.backend!r} is not available here.",
                "Cancel it with the tool that launched it.",
            )
        outcome = cancel_mod.cancel_local(
            Path(rec.run_dir), rec.id, 0.0 if force else self.cancel_grace_s
        )
        after = self.view(rec, with_progress=False)
        msg = (
            "Cancelled while queued; it never started."
            if outcome.was_queued
            else (
                "Cancelled; no process of the job is left."
                if not outcome.remaining_pids
                else f"Signalled, but processes {outcome.remaining_pids} are still alive."
            )
        )
        return CancelResult(
            job_id=rec.id,
            cancelled=after.status == "cancelled",
            status=after.status,
            message=msg,
            remaining_pids=outcome.remaining_pids,
        )

    # ---- housekeeping --------------------------------------------------------------------
    def prune(self, older_than_days: float, dry_run: bool = False) -> list[str]:
        """Delete records (and run folders) of finished jobs submitted before the cutoff."""
        cutoff = time.time() - older_than_days * 86400
        doomed: list[JobRecord] = []
        for rec in self.store.finished_before(cutoff):
            res = status_mod.resolve(rec)
            ours = rec.backend == LOCAL_BACKEND and rec.origin == "mcp"
            if res.status in FINAL_STATES or (res.status == "lost" and ours):
                doomed.append(rec)
        if not dry_run:
            self.store.delete([r.id for r in doomed])
            for rec in doomed:
                run_dir = Path(rec.run_dir)
                if rec.backend == LOCAL_BACKEND and run_dir.parent == runfolder.runs_dir(self.root):
                    shutil.rmtree(run_dir, ignore_errors=True)
        return [r.id for r in doomed]


def _already_ended(view: JobStatusView) -> CancelResult:
    return CancelResult(
        job_id=view.job_id,
        cancelled=False,
        status=view.status,
        message=f"Job already ended ({view.status}); nothing changed.",
    )


async def _sleep(seconds: float) -> None:
    import anyio

    await anyio.sleep(seconds)


_service: JobService | None = None
_service_key: tuple[str, str] = ("", "")


def get_service() -> JobService:
    """One service per process and state directory (tests switch state dirs)."""
    global _service, _service_key
    from oumi_mcp_server.core.paths import state_dir

    key = (str(state_dir()), os.environ.get(DB_ENV, ""))
    if _service is None or key != _service_key:
        _service, _service_key = JobService(), key
    return _service
