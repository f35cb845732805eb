"""get_sweep's in-chat view of the session's real sweep (tests/experiment_runs.py: 3 points of
the tiny LoRA model with evaluate-after-train), in the ext-apps host in headless Chromium.

A module of its own: the sweep fixture runs its MCP client with anyio.run, which cannot start
once playwright's loop holds the thread, so it is set up before this test opens a browser."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from apps_harness import check_clean, running_harness, show_tool

from browser import needs_chromium, open_browser
from experiment_runs import ExperimentSweep

pytestmark = [needs_chromium, pytest.mark.oumi]


def test_sweep_view_of_the_real_sweep(experiment_sweep: ExperimentSweep, tmp_path: Path) -> None:
    sweep = experiment_sweep
    with running_harness(tmp_path, state=sweep.state_dir) as harness, open_browser() as browser:
        shown = show_tool(browser, harness, "get_sweep", {"sweep_id": sweep.sweep_id})
        view = shown.view
        view.locator("body[data-state=shown]").wait_for(timeout=60_000)
        ranked = sweep.view["points"]
        rows = view.locator("#ranked tbody tr")
        assert rows.count() == len(ranked) == 3
        for i, point in enumerate(ranked):
            cells = rows.nth(i).locator("td")
            assert cells.nth(1).inner_text() == str(point["index"])
            assert cells.nth(5).inner_text() == point["job_id"]
        if sweep.view["best"] is not None:
            assert rows.first.get_attribute("class") == "best"
        curves = view.locator("polyline.curve")
        assert curves.count() == 3
        assert all((curves.nth(i).get_attribute("points") or "").strip() for i in range(3))
        check_clean(shown, harness)
        shown.page.screenshot(path=tmp_path / "real-sweep-view.png", full_page=True)

        best = ranked[0]["job_id"]
        point = show_tool(browser, harness, "get_results", {"job_id": best})
        point.view.locator("body[data-state=final]").wait_for(timeout=60_000)
        steps = re.search(r"step (\d+) / \1\b", point.view.locator("#stats").inner_text())
        assert steps is not None
        # one point per training step: the evaluation's {'loss': ...} it also printed is not one
        drawn = point.view.locator("polyline.curve").get_attribute("points") or ""
        assert len(drawn.split()) == int(steps.group(1))
        metrics = point.view.locator("#metrics").inner_text()
        assert "final loss" in metrics and "heldout_loss" in metrics, metrics
        check_clean(point, harness)
        point.page.screenshot(path=tmp_path / "real-sweep-point.png", full_page=True)
