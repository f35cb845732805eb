"""The MCP Apps views as a client sees them: linked tools, ui:// resources (small,
self-contained, built without markup from data), and the same answers with or without the
extension (a client that did not negotiate it loses nothing)."""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Any

import pytest
from mcp import Client
from mcp.client.extension import ClientExtension
from mcp.server.apps import APP_MIME_TYPE, EXTENSION_ID, Apps
from mcp.server.mcpserver import MCPServer

from oumi_mcp_server.jobs.service import JobService
from oumi_mcp_server.server import apps as apps_module
from oumi_mcp_server.server.app import build_server
from oumi_mcp_server.server.apps import VIEW_OF_TOOL, view_html

MAX_VIEW_BYTES = 60 * 1024
SVG_NS = "http://www.w3.org/2000/svg"
# Ways a page turns a string into markup or code: none may appear in a view.
UNSAFE_SINKS = ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(")


class AppsSupport(ClientExtension):
    """What a host that renders MCP Apps declares."""

    identifier = EXTENSION_ID

    def settings(self) -> dict[str, Any]:
        return {"mimeTypes": [APP_MIME_TYPE]}


@pytest.mark.anyio
async def test_linked_tools_point_at_served_views() -> None:
    async with Client(build_server(), extensions=[AppsSupport()]) as c:
        tools = {t.name: t for t in (await c.list_tools()).tools}
        resources = {str(r.uri): r for r in (await c.list_resources()).resources}
        linked = {n: (t.meta or {}).get("ui", {}).get("resourceUri") for n, t in tools.items()}
        assert {n: u for n, u in linked.items() if u} == {
            n: u for n, u in VIEW_OF_TOOL.items() if n in tools
        }
        for uri in set(VIEW_OF_TOOL.values()):
            assert resources[uri].mime_type == APP_MIME_TYPE
            read = (await c.read_resource(uri)).contents[0]
            assert read.mime_type == APP_MIME_TYPE
            html = getattr(read, "text", "")
            assert html.startswith("<!doctype html>") and "oumi:common" not in html
            assert len(html.encode()) <= MAX_VIEW_BYTES
            assert "tools/call" in html and "ui/initialize" in html


@pytest.mark.anyio
async def test_the_server_advertises_the_extension() -> None:
    async with Client(build_server()) as c:
        caps = c.server_capabilities
        assert caps.extensions is not None
        assert EXTENSION_ID in caps.extensions


@pytest.mark.parametrize("file", ["run.html", "compare.html"])
def test_a_view_loads_nothing_and_builds_no_markup_from_data(file: str) -> None:
    html = view_html(file)
    assert re.findall(r"https?://[^\s\"'`)]+", html) == [SVG_NS] * html.count(SVG_NS)
    assert not re.search(r"<(link|img|iframe|object|embed)\b|src=|@import|url\(", html)
    assert [sink for sink in UNSAFE_SINKS if sink in html] == []
    assert re.findall(r"<script\b[^>]*>", html) == ["<script>", "<script>"]  # inline only


@pytest.mark.anyio
async def test_a_view_calls_only_read_tools() -> None:
    """Launching or cancelling goes through the chat (the host's approval), never from a view:
    every tool a view calls is one the server marks read-only, and only `callTool` calls one."""
    async with Client(build_server()) as c:
        tools = {t.name: t for t in (await c.list_tools()).tools}
    for file in ("run.html", "compare.html"):
        html = view_html(file)
        called = set(re.findall(r"callTool\(\s*[\"'`]([A-Za-z0-9_]+)", html))
        assert called and all(name in tools for name in called), (file, called)
        annotations = {n: tools[n].annotations for n in called}
        writing = [n for n, a in annotations.items() if a is None or not a.read_only_hint]
        assert writing == [], (file, writing)
        assert html.count('"tools/call"') == 1 and not re.search(r"callTool\(\s*[^\"'`\s]", html)


def _same(answer: Any) -> Any:
    """An answer without the instant it was observed (the only field that moves)."""
    data = dict(answer.structured_content or {})
    data.pop("observed_at", None)
    return data, answer.is_error


def _server_without_views(monkeypatch: pytest.MonkeyPatch) -> MCPServer:
    """The server as it was before the views: no Apps resources, no tool linked."""
    with monkeypatch.context() as m:
        m.setattr(apps_module, "views_extension", Apps)
        m.setattr(apps_module, "link_views", lambda app: None)
        return build_server()


@pytest.mark.anyio
async def test_a_client_without_the_extension_gets_the_answers_of_before(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    service = JobService()
    code = "print({'loss': '2.5', 'step': 1}); print({'loss': '1.5', 'step': 2})"
    rec = service.submit_argv([sys.executable, "-c", code], cwd=str(tmp_path), name="plain")
    calls = [
        ("get_job_status", {"job_id": rec.id}),
        ("wait_for_job", {"job_id": rec.id, "timeout_s": 1}),
        ("get_results", {"job_id": rec.id}),
        ("get_job_logs", {"job_id": rec.id}),
        ("get_job_status", {"job_id": "no-such-job"}),
    ]
    async with (
        Client(_server_without_views(monkeypatch)) as before,
        Client(build_server()) as plain,
        Client(build_server(), extensions=[AppsSupport()]) as apps,
    ):
        ended = await plain.call_tool("wait_for_job", {"job_id": rec.id, "timeout_s": 60})
        assert (ended.structured_content or {})["status"] == "completed", ended
        for name, args in calls:
            answers = [await c.call_tool(name, args) for c in (before, plain, apps)]
            assert len({repr(_same(a)) for a in answers}) == 1, name
            assert len({repr(a.meta) for a in answers}) == 1, name
        old = (await before.list_tools()).tools
        new = (await plain.list_tools()).tools
        assert (await apps.list_tools()).tools == new
        assert [t.model_copy(update={"meta": None}) for t in new] == old
        assert {t.name for t in new if t.meta} == set(VIEW_OF_TOOL) & {t.name for t in new}
