"""Build the MCP server. Importing this must stay light: no torch, oumi, transformers or sky."""

from __future__ import annotations

from mcp.server.mcpserver import MCPServer

from oumi_mcp_server import __version__
from oumi_mcp_server.server import (
    apps,
    tools_clusters,
    tools_compare,
    tools_data,
    tools_docs,
    tools_guidance,
    tools_jobs,
    tools_preflight,
    tools_recipes,
    tools_results,
    tools_sweep,
)
from oumi_mcp_server.server.reconcile_loop import lifespan
from oumi_mcp_server.server.schemas import compact_tool_schemas
from oumi_mcp_server.server.timing import TimedServer

INSTRUCTIONS = """\
Run the Oumi fine-tuning loop for the user: find a recipe (search_configs, get_config), check it
(validate_config, pre_flight_check), launch it (run_oumi_job: first call returns a plan and a
confirm_token; show the plan to the user, then call again with the token), follow it
(get_job_status, wait_for_job, get_job_logs), cancel it (cancel_job). Paths are resolved against
client_cwd: always pass the user's absolute project folder. Read guidance://workflow first for
the whole loop; guidance://* holds task guides. Errors come back as JSON with code, message, fix.
Experiments (guidance://experiment): get_results reads a run's metrics, compare_runs sets runs side
by side, run_sweep plans a whole sweep for one approval, get_sweep ranks it, cancel_job stops it."""


def build_server() -> MCPServer:
    app = TimedServer(
        name="oumi-mcp-server",
        title="Oumi fine-tuning",
        version=__version__,
        instructions=INSTRUCTIONS,
        lifespan=lifespan,
        extensions=[apps.views_extension()],
    )
    modules = (
        tools_recipes,
        tools_preflight,
        tools_jobs,
        tools_results,
        tools_sweep,
        tools_compare,
        tools_clusters,
        tools_data,
        tools_docs,
        tools_guidance,
    )
    for module in modules:
        module.register(app)
    apps.link_views(app)
    compact_tool_schemas(app)
    return app
