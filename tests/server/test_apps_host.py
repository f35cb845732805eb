"""The in-chat views in a real MCP Apps host: the ext-apps AppBridge (tests/apps_host) in
headless Chromium, in front of our server started over HTTP with its token. Each view is
rendered from the tool's `_meta.ui.resourceUri` under the spec's default CSP, refreshes itself
through the host, and is checked on its DOM; screenshots land in the test's tmp_path. Here on
jobs of a stand-in; test_apps_sweep.py does the same on the session's real oumi runs."""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import anyio
import pytest
from apps_harness import Harness, check_clean, running_harness, show_tool
from mcp import Client
from playwright.sync_api import Browser

from browser import needs_chromium, open_browser
from oumi_mcp_server.jobs.service import JobService
from oumi_mcp_server.server.app import build_server

pytestmark = [needs_chromium, pytest.mark.slow]
HOSTILE = '<img src=x onerror="window.parent.pwned=1">&amp;</pre></script><b>x</b>'
LIVE_JOB = f"""
import time
print({HOSTILE!r}, flush=True)
for i in range(1, 6):
    print({{'loss': str(round(3.0 / i, 3)), 'step': i}}, flush=True)
    time.sleep(1.0)
"""


@pytest.fixture(scope="module")
def harness(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Harness]:
    with running_harness(tmp_path_factory.mktemp("apps_host")) as started:
        yield started


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with open_browser() as opened:
        yield opened


@pytest.fixture
def jobs(harness: Harness, monkeypatch: pytest.MonkeyPatch) -> JobService:
    """A job service on the server's own state folder."""
    monkeypatch.setenv("OUMI_MCP_STATE_DIR", str(harness.state))
    return JobService()


def test_run_view_follows_a_live_job_and_shows_hostile_text_as_text(
    harness: Harness, browser: Browser, jobs: JobService, tmp_path: Path
) -> None:
    rec = jobs.submit_argv(
        [sys.executable, "-c", LIVE_JOB], cwd=str(tmp_path), name="live-<b>job</b>"
    )
    deadline = time.monotonic() + 30
    while jobs.status(rec.id).status != "running" and time.monotonic() < deadline:
        time.sleep(0.2)
    shown = show_tool(browser, harness, "get_job_status", {"job_id": rec.id})
    view = shown.view
    assert shown.info["uri"] == "ui://oumi/run.html"
    view.locator("body[data-state=live]").wait_for(timeout=30_000)
    assert view.locator("#status").inner_text() == "running"
    shown.screenshot(tmp_path / "run-view-live.png")
    view.locator("#cancel").click()  # asks the chat; never calls cancel_job itself
    view.locator("body[data-state=final]").wait_for(timeout=40_000)
    assert view.locator("#status").inner_text() == "completed"
    points = view.locator("polyline.curve").get_attribute("points") or ""
    assert len(points.split()) == 5
    assert view.locator("#name").inner_text() == "live-<b>job</b>"
    assert HOSTILE in view.locator("#logs").inner_text()
    assert view.locator("img, #logs *, #name *").count() == 0
    assert shown.page.evaluate("window.pwned") is None
    state = shown.host_state()
    assert [m["content"][0]["text"] for m in state["messages"]] == [
        f"Cancel the Oumi job {rec.id}."
    ]
    assert "cancel_job" not in state["calls"]
    check_clean(shown, harness)
    shown.screenshot(tmp_path / "run-view-final.png")


def test_sweep_view_ranks_the_points_and_overlays_their_curves(
    harness: Harness, browser: Browser, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A 3-point sweep of the stand-in oumi, launched as a person approves it, then get_sweep."""
    from jobs.jobhelpers import make_project

    monkeypatch.setenv("OUMI_MCP_STATE_DIR", str(harness.state))
    project = make_project(tmp_path, monkeypatch)
    grid = {"training.learning_rate": [0.0001, 0.001, 0.01]}

    async def launch() -> dict[str, Any]:
        async with Client(build_server()) as client:
            if "get_sweep" not in {t.name for t in (await client.list_tools()).tools}:
                pytest.skip("get_sweep is not registered in this build")
            args: dict[str, Any] = {
                "config": "train.yaml",
                "client_cwd": str(project),
                "metric": "final_loss",
                "grid": grid,
                "envs": {"FAKE_DELAY": "0.6", "FAKE_STEPS": "6"},
            }
            plan = (await client.call_tool("run_sweep", args)).structured_content or {}
            args["confirm_token"] = plan["confirm_token"]
            return (await client.call_tool("run_sweep", args)).structured_content or {}

    with ThreadPoolExecutor(1) as pool:  # playwright's loop owns this thread
        launched = pool.submit(anyio.run, launch).result()
    assert launched["launched"], launched
    shown = show_tool(browser, harness, "get_sweep", {"sweep_id": launched["sweep_id"]})
    view = shown.view
    assert shown.info["uri"] == "ui://oumi/compare.html"
    view.locator("body[data-state=shown]").wait_for(timeout=30_000)
    view.locator("#cancel").click()  # while it runs: asks the chat, calls nothing
    view.locator("#status", has_text="completed").wait_for(timeout=90_000)
    rows = view.locator("#ranked tbody tr")
    assert rows.count() == 3
    table = view.locator("#ranked").inner_text()
    assert all(f"training.learning_rate={v}" in table for v in grid["training.learning_rate"])
    curves = view.locator("polyline.curve")
    assert curves.count() == 3
    assert all(len((curves.nth(i).get_attribute("points") or "").split()) == 6 for i in range(3))
    messages = [m["content"][0]["text"] for m in shown.host_state()["messages"]]
    assert messages == [f"Cancel the Oumi sweep {launched['sweep_id']}."]
    check_clean(shown, harness)
    shown.screenshot(tmp_path / "sweep-view.png")


def test_run_view_fits_a_420px_chat_column(
    harness: Harness, browser: Browser, jobs: JobService, tmp_path: Path
) -> None:
    """A 64-character name and long log lines wrap; nothing scrolls sideways."""
    name = "n" * 64
    code = "print('x' * 300); print({'loss': '1.5', 'step': 1}); print({'loss': '1.0', 'step': 2})"
    rec = jobs.submit_argv([sys.executable, "-c", code], cwd=str(tmp_path), name=name)
    shown = show_tool(browser, harness, "wait_for_job", {"job_id": rec.id}, width=420)
    shown.view.locator("body[data-state=final]").wait_for(timeout=60_000)
    frame = shown.page.frames[1]
    assert frame.evaluate("document.documentElement.scrollWidth") <= 420
    assert shown.page.evaluate("document.documentElement.scrollWidth") <= 420
    assert shown.view.locator("#name").inner_text() == name
    check_clean(shown, harness)
    shown.screenshot(tmp_path / "run-view-420.png")


def test_a_host_that_forwards_no_tool_calls_still_shows_the_answer(
    harness: Harness, browser: Browser, jobs: JobService, tmp_path: Path
) -> None:
    code = "print({'loss': '2.0', 'step': 1})"
    rec = jobs.submit_argv([sys.executable, "-c", code], cwd=str(tmp_path), name="static")
    shown = show_tool(
        browser, harness, "wait_for_job", {"job_id": rec.id, "timeout_s": 60}, proxy_tools=False
    )
    view = shown.view
    view.locator("body[data-state=static]").wait_for(timeout=60_000)
    assert view.locator("#status").inner_text() == "completed"
    assert view.locator("#name").inner_text() == "static"
    assert "refresh itself" in view.locator("#note").inner_text()
    assert shown.host_state()["calls"] == []
    check_clean(shown, harness)
