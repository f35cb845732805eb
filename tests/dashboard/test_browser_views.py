"""The compare and evaluation views in headless Chromium: three runs overlaid on every metric
they logged, smoothing and log scale redraw the curves, the deltas and config differences are
`compare_runs`'s; the evaluation view shows per-task and per-category scores and the prompt-suite
examples; hostile names and values stay text, nothing leaves 127.0.0.1, the CSP refuses nothing."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from browser import needs_chromium
from dashboard.fakeruns import HOSTILE, finished_run, stage, suite
from dashboard.livepage import Visit, serving, visit
from jobs.jobhelpers import wait_until
from oumi_mcp_server.dashboard.compare_view import compare_url
from oumi_mcp_server.experiments.compare import compare_runs
from oumi_mcp_server.jobs.record import JobRecord
from oumi_mcp_server.wiring import job_service


@pytest.fixture
def three(tmp_path: Path) -> list[JobRecord]:
    svc = job_service()
    odd = {"peft": {"lora_r": HOSTILE}}  # a config value only the first run has
    return [
        finished_run(svc, tmp_path, f"run {HOSTILE}", lr, suite(acc), odd if lr == 1e-4 else None)
        for lr, acc in ((1e-4, 0.4), (3e-4, 0.7), (1e-3, 0.9))
    ]


def _polylines(v: Visit, metric: str) -> list[str]:
    return list(
        v.page.eval_on_selector_all(
            f".plot[data-metric={metric}] polyline", "ls => ls.map(l => l.getAttribute('points'))"
        )
    )


@needs_chromium
def test_compare_overlays_three_runs(three: list[JobRecord], tmp_path: Path) -> None:
    ids = [r.id for r in three]
    expected = compare_runs(job_service(), ids)
    with serving() as base, visit(base, tmp_path / "shots") as v:
        v.open(compare_url(ids))
        page = v.page
        metrics = page.eval_on_selector_all(".plot", "ps => ps.map(p => p.dataset.metric)")
        assert metrics[:4] == ["loss", "eval_loss", "learning_rate", "grad_norm"]
        for metric in metrics:
            assert len(_polylines(v, metric)) == 3, metric
        raw = _polylines(v, "loss")
        page.fill("#ema", "0.9")
        page.dispatch_event("#ema", "input")
        smoothed = _polylines(v, "loss")
        assert smoothed != raw and page.inner_text("#ema-value") == "0.90"
        page.check("#logscale")
        assert _polylines(v, "loss") not in (raw, smoothed)
        # the same numbers as the tool: the differing key and every metric row
        diff = page.inner_text("table.config-diff")
        assert "training.learning_rate" in diff and "0.001" in diff
        assert "peft.lora_r" in diff and HOSTILE in diff
        deltas = page.inner_text("table.deltas")
        for row in expected.metrics:
            assert row.metric in deltas
        assert page.locator("table.deltas .better, table.deltas .worse").count() > 0
        assert page.locator("img").count() == 0 and HOSTILE in page.inner_text(".legend-runs")
        v.shot("compare")
        # smoothing and log scale are kept when the page redraws after a poll
        page.evaluate("window.oumiDash.onMount.forEach(h => h())")
        assert page.is_checked("#logscale") and page.input_value("#ema") == "0.9"
        v.check_clean()
    with serving() as base, visit(base, tmp_path / "shots", width=420, height=800) as v:
        v.open(compare_url(ids))
        assert v.scroll_width() <= 420
        v.shot("compare-420")
        v.check_clean()


@needs_chromium
def test_eval_view_shows_tasks_categories_and_examples(tmp_path: Path) -> None:
    run = finished_run(job_service(), tmp_path, f"eval {HOSTILE}", 3e-4, suite(0.7))
    with serving() as base, visit(base, tmp_path / "shots") as v:
        v.open(f"/jobs/{run.id}/eval")
        page = v.page
        assert "prompt_suite" in page.inner_text(".task h2")
        metrics = page.inner_text("table.metrics")
        assert "accuracy" in metrics and "0.7" in metrics
        categories = page.inner_text("table.categories")
        assert "arithmetic" in categories and "capitals" in categories
        assert f"odd {HOSTILE}" in categories
        examples = page.locator("table.examples tbody tr")
        assert examples.count() == 2
        assert "fail" in examples.nth(0).inner_text() and "pass" in examples.nth(1).inner_text()
        assert f"5 {HOSTILE}" in examples.nth(0).inner_text()
        assert page.locator("img").count() == 0
        assert v.scroll_width() <= 1366
        v.shot("eval")
        v.check_clean()
    with serving() as base, visit(base, tmp_path / "shots", width=420, height=800) as v:
        v.open(f"/jobs/{run.id}/eval")
        assert v.scroll_width() <= 420
        v.shot("eval-420")
        v.check_clean()


@needs_chromium
def test_a_running_jobs_curve_and_progress_update_without_reload(tmp_path: Path) -> None:
    svc = job_service()
    early, late, out, gate = (tmp_path / n for n in ("early", "late", "out", "gate"))
    stage(early, 1e-3, steps=3)
    stage(late, 1e-3, steps=12)
    state = "trainer_state.json"
    code = (
        "import os, shutil, time\n"
        f"os.makedirs({str(out)!r})\n"
        f"shutil.copy({str(early / state)!r}, {str(out / state)!r})\n"
        f"while not os.path.exists({str(gate)!r}): time.sleep(0.05)\n"
        f"shutil.copy({str(late / state)!r}, {str(out / state)!r})\n"
        "time.sleep(60)\n"
    )
    rec = svc.submit_argv(
        [sys.executable, "-c", code], cwd=str(tmp_path), command="train", output_dir=str(out)
    )
    wait_until(lambda: svc.status(rec.id).progress, lambda p: p is not None and p.step == 3)
    with serving() as base, visit(base, tmp_path / "shots") as v:
        v.open(f"/jobs/{rec.id}")
        page = v.page
        points = "document.querySelector('polyline.line').getAttribute('points').split(' ').length"
        assert page.evaluate(points) == 3 and "3/3" in page.inner_text("dl.facts")
        page.evaluate("window.notReloaded = true")
        gate.touch()
        wait_until(lambda: page.evaluate(points), lambda n: n == 12, timeout=30)
        assert "12/12" in page.inner_text("dl.facts") and page.evaluate("window.notReloaded")
        v.shot("job-live")
        v.check_clean()
