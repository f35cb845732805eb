"""MCP tools over data sets: inspect one before a run, prepare a new one from existing ones."""

from __future__ import annotations

from typing import Annotated

from mcp.server.mcpserver import MCPServer
from mcp.types import ToolAnnotations
from pydantic import Field

from oumi_mcp_server.core.blocking import run_blocking
from oumi_mcp_server.data.models import InspectAnswer, PrepareAnswer
from oumi_mcp_server.server.errors import structured_errors

_CWD = "User's absolute project folder."
_TOKENIZER = "Model folder or cached hub id; empty: estimate."


def register(app: MCPServer) -> None:
    """Add the data tools to `app`."""

    @app.tool(
        annotations=ToolAnnotations(
            read_only_hint=True, destructive_hint=False, idempotent_hint=True, open_world_hint=False
        )
    )
    @structured_errors
    async def inspect_dataset(
        client_cwd: Annotated[str, Field(description=_CWD)],
        path: Annotated[str, Field(description="Data file or save_to_disk folder.")] = "",
        dataset_name: Annotated[str, Field(description="Hub id, read from the local cache.")] = "",
        tokenizer: Annotated[str, Field(description=_TOKENIZER)] = "",
        max_length: Annotated[int | None, Field(description="Overrides model_max_length.")] = None,
        split: Annotated[str, Field(description="Split to read.")] = "",
    ) -> InspectAnswer:
        """Check a data set before training: format, rows, errors with line numbers, duplicates,
        token lengths (p50/p90/p99/max, share over model_max_length), samples; samples big files."""
        from oumi_mcp_server.data.inspect import inspect_dataset as inspect_service  # not at start

        return await run_blocking(
            inspect_service, path, dataset_name, client_cwd, tokenizer, max_length, split
        )

    @app.tool(
        annotations=ToolAnnotations(
            read_only_hint=False,
            destructive_hint=False,
            idempotent_hint=False,
            open_world_hint=False,
        )
    )
    @structured_errors
    async def prepare_dataset(
        client_cwd: Annotated[str, Field(description=_CWD)],
        inputs: Annotated[list[str], Field(description="Data files to merge.")],
        output_dir: Annotated[str, Field(description="New folder inside client_cwd.")],
        min_tokens: Annotated[int, Field(description="Drop shorter rows; 0: off.")] = 0,
        max_tokens: Annotated[int, Field(description="Drop longer rows; 0: off.")] = 0,
        roles: Annotated[list[str], Field(description="Drop rows with other roles.")] = [],  # noqa: B006 -- pydantic copies it; never mutated
        regex: Annotated[str, Field(description="RE2 over the content.")] = "",
        regex_keeps: Annotated[bool, Field(description="Keep matches (else drop).")] = False,
        dedupe: Annotated[bool, Field(description="Drop repeated rows.")] = True,
        validation_fraction: Annotated[float, Field(description="0-0.5 held out.")] = 0.0,
        seed: Annotated[int, Field(description="Split seed.")] = 0,
        tokenizer: Annotated[str, Field(description=_TOKENIZER)] = "",
    ) -> PrepareAnswer:
        """Write train.jsonl (and validation.jsonl) into a new folder from filtered, merged,
        deduplicated inputs; reports rows kept per step. Never overwrites."""
        from oumi_mcp_server.data.prepare import Filters  # not at server start
        from oumi_mcp_server.data.prepare import prepare_dataset as prepare_service

        filters = Filters(
            min_tokens,
            max_tokens,
            tuple(roles),
            regex,
            regex_keeps,
            dedupe,
            validation_fraction,
            seed,
        )
        return await run_blocking(
            prepare_service, inputs, output_dir, client_cwd, filters, tokenizer
        )
