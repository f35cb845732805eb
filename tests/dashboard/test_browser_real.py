"""The dashboard on the session's REAL 3-point learning-rate sweep of the tiny LoRA model with
evaluate-after-train (`experiment_sweep`, tests/experiment_runs.py): the sweep view ranks the
points by the held-out loss, the compare view overlays the three real runs, the evaluation view
shows the prompt suite's categories and examples, the run table groups them under the sweep.
Screenshots of each view are saved under the test's temp folder."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from browser import needs_chromium
from dashboard.livepage import serving, visit
from experiment_runs import METRIC, ExperimentSweep
from oumi_mcp_server.experiments.compare import compare_runs
from oumi_mcp_server.wiring import job_service

DOCS_SHOT = "OUMI_DASHBOARD_DOCS_SCREENSHOT"
"""Set to docs/dashboard.png's path to refresh the README's picture from the real sweep."""


@needs_chromium
@pytest.mark.oumi
def test_views_of_a_real_sweep(
    experiment_sweep: ExperimentSweep, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    experiment_sweep.use(monkeypatch)
    sweep_id, ids = experiment_sweep.sweep_id, experiment_sweep.job_ids
    ranked = [p["job_id"] for p in experiment_sweep.view["points"]]
    expected = compare_runs(job_service(), ids, METRIC)
    shots = tmp_path / "shots"
    with serving() as base, visit(base, shots) as v:
        page = v.page
        v.open(f"/sweeps/{sweep_id}")
        rows = page.locator("table.points tbody tr")
        assert rows.count() == 3
        assert [
            page.get_attribute(f"table.points tbody tr:nth-child({i + 1}) td a", "title")
            for i in range(3)
        ] == ranked  # get_sweep's order: best held-out loss first
        assert all("completed" in rows.nth(i).inner_text() for i in range(3))
        assert METRIC in page.inner_text("table.points thead")
        assert page.locator(".plot[data-metric^=scatter] circle").count() == 3
        assert page.locator(".plot[data-metric=loss] polyline").count() == 3
        shot = v.shot("real-sweep")
        if docs := os.environ.get(DOCS_SHOT):
            shutil.copyfile(shot, docs)

        page.click("text=compare the points")  # ranked by the sweep's metric
        page.wait_for_load_state("networkidle")
        assert f"ranked by {METRIC}" in page.inner_text("h2")
        assert page.locator(".plot[data-metric=loss] polyline").count() == 3
        diff = page.inner_text("table.config-diff")
        assert "training.learning_rate" in diff
        deltas = page.inner_text("table.deltas")
        assert all(row.metric in deltas for row in expected.metrics)
        assert METRIC in deltas and "prompt_suite/accuracy" in deltas
        v.shot("real-compare")

        v.open(f"/jobs/{ranked[0]}/eval")
        assert "heldout_loss" in page.inner_text("body")
        assert page.locator("table.categories tbody tr").count() >= 2
        assert page.locator("table.examples tbody tr").count() >= 1
        v.shot("real-eval")

        v.open("/")
        assert page.locator(f"#runs tr[data-sweep='{sweep_id}']").count() == 3
        page.select_option("#f-sweep", sweep_id)
        page.locator("#sel-all").check()
        assert "Compare selected (3)" in page.inner_text("#compare")
        page.click("#compare")
        page.wait_for_load_state("networkidle")
        assert page.locator(".plot[data-metric=loss] polyline").count() == 3
        v.shot("real-table-compare")
        v.check_clean()
