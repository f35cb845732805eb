"""The pieces of the in-chat view tests: our server over HTTP, the ext-apps host harness
(tests/apps_host, `npm ci` on first use), and a page that renders a tool's view in it."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, FrameLocator, Page

from oumi_mcp_server.core.http_token import TOKEN_ENV, TOKEN_FILE
from oumi_mcp_server.core.scripts import server_argv
from testsupport import free_port, stop_process, subprocess_env

HOST_DIR = Path(__file__).resolve().parents[1] / "apps_host"
NPM_CI_TIMEOUT_S = 600
READ_TOOLS = {"get_job_status", "get_job_logs", "get_results", "get_sweep", "list_jobs"}


def ensure_host_installed() -> None:
    """`npm ci` in tests/apps_host when its node_modules are missing (a fresh clone)."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        pytest.skip("needs node >= 20 and npm for the MCP Apps host harness (tests/apps_host)")
    if (HOST_DIR / "node_modules" / "@modelcontextprotocol" / "ext-apps").is_dir():
        return
    started = time.monotonic()
    done = subprocess.run(
        [npm, "ci", "--no-audit", "--no-fund"],
        cwd=HOST_DIR,
        capture_output=True,
        text=True,
        timeout=NPM_CI_TIMEOUT_S,
        check=False,
    )
    assert done.returncode == 0, f"npm ci in {HOST_DIR} failed:\n{done.stderr[-2000:]}"
    print(f"npm ci in tests/apps_host took {time.monotonic() - started:.1f} s")


def _wait_listening(proc: subprocess.Popen[Any], port: int, log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"server exited ({proc.returncode}): {log.read_text()[-2000:]}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise AssertionError("the HTTP server did not start listening within 60 s")


@dataclass
class Harness:
    """Our server (`serve --http`, its own token) and the host page's URL in front of it."""

    state: Path
    url: str
    procs: list[subprocess.Popen[Any]] = field(default_factory=list)


@contextmanager
def running_harness(root: Path, state: Path | None = None) -> Iterator[Harness]:
    """Start `oumi-mcp-server serve --http` on `state` (default `root/state`), then the node
    host in front."""
    ensure_host_installed()
    state, log = state or root / "state", root / "server.log"
    state.mkdir(parents=True, exist_ok=True)
    env = subprocess_env({"OUMI_MCP_STATE_DIR": str(state), "OUMI_MCP_CACHE_DIR": str(root)})
    env.pop(TOKEN_ENV, None)
    port = free_port()
    harness = Harness(state, "")
    try:
        with log.open("ab") as out:
            server = subprocess.Popen(
                server_argv("serve", "--http", "--port", str(port)),
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        harness.procs.append(server)
        _wait_listening(server, port, log)
        host = subprocess.Popen(
            ["node", str(HOST_DIR / "server.mjs")],
            env={
                **os.environ,
                "MCP_URL": f"http://127.0.0.1:{port}/mcp",
                "MCP_TOKEN_FILE": str(state / TOKEN_FILE),
            },
            stdout=subprocess.PIPE,
            text=True,
        )
        harness.procs.append(host)
        assert host.stdout is not None
        first = host.stdout.readline().split()
        assert first[:1] == ["listening"], f"the host harness did not start: {first}"
        harness.url = f"http://127.0.0.1:{first[1]}/"
        yield harness
    finally:
        for proc in reversed(harness.procs):
            stop_process(proc)


@dataclass
class HostPage:
    """A host page with one view rendered, and what the browser saw on the way."""

    page: Page
    console_errors: list[str]
    requests: list[str]
    info: dict[str, Any]

    @property
    def view(self) -> FrameLocator:
        return self.page.frame_locator("#view")

    def screenshot(self, path: Path) -> None:
        """The whole host page once the view's last resize is laid out and painted (the viewport
        grown to the page first: a full-page capture can leave the iframe's lower part blank)."""
        frames = "() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))"
        self.page.frames[1].evaluate(frames)
        height = self.page.evaluate("document.documentElement.scrollHeight")
        width = (self.page.viewport_size or {"width": 900})["width"]
        self.page.set_viewport_size({"width": width, "height": height})
        self.page.frames[1].evaluate(frames)
        self.page.evaluate(frames)
        self.page.screenshot(path=path)

    def host_state(self) -> dict[str, Any]:
        state: dict[str, Any] = self.page.evaluate("window.hostState")
        return state


def show_tool(
    browser: Browser,
    harness: Harness,
    tool: str,
    args: dict[str, Any],
    width: int = 900,
    proxy_tools: bool = True,
) -> HostPage:
    """Open the host page, call `tool` as the model would and render its view (in a host
    that forwards the view's tool calls, or, with `proxy_tools=False`, one that does not)."""
    page = browser.new_page(viewport={"width": width, "height": 900})
    errors: list[str] = []
    requests: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("request", lambda r: requests.append(r.url))
    page.goto(harness.url)
    info = page.evaluate(
        "([name, args, proxyTools]) => window.showTool(name, args, { proxyTools })",
        [tool, args, proxy_tools],
    )
    return HostPage(page, errors, requests, info)


def check_clean(shown: HostPage, harness: Harness) -> None:
    """Only read tools called; nothing refused, no error, no CSP report, no foreign request."""
    state = shown.host_state()
    assert state["initialized"] and set(state["calls"]) <= READ_TOOLS, state
    assert state["errors"] == [], state
    assert shown.console_errors == [], shown.console_errors
    assert all(url.startswith(harness.url) for url in shown.requests), shown.requests
