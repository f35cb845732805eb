"""In-chat views through the MCP Apps extension (`io.modelcontextprotocol/ui`).

Two `ui://` HTML resources (package data in `views/`): a run view (progress, loss curve, last
log lines, final metrics) and a compare view (overlaid curves, ranked table). Existing tools
point at them through `_meta.ui.resourceUri`; their answers do not change, so a client without
the extension sees the same structured results and only the added `_meta` in tools/list.

A view refreshes itself by calling read tools through the host (get_job_status, get_job_logs,
get_results, get_sweep); anything that acts goes back through the chat, under the host's
normal tool approval. Each view is one self-contained document (inline script and style, no
network), so it renders under the spec's default CSP (`connect-src 'none'`).
"""

from __future__ import annotations

from importlib.resources import files

from mcp.server.apps import Apps
from mcp.server.mcpserver import MCPServer

RUN_VIEW = "ui://oumi/run.html"
COMPARE_VIEW = "ui://oumi/compare.html"
VIEW_OF_TOOL = {
    "get_job_status": RUN_VIEW,
    "wait_for_job": RUN_VIEW,
    "get_results": RUN_VIEW,
    "compare_runs": COMPARE_VIEW,
    "get_sweep": COMPARE_VIEW,
}
"""Which view renders each tool's answer (tools not registered are skipped)."""
_VIEWS = {
    RUN_VIEW: ("run.html", "Oumi run", "A job's progress, loss curve, last log lines, results."),
    COMPARE_VIEW: ("compare.html", "Oumi runs compared", "Overlaid loss curves, ranked runs."),
}
_COMMON = "<!-- oumi:common -->"


def view_html(file: str) -> str:
    """A view with the shared style and script inlined where it says `<!-- oumi:common -->`."""
    folder = files("oumi_mcp_server.server") / "views"
    css = (folder / "common.css").read_text(encoding="utf-8")
    js = (folder / "common.js").read_text(encoding="utf-8")
    page = (folder / file).read_text(encoding="utf-8")
    return page.replace(_COMMON, f"<style>\n{css}</style>\n<script>\n{js}</script>", 1)


def views_extension() -> Apps:
    """The Apps extension with both views as resources (the tools are linked by `link_views`)."""
    apps = Apps()
    for uri, (file, title, description) in _VIEWS.items():
        apps.add_html_resource(
            uri,
            view_html(file),
            name=file.removesuffix(".html") + "_view",
            title=title,
            description=description,
            prefers_border=True,
        )
    return apps


def link_views(app: MCPServer) -> None:
    """Point each registered tool that has a view at it (`_meta.ui.resourceUri`).

    Done after registration, here rather than in each tool module, so the tools stay plain
    `@app.tool` functions and one table says which answer each view renders.
    """
    for tool in app._tool_manager.list_tools():
        uri = VIEW_OF_TOOL.get(tool.name)
        if uri is not None:
            tool.meta = {**(tool.meta or {}), "ui": {"resourceUri": uri}}
