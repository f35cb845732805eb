"""MCP tools over sweeps: `run_sweep` (one plan, one approval, every point) and `get_sweep`
(points ranked by the metric). `cancel_job` with a sweep id stops a sweep (tools_jobs)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from mcp.server.mcpserver import (
    AcceptedElicitation,
    Context,
    Elicit,
    ElicitationResult,
    MCPServer,
    Resolve,
)
from mcp.types import ToolAnnotations
from pydantic import BaseModel, Field

from oumi_mcp_server.core.blocking import run_blocking
from oumi_mcp_server.core.errors import ServiceError
from oumi_mcp_server.experiments.sweep_models import (
    Distribution,
    RandomSearch,
    Scalar,
    SweepLaunchResult,
    SweepView,
)
from oumi_mcp_server.experiments.sweep_plan import BuiltSweep, SweepRequest, render, shown
from oumi_mcp_server.server.errors import structured_errors
from oumi_mcp_server.server.tools_jobs import can_elicit
from oumi_mcp_server.wiring import sweep_service

_READ = ToolAnnotations(
    read_only_hint=True, destructive_hint=False, idempotent_hint=True, open_world_hint=False
)
_LAUNCH = ToolAnnotations(
    read_only_hint=False, destructive_hint=False, idempotent_hint=False, open_world_hint=False
)


class SweepConsent(BaseModel):
    run: bool = Field(description="Start every job of this sweep now.")


async def _plan_sweep(
    config: str,
    client_cwd: str,
    metric: str,
    grid: dict[str, list[Scalar]] | None,
    random: dict[str, Distribution] | None,
    n: int,
    seed: int,
    command: str,
    mode: Literal["min", "max"] | None,
    evaluate: str | None,
    overrides: dict[str, Any] | None,
    job_name: str | None,
    envs: dict[str, str] | None,
    cloud: str | None,
    cluster: dict[str, Any] | None,
    confirm_token: str | None,
) -> BuiltSweep | ServiceError:
    """Every point's plan, or the ServiceError that refused it (returned, so the tool body
    raises it as pure error JSON, as run_oumi_job does)."""
    try:
        rand = RandomSearch(n=n, seed=seed, params=random) if random is not None else None
        req = SweepRequest(
            config=config,
            client_cwd=client_cwd,
            metric=metric,
            command=command,
            grid=grid,
            random=rand,
            mode=mode,
            evaluate=evaluate,
            overrides=overrides,
            job_name=job_name,
            envs=envs,
            cloud=cloud,
            cluster=cluster,
        )
        service = await run_blocking(sweep_service)
        return await run_blocking(service.plan, req, preflight=not confirm_token)
    except ServiceError as exc:
        return exc


async def _ask_sweep(
    ctx: Context,
    confirm_token: str | None,
    planned: Annotated[BuiltSweep | ServiceError, Resolve(_plan_sweep)],
) -> Elicit[SweepConsent] | None:
    if isinstance(planned, ServiceError) or confirm_token or not can_elicit(ctx):
        return None
    return Elicit(render(planned), SweepConsent)


def _not_approved(planned: BuiltSweep, why: str) -> SweepLaunchResult:
    return SweepLaunchResult(launched=False, plan=shown(planned), message=f"{why} Nothing started.")


def register(app: MCPServer) -> None:
    @app.tool(annotations=_LAUNCH)
    @structured_errors
    async def run_sweep(
        config: Annotated[str, Field(description="YAML path, relative to client_cwd.")],
        client_cwd: Annotated[str, Field(description="User's absolute project folder.")],
        metric: Annotated[
            str, Field(description="Rank by: final_loss, best_loss... or an eval metric.")
        ],
        planned: Annotated[BuiltSweep | ServiceError, Resolve(_plan_sweep)],
        consent: Annotated[ElicitationResult[SweepConsent], Resolve(_ask_sweep)],
        grid: Annotated[
            dict[str, list[Scalar]] | None,
            Field(description="Every combination, e.g. {'training.learning_rate': [1e-4, 1e-3]}"),
        ] = None,
        random: Annotated[
            dict[str, Distribution] | None,
            Field(description="n random points, per key {choices} or {low, high}"),
        ] = None,
        n: Annotated[int, Field(description="Random points, 1-32.")] = 8,
        seed: Annotated[int, Field(description="Same seed, same points.")] = 0,
        command: Annotated[
            Literal["train", "evaluate", "tune"], Field(description="tune: use run_oumi_job.")
        ] = "train",
        mode: Annotated[
            Literal["min", "max"] | None, Field(description="Default: min for loss-like.")
        ] = None,
        evaluate: Annotated[
            str | None, Field(description="Eval config run on each trained point.")
        ] = None,
        overrides: Annotated[dict[str, Any] | None, Field(description="Same for all.")] = None,
        job_name: Annotated[str | None, Field(description="Label, <= 24 chars.")] = None,
        envs: Annotated[dict[str, str] | None, Field(description="Extra env vars.")] = None,
        cloud: Annotated[str | None, Field(description="As run_oumi_job.")] = None,
        cluster: Annotated[dict[str, Any] | None, Field(description="As run_oumi_job.")] = None,
        confirm_token: Annotated[
            str | None, Field(description="From the plan the user approved.")
        ] = None,
    ) -> SweepLaunchResult:
        """Hyper-parameter sweep as one unit (max 32 points): grid, or n seeded random draws.
        First call: the plan of every point and one confirm_token; call again with it to submit
        them all. Then get_sweep."""
        if isinstance(planned, ServiceError):
            raise planned
        service = await run_blocking(sweep_service)
        if not isinstance(consent, AcceptedElicitation):
            return _not_approved(planned, f"The user did not approve ({consent.action}).")
        if isinstance(consent.data, SweepConsent):
            if not consent.data.run:
                return _not_approved(planned, "The user did not approve.")
            return await run_blocking(service.launch, planned, None)
        if confirm_token:
            return await run_blocking(service.confirm, planned, confirm_token)
        return await run_blocking(service.offer, planned)

    @app.tool(annotations=_READ)
    @structured_errors
    async def get_sweep(
        sweep_id: Annotated[str, Field(description="From run_sweep.")],
    ) -> SweepView:
        """A sweep's points ranked by its metric (best first, ties shown), then unfinished,
        failed, cancelled or never started ones; each with overrides, job id, status, value."""
        service = await run_blocking(sweep_service)
        return await run_blocking(service.get, sweep_id)
