"""MCP tool `compare_runs`: runs side by side (differing config keys, losses, eval metrics with
deltas, run time and cost, loss curve at shared steps), an HTML report in the state folder, and
optionally the loss curves as a PNG image."""

from __future__ import annotations

import base64
from typing import TYPE_CHECKING, Annotated

from mcp.server.mcpserver import MCPServer
from mcp.types import CallToolResult, ContentBlock, ImageContent, TextContent, ToolAnnotations
from pydantic import Field

from oumi_mcp_server.core.blocking import run_blocking
from oumi_mcp_server.experiments.compare_models import Comparison
from oumi_mcp_server.server.errors import structured_errors
from oumi_mcp_server.wiring import job_service

if TYPE_CHECKING:
    from oumi_mcp_server.jobs.service import JobService

_WRITES_REPORT = ToolAnnotations(
    read_only_hint=False, destructive_hint=False, idempotent_hint=True, open_world_hint=False
)
"""It writes one report file (the same file again for the same runs); it changes no job."""


def _compare(
    service: JobService, job_ids: list[str], metric: str | None, baseline: str | None, plot: bool
) -> CallToolResult:
    """The comparison as structured content and compact JSON text (what bounds it to 8 KB), and
    the PNG when asked for."""
    from oumi_mcp_server.experiments import compare  # ~25 ms of imports, not at server start

    found = compare.compare(service, job_ids, metric, baseline)
    png = found.loss_png() if plot else None
    if plot and png is None:
        found.answer.notes.append("plot: no run logged a training loss; no image.")
    content: list[ContentBlock] = [TextContent(type="text", text=found.answer.model_dump_json())]
    if png is not None:
        encoded = base64.b64encode(png).decode("ascii")
        content.append(ImageContent(type="image", data=encoded, mime_type="image/png"))
    return CallToolResult(content=content, structured_content=found.answer.model_dump(mode="json"))


def register(app: MCPServer) -> None:
    @app.tool(annotations=_WRITES_REPORT)
    @structured_errors
    async def compare_runs(
        job_ids: Annotated[
            list[str], Field(description="2-20 job ids; the first is the baseline.")
        ],
        metric: Annotated[
            str | None, Field(description="Headline metric to rank by, e.g. heldout_loss/loss.")
        ] = None,
        baseline: Annotated[str | None, Field(description="Job id to diff against.")] = None,
        plot: Annotated[bool, Field(description="Also return the loss curves as a PNG.")] = False,
    ) -> Annotated[CallToolResult, Comparison]:
        """Runs side by side: differing config keys, final/best loss, eval metrics with deltas vs
        the baseline (better/worse), run time, cost, loss at shared steps; writes an HTML report."""
        service = await run_blocking(job_service)
        return await run_blocking(_compare, service, job_ids, metric, baseline, plot)
