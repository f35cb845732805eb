"""MCP tools for the preflight capability: validate_config and pre_flight_check."""

from __future__ import annotations

from typing import Annotated

from mcp.server.mcpserver import MCPServer
from mcp.types import ToolAnnotations
from pydantic import Field

from oumi_mcp_server.core.blocking import run_blocking
from oumi_mcp_server.preflight.models import TASK_TYPES, PreflightReport, ValidationReport
from oumi_mcp_server.server.errors import structured_errors

Config = Annotated[
    str, Field(description="Config path (absolute or relative to client_cwd) or inline YAML.")
]
ClientCwd = Annotated[str, Field(description="Absolute path of the user's project folder.")]


def register(app: MCPServer) -> None:
    """Add this capability's tools and resources to `app`."""

    @app.tool(
        annotations=ToolAnnotations(
            read_only_hint=True, destructive_hint=False, idempotent_hint=True, open_world_hint=False
        )
    )
    @structured_errors
    async def validate_config(
        config: Config,
        client_cwd: ClientCwd,
        task_type: Annotated[
            str | None,
            Field(description=f"{'|'.join(TASK_TYPES)}; inferred if omitted."),
        ] = None,
    ) -> ValidationReport:
        """Strictly validate an Oumi YAML config; findings carry code, fix and line/column."""
        from oumi_mcp_server.preflight import service

        return await run_blocking(service.validate_config, config, client_cwd, task_type)

    @app.tool(
        annotations=ToolAnnotations(
            read_only_hint=True, destructive_hint=False, idempotent_hint=True, open_world_hint=True
        )
    )
    @structured_errors
    async def pre_flight_check(
        config: Config,
        client_cwd: ClientCwd,
        cloud: Annotated[
            str | None,
            Field(
                description="Target: local, gcp, aws, azure, lambda, k8s, slurm...; omit: local."
            ),
        ] = None,
    ) -> PreflightReport:
        """Check a config before a run: validity, paths, data, model access, memory, cloud, keys."""
        from oumi_mcp_server.preflight import service

        return await run_blocking(service.run_preflight, config, client_cwd, cloud)
