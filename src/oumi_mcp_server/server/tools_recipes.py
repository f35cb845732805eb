"""MCP tools over the recipe catalog: search, read, categories, sync."""

from __future__ import annotations

from typing import Annotated

from mcp.server.mcpserver import MCPServer
from mcp.types import ToolAnnotations
from pydantic import Field

from oumi_mcp_server.core.blocking import run_blocking
from oumi_mcp_server.recipes.extract import TASK_TYPES
from oumi_mcp_server.recipes.models import (
    CategoriesAnswer,
    ConfigAnswer,
    SearchAnswer,
    SyncAnswer,
)
from oumi_mcp_server.server.errors import structured_errors

_READ_LOCAL = ToolAnnotations(
    read_only_hint=True, destructive_hint=False, idempotent_hint=True, open_world_hint=False
)
_TASKS = " ".join(TASK_TYPES)


def register(app: MCPServer) -> None:
    """Add the recipe tools to `app`."""

    @app.tool(annotations=_READ_LOCAL)
    @structured_errors
    async def search_configs(
        query: Annotated[str, Field(description="Words, e.g. 'llama 8b lora'.")] = "",
        task: Annotated[str, Field(description=f"Task type: {_TASKS}.")] = "",
        model: Annotated[str, Field(description="Model name or family (llama3_1).")] = "",
        keyword: Annotated[str, Field(description="Text the YAML must contain.")] = "",
        limit: Annotated[int, Field(description="Max results, 1-25.")] = 10,
    ) -> SearchAnswer:
        """Find Oumi recipes (YAML configs), ranked over path, description, model and datasets."""
        from oumi_mcp_server.recipes import service  # not at server start

        return await run_blocking(service.search, query, task, model, keyword, limit)

    @app.tool(annotations=_READ_LOCAL)
    @structured_errors
    async def get_config(
        path: Annotated[str, Field(description="Recipe path from search_configs (partial ok).")],
        include_content: Annotated[bool, Field(description="Include the YAML.")] = True,
        max_chars: Annotated[int, Field(description="Cut the YAML after this many chars.")] = 6000,
    ) -> ConfigAnswer:
        """Read a recipe's metadata and YAML; an inexact path gets the best match and candidates."""
        from oumi_mcp_server.recipes import service  # not at server start

        return await run_blocking(service.get_config, path, include_content, max_chars)

    @app.tool(annotations=_READ_LOCAL)
    @structured_errors
    async def list_categories() -> CategoriesAnswer:
        """Recipe counts by task type, model family and folder."""
        from oumi_mcp_server.recipes import service  # not at server start

        return await run_blocking(service.list_categories)

    @app.tool(
        annotations=ToolAnnotations(
            read_only_hint=False, destructive_hint=False, idempotent_hint=True, open_world_hint=True
        )
    )
    @structured_errors
    async def sync_configs(
        force: Annotated[bool, Field(description="Download even if the cache is fresh.")] = False,
    ) -> SyncAnswer:
        """Download the recipes matching the installed oumi from GitHub into the local cache."""
        from oumi_mcp_server.recipes import service  # not at server start

        return await run_blocking(service.sync, force)
