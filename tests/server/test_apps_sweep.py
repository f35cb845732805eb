"""The in-chat views of real oumi runs: the session's 3-point LoRA sweep with evaluate-after-train
(tests/experiment_runs.py), shown by get_sweep, get_results and compare_runs in the ext-apps
host in headless Chromium, against our server over HTTP on the sweep's state folder.

A module of its own: the sweep fixture runs its MCP client with anyio.run, which cannot start
once playwright's loop holds the thread; session fixtures are set up before this module's
browser."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from apps_harness import Harness, check_clean, running_harness, show_tool
from playwright.sync_api import Browser

from browser import needs_chromium, open_browser
from experiment_runs import ExperimentSweep

pytestmark = [needs_chromium, pytest.mark.oumi]


@pytest.fixture(scope="module")
def harness(
    experiment_sweep: ExperimentSweep, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Harness]:
    root = tmp_path_factory.mktemp("apps_sweep")
    with running_harness(root, state=experiment_sweep.state_dir) as started:
        yield started


@pytest.fixture(scope="module")
def browser(harness: Harness) -> Iterator[Browser]:
    with open_browser() as opened:
        yield opened


def test_sweep_view_of_the_real_sweep(
    experiment_sweep: ExperimentSweep, harness: Harness, browser: Browser, tmp_path: Path
) -> None:
    shown = show_tool(browser, harness, "get_sweep", {"sweep_id": experiment_sweep.sweep_id})
    view = shown.view
    view.locator("body[data-state=shown]").wait_for(timeout=60_000)
    ranked = experiment_sweep.view["points"]
    rows = view.locator("#ranked tbody tr")
    assert rows.count() == len(ranked) == 3
    for i, point in enumerate(ranked):
        cells = rows.nth(i).locator("td")
        assert cells.nth(1).inner_text() == str(point["index"])
        assert cells.nth(5).inner_text() == point["job_id"]
    if experiment_sweep.view["best"] is not None:
        assert rows.first.get_attribute("class") == "best"
    curves = view.locator("polyline.curve")
    assert curves.count() == 3
    assert all((curves.nth(i).get_attribute("points") or "").strip() for i in range(3))
    check_clean(shown, harness)
    shown.screenshot(tmp_path / "sweep-view.png")


def test_run_view_of_a_real_point(
    experiment_sweep: ExperimentSweep, harness: Harness, browser: Browser, tmp_path: Path
) -> None:
    """The best point's view: trained to its last step, its curve, training and eval metrics."""
    best = experiment_sweep.view["points"][0]["job_id"]
    shown = show_tool(browser, harness, "get_results", {"job_id": best})
    view = shown.view
    view.locator("body[data-state=final]").wait_for(timeout=60_000)
    assert view.locator("#status").inner_text() == "completed"
    assert view.locator("#bar").get_attribute("aria-valuenow") == "100"
    steps = re.search(r"step (\d+) / \1\b", view.locator("#stats").inner_text())
    assert steps is not None
    # one point per training step: the evaluation's {'loss': ...} it also printed is not one
    drawn = view.locator("polyline.curve").get_attribute("points") or ""
    assert len(drawn.split()) == int(steps.group(1))
    metrics = view.locator("#metrics").inner_text()
    for shown_metric in ("final loss", "best loss", "heldout_loss loss", "prompt_suite accuracy"):
        assert shown_metric in metrics, metrics
    assert "adapter" in metrics
    assert view.locator("#logs").inner_text().strip()
    check_clean(shown, harness)
    shown.screenshot(tmp_path / "run-view.png")


def test_compare_view_overlays_the_three_runs(
    experiment_sweep: ExperimentSweep, harness: Harness, browser: Browser, tmp_path: Path
) -> None:
    ids = experiment_sweep.job_ids
    shown = show_tool(browser, harness, "compare_runs", {"job_ids": ids})
    view = shown.view
    assert shown.info["uri"] == "ui://oumi/compare.html"
    view.locator("body[data-state=shown]").wait_for(timeout=60_000)
    assert view.locator("polyline.curve").count() == 3
    assert all(job in view.locator("#ranked").inner_text() for job in ids)
    assert "training.learning_rate" in view.locator("#config").inner_text()
    assert "final_loss" in view.locator("#metrics").inner_text()
    check_clean(shown, harness)
    shown.screenshot(tmp_path / "compare-view.png")
