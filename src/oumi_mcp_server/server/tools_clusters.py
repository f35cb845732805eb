"""MCP tools over clusters: list, stop and tear down (with consent), fetch a job's outputs.

Launching on a cluster is `run_oumi_job` with `cloud` (tools_jobs); following and cancelling are
the job tools (the jobs service dispatches on the job's backend). Light to import: oumi and sky
load inside the calls.
"""

from __future__ import annotations

from typing import Annotated

import anyio.from_thread
from mcp.server.mcpserver import Context, MCPServer
from mcp.types import ToolAnnotations
from pydantic import Field

from oumi_mcp_server.clusters.models import ClusterAction, ClusterList, FetchResult
from oumi_mcp_server.core.blocking import run_blocking
from oumi_mcp_server.server.errors import structured_errors
from oumi_mcp_server.wiring import job_service

Cloud = Annotated[str, Field(description="Cloud, e.g. aws, gcp, k8s, slurm.")]
ClusterName = Annotated[str, Field(description="Cluster name from list_clusters.")]
Token = Annotated[str | None, Field(description="From the first call, once the user agreed.")]


def register(app: MCPServer) -> None:
    """Add the cluster tools to `app`."""

    @app.tool(
        annotations=ToolAnnotations(
            read_only_hint=True,
            destructive_hint=False,
            idempotent_hint=True,
            open_world_hint=True,
        )
    )
    @structured_errors
    async def list_clusters(
        cloud: Annotated[str | None, Field(description="Only this cloud.")] = None,
    ) -> ClusterList:
        """Clusters on the enabled clouds (each asked with a time bound): status, cost per hour,
        autostop, our jobs on them."""
        from oumi_mcp_server.clusters import service as clusters  # not at server start

        return await run_blocking(clusters.list_clusters, await run_blocking(job_service), cloud)

    @app.tool(
        annotations=ToolAnnotations(
            read_only_hint=False,
            destructive_hint=True,
            idempotent_hint=True,
            open_world_hint=True,
        )
    )
    @structured_errors
    async def stop_cluster(
        cloud: Cloud, cluster: ClusterName, confirm_token: Token = None
    ) -> ClusterAction:
        """Stop a cluster (disks kept). First call returns the plan and a confirm_token."""
        from oumi_mcp_server.clusters import service as clusters  # not at server start

        return await run_blocking(
            clusters.cluster_action,
            await run_blocking(job_service),
            "stop",
            cloud,
            cluster,
            confirm_token,
        )

    @app.tool(
        annotations=ToolAnnotations(
            read_only_hint=False,
            destructive_hint=True,
            idempotent_hint=True,
            open_world_hint=True,
        )
    )
    @structured_errors
    async def down_cluster(
        cloud: Cloud, cluster: ClusterName, confirm_token: Token = None
    ) -> ClusterAction:
        """Tear a cluster down, disks included. First call returns the plan (what is lost) and a
        confirm_token."""
        from oumi_mcp_server.clusters import service as clusters  # not at server start

        return await run_blocking(
            clusters.cluster_action,
            await run_blocking(job_service),
            "down",
            cloud,
            cluster,
            confirm_token,
        )

    @app.tool(
        annotations=ToolAnnotations(
            read_only_hint=False,
            destructive_hint=False,
            idempotent_hint=True,
            open_world_hint=True,
        )
    )
    @structured_errors
    async def fetch_outputs(
        job_id: Annotated[str, Field(description="Cluster job id.")],
        ctx: Context,
        dest: Annotated[str | None, Field(description="Folder, relative to client_cwd.")] = None,
        client_cwd: Annotated[str | None, Field(description="User's project folder.")] = None,
    ) -> FetchResult:
        """Copy a cluster job's output folder here (default: its run folder); a retry copies only
        what changed."""

        def progress(pct: int) -> None:
            anyio.from_thread.run(ctx.report_progress, float(pct), 100.0, "copying outputs")

        from oumi_mcp_server.clusters import service as clusters  # not at server start

        return await run_blocking(
            clusters.fetch_outputs,
            await run_blocking(job_service),
            job_id,
            dest,
            client_cwd,
            progress,
        )
