"""MCP tools over oumi's own documentation: get_docs and list_modules (the oumi index)."""

from __future__ import annotations

from typing import Annotated

from mcp.server.mcpserver import MCPServer
from mcp.types import ToolAnnotations
from pydantic import Field

from oumi_mcp_server.core.blocking import run_blocking
from oumi_mcp_server.oumi_index.docs import KINDS
from oumi_mcp_server.oumi_index.models import DocsAnswer, ModulesAnswer
from oumi_mcp_server.server.errors import structured_errors

_READ_LOCAL = ToolAnnotations(
    read_only_hint=True, destructive_hint=False, idempotent_hint=True, open_world_hint=False
)


def register(app: MCPServer) -> None:
    """Add the documentation tools to `app`."""

    @app.tool(annotations=_READ_LOCAL)
    @structured_errors
    async def get_docs(
        query: Annotated[
            str, Field(description="Name or words: learning_rate, TrainingConfig, lora, alpaca.")
        ],
        module: Annotated[
            str | None, Field(description="Module prefix, e.g. oumi.core.configs.")
        ] = None,
        kind: Annotated[str | None, Field(description=" ".join(KINDS) + ".")] = None,
        limit: Annotated[int, Field(description="Max results, 1-25.")] = 10,
    ) -> DocsAnswer:
        """Search the installed oumi's config fields (with their YAML keys), classes, registered
        datasets/models/metrics, CLI commands and API: signatures and first doc paragraphs."""
        from oumi_mcp_server.oumi_index import service  # not at server start

        return await run_blocking(service.get_docs, query, module, kind, limit)

    @app.tool(annotations=_READ_LOCAL)
    @structured_errors
    async def list_modules() -> ModulesAnswer:
        """Map of the installed oumi: packages, config kinds, registries and CLI, for get_docs."""
        from oumi_mcp_server.oumi_index import service  # not at server start

        return await run_blocking(service.list_modules)
