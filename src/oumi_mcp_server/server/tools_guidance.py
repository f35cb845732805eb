"""Guides as MCP resources (`guidance://<name>`, `guidance://index`) and two starter prompts."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.resources import FunctionResource

from oumi_mcp_server.core.blocking import run_blocking
from oumi_mcp_server.guidance.loader import list_guides, read_guide

INDEX_URI = "guidance://index"


def _reader(name: str) -> Callable[[], Awaitable[str]]:
    async def read() -> str:
        return await run_blocking(read_guide, name)

    return read


def guidance_index() -> str:
    """A short markdown list of every guide: URI, title, one-line summary, size."""
    lines = ["# Oumi guides", "", "Read `guidance://workflow` first.", ""]
    lines += [
        f"- {g.uri} ({g.size_bytes // 1000 + 1} KB): {g.title}. {g.summary}" for g in list_guides()
    ]
    return "\n".join(lines) + "\n"


def register(app: MCPServer) -> None:
    """Add one resource per guide, the index, and the prompts."""
    for guide in list_guides():
        app.add_resource(
            FunctionResource.from_function(
                fn=_reader(guide.name),
                uri=guide.uri,
                name=f"guide_{guide.name}",
                title=guide.title,
                description=guide.summary,
                mime_type="text/markdown",
            )
        )

    @app.resource(INDEX_URI, name="guide_index", title="Oumi guides", mime_type="text/markdown")
    def index() -> str:
        """Which guide covers what; start with guidance://workflow."""
        return guidance_index()

    @app.prompt(name="fine_tune", title="Fine-tune a model with Oumi")
    def fine_tune(goal: str, base_model: str = "", data: str = "") -> str:
        """Start the fine-tuning loop for a goal, following the workflow guide."""
        facts = [f"Goal: {goal}"]
        if base_model:
            facts.append(f"Base model: {base_model}")
        if data:
            facts.append(f"Data: {data}")
        return (
            "Help me fine-tune a model with Oumi.\n" + "\n".join(facts) + "\n\n"
            "Follow this workflow, asking me what it needs that is not stated above:\n\n"
            + read_guide("workflow")
        )

    @app.prompt(name="wrap_up_run", title="Finish a training run safely")
    def wrap_up_run(job_id: str) -> str:
        """Check a finished job, bring its outputs home, then stop paying for its cluster."""
        return (
            f"Job {job_id} should be finished. Wrap it up following this guide, and ask me "
            "before stopping or tearing down anything:\n\n" + read_guide("post_training")
        )
