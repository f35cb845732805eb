"""The dashboard served for real (uvicorn on 127.0.0.1, guard and token) and a Chromium page on it
that logs in once, records every request it makes and every CSP refusal or script error, and
saves screenshots."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import uvicorn
from playwright.sync_api import Browser, Page

from browser import open_browser
from jobs.jobhelpers import wait_until
from oumi_mcp_server.core.http_token import HttpToken
from oumi_mcp_server.dashboard.app import build_app
from oumi_mcp_server.dashboard.respond import Service
from oumi_mcp_server.wiring import job_service
from testsupport import free_port

TOKEN = HttpToken("dashboard-browser-token-" + "0" * 24, "/state/http.token")


@contextmanager
def serving(service: Service = job_service) -> Iterator[str]:
    """The dashboard's base URL while it runs in a thread of this process."""
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(
            build_app(service=service, token=TOKEN),
            host="127.0.0.1",
            port=port,
            log_level="warning",
            log_config=None,
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        wait_until(lambda: server.started, bool, timeout=30)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@dataclass
class Visit:
    page: Page
    base: str
    shots: Path
    requests: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def open(self, path: str) -> None:
        self.page.goto(self.base + path, wait_until="networkidle")

    def shot(self, name: str) -> Path:
        path = self.shots / f"{name}.png"
        self.page.evaluate("document.querySelectorAll('.table-wrap').forEach(w => w.scrollLeft=0)")
        self.page.screenshot(path=str(path), full_page=True)
        return path

    def scroll_width(self) -> int:
        return int(self.page.evaluate("document.documentElement.scrollWidth"))

    def check_clean(self) -> None:
        """Every request stayed on this server; nothing was refused by the CSP; no script error."""
        foreign = [u for u in self.requests if urlsplit(u).hostname != "127.0.0.1"]
        assert not foreign, foreign
        assert not self.problems, self.problems


@contextmanager
def visit(base: str, shots: Path, width: int = 1366, height: int = 900) -> Iterator[Visit]:
    """A logged-in page (the token once, in the URL; then the cookie)."""
    shots.mkdir(parents=True, exist_ok=True)
    browser: Browser
    with open_browser() as browser:
        context = browser.new_context(viewport={"width": width, "height": height})
        page = context.new_page()
        seen = Visit(page, base, shots)
        page.on("request", lambda r: seen.requests.append(r.url))
        page.on("pageerror", lambda exc: seen.problems.append(f"script error: {exc}"))
        page.on(
            "console",
            lambda m: (
                seen.problems.append(m.text)
                if m.type == "error" or "Content Security Policy" in m.text
                else None
            ),
        )
        page.on("dialog", lambda d: d.accept())
        page.goto(f"{base}/?token={TOKEN.value}", wait_until="networkidle")
        yield seen
        context.close()
