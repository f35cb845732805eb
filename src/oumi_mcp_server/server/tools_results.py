"""MCP tool over what a run produced: `get_results` (training summary, eval metrics, inference
outputs, artifacts, the config that ran). Reads only; never fetches or writes."""

from __future__ import annotations

from typing import Annotated

from mcp.server.mcpserver import MCPServer
from mcp.types import ToolAnnotations
from pydantic import Field

from oumi_mcp_server.core.blocking import run_blocking
from oumi_mcp_server.jobs import results
from oumi_mcp_server.jobs.results_models import JobResults
from oumi_mcp_server.server.errors import structured_errors
from oumi_mcp_server.wiring import job_service

_READ = ToolAnnotations(
    read_only_hint=True, destructive_hint=False, idempotent_hint=True, open_world_hint=False
)


def register(app: MCPServer) -> None:
    @app.tool(annotations=_READ)
    @structured_errors
    async def get_results(job_id: Annotated[str, Field(description="Job id.")]) -> JobResults:
        """What a finished or running job produced: steps and losses, eval metrics per task,
        inference outputs, saved model and checkpoints, the config run. Cluster: after fetch."""
        service = await run_blocking(job_service)
        return await run_blocking(results.get_results, service, job_id)
