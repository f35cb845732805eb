"""Jobs service: plan, launch, follow and cancel jobs that outlive the server, on any backend.

`JobService(backends, root=None, store=None)` (defaults `<state_dir>/jobs`,
`<state_dir>/jobs.sqlite3`; with no backends given, only this machine's). `wiring.job_service()`
builds the one the server, the dashboard and the CLI share, with every backend.

- launching: `plan(req)`, `offer(built)` (the plan plus a confirm_token bound to it),
  `launch(req, token)`, `launch_confirmed(built, token)`, `launch_approved(built)`, `render(built)`
- following: `record`, `status`, `view`, `logs`, `list_jobs` (and `waiting.wait`)
- cancelling: `cancel_offer`, `describe_cancel`, `cancel`
- house-keeping: `reconcile()` (the only step that acts on what it observes), `prune`
- `submit_argv(argv, ...)`: record and queue any argv locally (the tests' hook; no MCP tool).
"""

from __future__ import annotations

import logging
import re
import secrets
import shutil
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from pathlib import Path

from oumi_mcp_server.core import consent
from oumi_mcp_server.core.errors import ServiceError
from oumi_mcp_server.core.redact import secret_values
from oumi_mcp_server.jobs import cancel_request, listing, logs, progress, repair, runfolder
from oumi_mcp_server.jobs.backend import Backend
from oumi_mcp_server.jobs.local_backend import LocalBackend
from oumi_mcp_server.jobs.models import (
    CancelResult,
    JobList,
    JobLogs,
    JobStatusView,
    LaunchResult,
)
from oumi_mcp_server.jobs.plan import BuiltPlan, LaunchRequest, validate_envs
from oumi_mcp_server.jobs.record import LOCAL_BACKEND, JobRecord
from oumi_mcp_server.jobs.states import JobState, Resolved
from oumi_mcp_server.jobs.store import DuplicateJobError, JobStore, TokenAlreadyUsedError

logger = logging.getLogger(__name__)
DEFAULT_MAX_BYTES = logs.DEFAULT_MAX_BYTES
JOB_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}\Z")
Stream = logs.Stream


def iso(ts: float | None) -> str | None:
    return datetime.fromtimestamp(ts, UTC).isoformat(timespec="seconds") if ts else None


def new_job_id(command: str) -> str:
    return f"{command}-{datetime.now(UTC).strftime('%Y%m%dT%H%M%S')}-{secrets.token_hex(3)}"


class JobService:
    def __init__(
        self,
        backends: Mapping[str, Backend] | None = None,
        root: Path | None = None,
        store: JobStore | None = None,
        cancel_grace_s: float = cancel_request.DEFAULT_GRACE_S,
    ) -> None:
        self.root = root or runfolder.jobs_root()
        self.store = store or repair.open_store(self.root)
        self.local = LocalBackend(self.root, self.store, cancel_grace_s)
        self.backends: dict[str, Backend] = {LOCAL_BACKEND: self.local, **(backends or {})}

    def backend(self, name: str) -> Backend:
        found = self.backends.get(name)
        if found is None:
            raise ServiceError(
                "backend_unavailable",
                f"Jobs on backend {name!r} cannot be launched or stopped here.",
                "Run locally (omit cloud), or use a server built with that backend.",
            )
        return found

    # ---- launching ----------------------------------------------------------------------
    def plan(self, req: LaunchRequest, *, preflight: bool = True) -> BuiltPlan:
        return self.backend(req.backend).plan(req, preflight=preflight)

    def render(self, built: BuiltPlan) -> str:
        return self.backend(built.plan.backend).render(built)

    def offer(self, built: BuiltPlan) -> LaunchResult:
        tok = consent.issue("launch", self.backend(built.plan.backend).binding(built))
        return LaunchResult(
            launched=False,
            plan=built.plan,
            confirm_token=tok.token,
            expires_at=iso(tok.expires_at),
            message="Nothing started. Show this plan to the user; if they agree, call run_oumi_job "
            "again with the same arguments and this confirm_token.",
        )

    def launch(self, req: LaunchRequest, confirm_token: str | None) -> LaunchResult:
        if not confirm_token:
            return self.offer(self.plan(req))
        return self.launch_confirmed(self.plan(req, preflight=False), confirm_token)

    def launch_confirmed(self, built: BuiltPlan, confirm_token: str | None) -> LaunchResult:
        """Start `built` if `confirm_token` was issued for exactly this plan and is unused."""
        backend = self.backend(built.plan.backend)
        digest = consent.verify(confirm_token, "launch", backend.binding(built))
        return self._launch(backend, built, digest)

    def launch_approved(self, built: BuiltPlan) -> LaunchResult:
        return self._launch(self.backend(built.plan.backend), built, None)

    def _launch(self, backend: Backend, built: BuiltPlan, digest: str | None) -> LaunchResult:
        def prepare(job_id: str, run_dir: Path) -> JobRecord:
            runfolder.write_secrets(run_dir, secret_values(built.env))
            return backend.prepare(built, job_id, run_dir)

        rec, message = self._submit(backend, built.plan.command, prepare, digest)
        return LaunchResult(launched=True, job=self.view(rec), message=message)

    def _submit(
        self,
        backend: Backend,
        command: str,
        prepare: Callable[[str, Path], JobRecord],
        token_digest: str | None,
    ) -> tuple[JobRecord, str]:
        """The launch, once for every backend: a new id and run folder, the record stored with
        the spent token, then the start. Any failure leaves nothing behind."""
        job_id = new_job_id(command)
        run_dir = runfolder.create_run_dir(self.root, job_id)
        try:
            rec = prepare(job_id, run_dir)
            runfolder.write_record(run_dir, rec, token_digest)
            self.store.insert(rec, consumed_token=token_digest)
        except TokenAlreadyUsedError:
            shutil.rmtree(run_dir, ignore_errors=True)
            raise _token_used() from None
        except BaseException:
            shutil.rmtree(run_dir, ignore_errors=True)
            raise
        try:
            return rec, backend.start(rec)
        except Exception as exc:
            self.store.delete([rec.id])
            shutil.rmtree(run_dir, ignore_errors=True)
            if isinstance(exc, ServiceError):
                raise
            raise ServiceError(
                "launch_failed",
                f"{rec.id} could not be started: {type(exc).__name__}: {str(exc)[:300]}",
                "Nothing was started. Check the server log, then ask for a new plan.",
            ) from None

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
        """Record and queue `argv` locally (`{config}` becomes the run folder's config snapshot)."""
        extra_env = validate_envs(env)

        def prepare(job_id: str, run_dir: Path) -> JobRecord:
            runfolder.write_secrets(run_dir, secret_values(extra_env))
            return self.local.prepare_argv(
                job_id,
                run_dir,
                argv,
                cwd=cwd,
                command=command,
                name=name,
                env=extra_env,
                output_dir=output_dir,
                config_bytes=config_bytes,
                model=model,
                source_config=source_config,
            )

        try:
            return self._submit(self.local, command, prepare, token_digest)[0]
        except DuplicateJobError:
            raise ServiceError(
                "duplicate_job", "A job with this id already exists.", "Submit it again."
            ) from None

    def spend_token(self, digest: str) -> None:
        """Spend a verified consent token that starts no job (cancel, stop, down): once only."""
        try:
            self.store.spend_token(digest)
        except TokenAlreadyUsedError:
            raise _token_used() from None

    # ---- following -----------------------------------------------------------------------
    def record(self, job_id: str) -> JobRecord:
        rec = self.store.get(job_id) if JOB_ID.match(job_id or "") else None
        if rec is None:
            raise ServiceError(
                "unknown_job",
                f"No job with id {job_id[:80]!r}.",
                "list_jobs shows the known job ids.",
            )
        return rec

    def resolve(self, rec: JobRecord) -> Resolved:
        backend = self.backends.get(rec.backend)
        if backend is not None:
            return backend.resolve(rec)
        if rec.legacy_status:
            return Resolved(
                JobState.UNKNOWN,
                "legacy registry (not live)",
                reason=f"Imported from an earlier Oumi MCP server, which last saw it as "
                f"{rec.legacy_status!r}; backend {rec.backend!r} cannot be queried here.",
            )
        return Resolved(
            JobState.UNKNOWN, "none", reason=f"No backend {rec.backend!r} in this server."
        )

    def status(self, job_id: str) -> JobStatusView:
        return self.view(self.record(job_id))

    def view(
        self, rec: JobRecord, with_progress: bool = True, res: Resolved | None = None
    ) -> JobStatusView:
        """One job's answer: live status and, unless skipped (cheap listings), its progress."""
        res = res or self.resolve(rec)
        prog = None
        if with_progress and rec.run_dir and not res.status.is_pending():
            run_dir = Path(rec.run_dir)
            prog = progress.parse(
                Path(rec.output_dir) if rec.output_dir else None,
                [run_dir / runfolder.STDERR, run_dir / runfolder.STDOUT],
                res.started_at,
                running=res.status is JobState.RUNNING,
            )
        return JobStatusView(
            job_id=rec.id,
            name=rec.name,
            command=rec.command,
            status=res.status.value,
            backend=rec.backend,
            cluster=rec.cluster,
            exit_code=res.exit_code,
            signal=res.signal,
            reason=res.reason,
            error_lines=res.error_lines,
            submitted_at=iso(rec.submitted_at) or "",
            started_at=iso(res.started_at),
            ended_at=iso(res.ended_at),
            progress=prog,
            run_dir=rec.run_dir,
            output_dir=rec.output_dir,
            model=rec.model,
            observed_at=iso(res.observed_at) or "",
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
        status = self.resolve(rec).status
        run_dir = Path(rec.run_dir)
        secrets = runfolder.job_secrets(run_dir)
        streams = logs.read_streams(run_dir, tail, stream, pattern, max_bytes, secrets=secrets)
        return JobLogs(
            job_id=rec.id,
            status=status.value,
            streams=streams,
            truncated=any(s.truncated for s in streams),
            grep=grep,
        )

    def list_jobs(
        self, status: str | None = None, limit: int = 20, cursor: str | None = None
    ) -> JobList:
        return listing.list_jobs(self, status, limit, cursor)

    # ---- cancelling ----------------------------------------------------------------------
    def _cancel_binding(self, rec: JobRecord, force: bool) -> dict[str, object]:
        return {"action": "cancel", "job_id": rec.id, "backend": rec.backend, "force": bool(force)}

    def cancel_offer(self, job_id: str, force: bool = False) -> CancelResult:
        rec = self.record(job_id)
        view = self.view(rec, with_progress=False)
        if JobState(view.status).is_terminal():
            return _already_ended(view)
        tok = consent.issue("cancel", self._cancel_binding(rec, force))
        return CancelResult(
            job_id=rec.id,
            cancelled=False,
            status=view.status,
            confirm_token=tok.token,
            expires_at=iso(tok.expires_at),
            message=f"Nothing stopped yet. {self.backend(rec.backend).describe_cancel(rec, force)} "
            "Ask the user, then call cancel_job with this confirm_token.",
        )

    def describe_cancel(self, job_id: str, force: bool = False) -> str:
        rec = self.record(job_id)
        return self.backend(rec.backend).describe_cancel(rec, force)

    def cancel(
        self,
        job_id: str,
        force: bool = False,
        confirm_token: str | None = None,
        approved: bool = False,
    ) -> CancelResult:
        rec = self.record(job_id)
        view = self.view(rec, with_progress=False)
        if JobState(view.status).is_terminal():
            return _already_ended(view)
        backend = self.backend(rec.backend)
        if not approved:
            if not confirm_token:
                return self.cancel_offer(job_id, force)
            self.spend_token(
                consent.verify(confirm_token, "cancel", self._cancel_binding(rec, force))
            )
        stopped = backend.cancel(rec, force)
        after = self.view(rec, with_progress=False)
        return CancelResult(
            job_id=rec.id,
            cancelled=after.status == JobState.CANCELLED,
            status=after.status,
            message=stopped.message,
            remaining_pids=stopped.remaining_pids,
        )

    # ---- house-keeping -------------------------------------------------------------------
    def reconcile(self) -> dict[str, str]:
        """Act on what changed since the last pass, for every unfinished job: start waiting
        jobs, record outcomes (and remember them in the store), refresh what backends keep."""
        by_backend: dict[str, list[JobRecord]] = {}
        for rec in self.store.unfinished():
            by_backend.setdefault(rec.backend, []).append(rec)
        by_backend.setdefault(LOCAL_BACKEND, [])  # the queue is kicked even with no records
        outcomes: dict[str, str] = {}
        for name, recs in by_backend.items():
            backend = self.backends.get(name)
            if backend is None:
                continue
            try:
                outcomes |= backend.reconcile(recs)
            except Exception:  # one backend's trouble must not stop the others
                logger.exception("reconcile of %s jobs failed", name)
        if outcomes:
            self.store.set_final_statuses(outcomes)
        return outcomes

    def prune(self, older_than_days: float, dry_run: bool = False) -> list[str]:
        """Delete records (and run folders) of finished jobs submitted before the cutoff."""
        cutoff = time.time() - older_than_days * 86400
        doomed: list[JobRecord] = []
        for rec in self.store.finished_before(cutoff):
            status = self.resolve(rec).status
            ours = rec.origin == "mcp"
            if status.is_final() or (status is JobState.LOST and ours):
                doomed.append(rec)
        if not dry_run:
            self.store.delete([r.id for r in doomed])
            runs = runfolder.runs_dir(self.root)
            for rec in doomed:
                run_dir = Path(rec.run_dir)
                if rec.origin == "mcp" and run_dir.parent == runs:
                    shutil.rmtree(run_dir, ignore_errors=True)
        return [r.id for r in doomed]


def _token_used() -> ServiceError:
    return ServiceError(
        "confirm_token_used",
        "This confirm_token was already used; each token approves one action once.",
        "Call the tool again without confirm_token for a new plan, and ask the user again.",
    )


def _already_ended(view: JobStatusView) -> CancelResult:
    return CancelResult(
        job_id=view.job_id,
        cancelled=False,
        status=view.status,
        message=f"Job already ended ({view.status}); nothing changed.",
    )
