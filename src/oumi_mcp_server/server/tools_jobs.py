"""MCP tools over local jobs: launch (plan, then consent), status, logs, list, wait, cancel.

Consent: when the client declares elicitation, `run_oumi_job` and `cancel_job` ask the person
(resolvers below, which work on both the handshake and the input-required protocols) and their
accept is the consent; otherwise the first call returns a plan and a `confirm_token` bound to it.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated, Any, Literal, TypeVar

from mcp.server.mcpserver import (
    AcceptedElicitation,
    Context,
    Elicit,
    ElicitationResult,
    MCPServer,
    Resolve,
)
from mcp.server.mcpserver.exceptions import ResourceError
from mcp.types import ToolAnnotations
from pydantic import BaseModel, Field

from oumi_mcp_server.clusters.models import ClusterOptions
from oumi_mcp_server.core.blocking import run_blocking
from oumi_mcp_server.core.errors import ServiceError
from oumi_mcp_server.core.vocabulary import Command
from oumi_mcp_server.jobs.models import (
    CancelResult,
    JobList,
    JobLogs,
    JobStatusView,
    JobSummary,
    LaunchResult,
)
from oumi_mcp_server.jobs.plan import BuiltPlan, LaunchRequest
from oumi_mcp_server.jobs.progress import Notifier
from oumi_mcp_server.jobs.states import JobState
from oumi_mcp_server.jobs.waiting import WAIT_CAP_S, wait
from oumi_mcp_server.server.errors import structured_errors
from oumi_mcp_server.wiring import job_service, sweep_service

if TYPE_CHECKING:
    from oumi_mcp_server.jobs.service import JobService

_READ = ToolAnnotations(
    read_only_hint=True, destructive_hint=False, idempotent_hint=True, open_world_hint=False
)
T = TypeVar("T")
CLUSTER_KEYS = "With cloud: " + " ".join(ClusterOptions.model_fields)
COMPLETED_SHOWN = 20
ENDED = frozenset(s.value for s in JobState if s.is_terminal())
HEARTBEAT_S = 15.0
"""wait_for_job re-sends progress this often even when nothing moved, so clients do not time out."""
JobId = Annotated[str, Field(description="Job id.")]


class LaunchConsent(BaseModel):
    launch: bool = Field(description="Start this job now.")


class CancelConsent(BaseModel):
    cancel: bool = Field(description="Stop this job now.")


def can_elicit(ctx: Context) -> bool:
    caps = ctx.client_capabilities
    el = caps.elicitation if caps is not None else None
    return el is not None and (el.form is not None or el.url is None)


def _is_sweep_id(job_id: str) -> bool:
    """Imports the sweep package on first use, not at server start."""
    from oumi_mcp_server.experiments.sweep import is_sweep_id

    return is_sweep_id(job_id)


async def _jobs() -> JobService:
    """The jobs service, built off the event loop: the first build opens and migrates SQLite."""
    return await run_blocking(job_service)


async def _build_plan(
    command: str,
    config: str,
    client_cwd: str,
    overrides: dict[str, Any] | None,
    job_name: str | None,
    envs: dict[str, str] | None,
    nproc: int,
    confirm_token: str | None,
    cloud: str | None = None,
    cluster: dict[str, Any] | None = None,
) -> BuiltPlan | ServiceError:
    """The plan, or the ServiceError that refused it: returned, not raised, so the tool body
    raises it where `structured_errors` answers pure error JSON (the SDK prefixes prose to
    anything a resolver raises: "Error executing tool run_oumi_job: ...")."""
    req = LaunchRequest(
        command, config, client_cwd, overrides, job_name, envs, nproc, cloud, cluster
    )
    try:
        return await run_blocking((await _jobs()).plan, req, preflight=not confirm_token)
    except ServiceError as exc:
        return exc


async def _ask_launch(
    ctx: Context,
    confirm_token: str | None,
    plan: Annotated[BuiltPlan | ServiceError, Resolve(_build_plan)],
) -> Elicit[LaunchConsent] | None:
    if isinstance(plan, ServiceError) or confirm_token or not can_elicit(ctx):
        return None
    return Elicit((await _jobs()).render(plan), LaunchConsent)


async def _ask_cancel(
    ctx: Context, job_id: str, force: bool, confirm_token: str | None
) -> Elicit[CancelConsent] | None:
    """No question when there is nothing to ask about: the tool body's cancel call then meets
    the same ServiceError (unknown job, ...) and answers it as pure error JSON."""
    if confirm_token or not can_elicit(ctx):
        return None
    try:
        if _is_sweep_id(job_id):
            sweeps = await run_blocking(sweep_service)
            sweep_text = await run_blocking(sweeps.describe_cancel, job_id)
            return Elicit(sweep_text, CancelConsent) if sweep_text else None
        view = await run_blocking((await _jobs()).status, job_id)
        if JobState(view.status).is_terminal() or view.status == JobState.UNKNOWN:
            return None
        text = await run_blocking((await _jobs()).describe_cancel, job_id, force)
    except ServiceError:
        return None
    return Elicit(text, CancelConsent)


def _resource_call(fn: Callable[..., T], *args: object) -> T:
    try:
        return fn(*args)
    except ServiceError as exc:
        raise ResourceError(exc.to_json()) from None


def register(app: MCPServer) -> None:
    """Add the job tools and resources to `app`."""

    @app.tool(
        annotations=ToolAnnotations(
            read_only_hint=False,
            destructive_hint=False,
            idempotent_hint=False,
            open_world_hint=False,
        )
    )
    @structured_errors
    async def run_oumi_job(
        command: Annotated[Command, Field(description="oumi command.")],
        config: Annotated[str, Field(description="YAML path, relative to client_cwd.")],
        client_cwd: Annotated[str, Field(description="User's absolute project folder.")],
        plan: Annotated[BuiltPlan | ServiceError, Resolve(_build_plan)],
        consent: Annotated[ElicitationResult[LaunchConsent], Resolve(_ask_launch)],
        overrides: Annotated[
            dict[str, Any] | None,
            Field(description="e.g. {'training.max_steps': 10}"),
        ] = None,
        job_name: Annotated[str | None, Field(description="Label: letters, digits, ._-")] = None,
        envs: Annotated[dict[str, str] | None, Field(description="Extra env vars.")] = None,
        nproc: Annotated[int, Field(description="Local GPUs; >1 runs torchrun.")] = 1,
        confirm_token: Annotated[
            str | None, Field(description="From the plan the user approved.")
        ] = None,
        cloud: Annotated[str | None, Field(description="aws gcp k8s slurm...")] = None,
        cluster: Annotated[dict[str, Any] | None, Field(description=CLUSTER_KEYS)] = None,
    ) -> LaunchResult:
        """Launch an oumi job locally; it outlives the server. Without confirm_token: returns the
        plan and a token to show the user (or asks them directly). With cloud: on a cluster."""
        if isinstance(plan, ServiceError):
            raise plan
        service = await _jobs()
        if not isinstance(consent, AcceptedElicitation):
            return LaunchResult(
                launched=False,
                plan=plan.plan,
                message=f"The user did not approve ({consent.action}); nothing started.",
            )
        if isinstance(consent.data, LaunchConsent):
            if not consent.data.launch:
                return LaunchResult(
                    launched=False,
                    plan=plan.plan,
                    message="The user did not approve; nothing started.",
                )
            return await run_blocking(service.launch_approved, plan)
        if confirm_token:
            return await run_blocking(service.launch_confirmed, plan, confirm_token)
        return await run_blocking(service.offer, plan)

    @app.tool(annotations=_READ)
    @structured_errors
    async def get_job_status(job_id: JobId) -> JobStatusView:
        """Live status of a job: state, exit code, timing, progress (step, loss, ETA), errors."""
        return await run_blocking((await _jobs()).status, job_id)

    @app.tool(annotations=_READ)
    @structured_errors
    async def get_job_logs(
        job_id: JobId,
        tail: Annotated[int, Field(description="Last N lines, 1-10000.")] = 200,
        stream: Annotated[
            Literal["stdout", "stderr", "both"], Field(description="Which log.")
        ] = "both",
        grep: Annotated[str | None, Field(description="Regex; only matching lines.")] = None,
        max_bytes: Annotated[int, Field(description="Size cap, 256-1000000.")] = 6000,
    ) -> JobLogs:
        """The end of a job's stdout/stderr, bounded; `truncated` says older lines were left out."""
        return await run_blocking((await _jobs()).logs, job_id, tail, stream, grep, max_bytes)

    @app.tool(annotations=_READ)
    @structured_errors
    async def list_jobs(
        status: Annotated[str | None, Field(description="Only this state, e.g. running.")] = None,
        limit: Annotated[int, Field(description="Page size, 1-200.")] = 20,
        cursor: Annotated[
            str | None, Field(description="next_cursor of the previous page.")
        ] = None,
    ) -> JobList:
        """Jobs, newest first, with live status."""
        return await run_blocking((await _jobs()).list_jobs, status, limit, cursor)

    @app.tool(annotations=_READ)
    @structured_errors
    async def wait_for_job(
        job_id: JobId,
        ctx: Context,
        timeout_s: Annotated[float, Field(description="Max 300.")] = 120,
        until: Annotated[Literal["done", "running"], Field(description="Stop condition.")] = "done",
    ) -> JobStatusView:
        """Wait until the job ends (or runs), at most timeout_s; sends progress notifications."""
        notifier = Notifier(HEARTBEAT_S)  # strictly increasing, never above total

        async def tick(view: JobStatusView) -> None:
            sent = notifier.next(view, time.monotonic())
            if sent is not None:
                await ctx.report_progress(*sent)

        return await wait(await _jobs(), job_id, min(timeout_s, WAIT_CAP_S), until, tick)

    @app.tool(
        annotations=ToolAnnotations(
            read_only_hint=False,
            destructive_hint=True,
            idempotent_hint=True,
            open_world_hint=False,
        )
    )
    @structured_errors
    async def cancel_job(
        job_id: JobId,
        consent: Annotated[ElicitationResult[CancelConsent], Resolve(_ask_cancel)],
        force: Annotated[bool, Field(description="Kill at once, no grace period.")] = False,
        confirm_token: Annotated[str | None, Field(description="From the first call.")] = None,
    ) -> CancelResult:
        """Stop a job and all its processes. Without confirm_token: returns one to confirm with
        (or asks the user). A sweep id stops every point still queued or running."""
        if _is_sweep_id(job_id):
            sweeps = await run_blocking(sweep_service)
            said = consent.data if isinstance(consent, AcceptedElicitation) else None
            if said is None and not isinstance(consent, AcceptedElicitation):
                return await run_blocking(sweeps.declined, job_id)
            if isinstance(said, CancelConsent) and not said.cancel:
                return await run_blocking(sweeps.declined, job_id)
            asked = isinstance(said, CancelConsent)
            return await run_blocking(sweeps.cancel, job_id, force, confirm_token, asked)
        service = await _jobs()
        if not isinstance(consent, AcceptedElicitation):
            view = await run_blocking(service.status, job_id)
            return CancelResult(
                job_id=job_id,
                cancelled=False,
                status=view.status,
                message=f"The user did not approve ({consent.action}); nothing changed.",
            )
        if isinstance(consent.data, CancelConsent):
            if not consent.data.cancel:
                view = await run_blocking(service.status, job_id)
                return CancelResult(
                    job_id=job_id,
                    cancelled=False,
                    status=view.status,
                    message="The user did not approve; nothing changed.",
                )
            return await run_blocking(service.cancel, job_id, force, None, True)
        return await run_blocking(service.cancel, job_id, force, confirm_token)

    @app.resource("jobs://running", mime_type="application/json")
    async def running_jobs() -> str:
        """Jobs running now."""
        result = await run_blocking((await _jobs()).list_jobs, "running", 50, None)
        return result.model_dump_json()

    @app.resource("jobs://completed", mime_type="application/json")
    async def completed_jobs() -> str:
        """Jobs that ended lately (completed, failed, cancelled, lost), newest first; at most 20."""
        service = await _jobs()
        ended: list[JobSummary] = []
        page = JobList(jobs=[], total_stored=0)
        for _ in range(2):
            page = await run_blocking(service.list_jobs, None, 100, page.next_cursor)
            ended += [j for j in page.jobs if j.status in ENDED]
            if page.next_cursor is None or len(ended) >= COMPLETED_SHOWN:
                break
        shown = JobList(jobs=ended[:COMPLETED_SHOWN], total_stored=page.total_stored)
        return shown.model_dump_json()

    @app.resource("jobs://{job_id}", mime_type="application/json")
    async def job_resource(job_id: str) -> str:
        """Status of one job."""
        view = await run_blocking(_resource_call, (await _jobs()).status, job_id)
        return json.dumps(view.model_dump(mode="json"))

    @app.resource("jobs://{job_id}/logs", mime_type="text/plain")
    async def job_logs_resource(job_id: str) -> str:
        """The last 200 lines of a job's stdout and stderr."""
        logs = await run_blocking(_resource_call, (await _jobs()).logs, job_id)
        return "\n".join(
            f"== {s.stream}{' (truncated)' if s.truncated else ''} ==\n{s.text}"
            for s in logs.streams
        )
