"""The sweep view in headless Chromium: points ranked by the sweep's metric with their status, the
metric against the learning rate, the points' loss curves, the sweep named in the run table;
Cancel (a person's click, confirmed) stops every point still queued or running. A cancel POST
without the page's token, or from another origin, changes nothing."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from browser import needs_chromium
from dashboard.fakesweep import RATES, finished, start_sweep
from dashboard.livepage import TOKEN, serving, visit
from jobs.jobhelpers import kill_jobs, wait_until
from oumi_mcp_server.dashboard.app import build_app
from oumi_mcp_server.dashboard.sweep_page import csrf_token
from oumi_mcp_server.experiments.sweep import SweepService

BASE = "http://127.0.0.1:8766"


@needs_chromium
def test_sweep_view_ranks_plots_and_links(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    sweeps, sweep_id = start_sweep(tmp_path, monkeypatch)
    view = finished(sweeps, sweep_id)
    assert [p.rank for p in view.points] == [1, 2, 3]
    with serving() as base, visit(base, tmp_path / "shots") as v:
        v.open(f"/sweeps/{sweep_id}")
        page = v.page
        rows = page.locator("table.points tbody tr")
        assert rows.count() == 3
        ranked = [rows.nth(i).inner_text() for i in range(3)]
        # the highest learning rate falls fastest: best first, each completed with its value
        assert [str(r) in t for r, t in zip(reversed(RATES), ranked, strict=True)] == [True] * 3
        assert all("completed" in t for t in ranked)
        assert page.locator(".plot[data-metric^=scatter] circle").count() == 3
        assert page.locator(".plot[data-metric=loss] polyline").count() == 3
        assert page.locator("#cancel-sweep").count() == 0  # nothing left to cancel
        v.shot("sweep")
        v.open("/")
        assert page.locator(f"#runs tr[data-sweep='{sweep_id}']").count() == 3
        page.select_option("#f-sweep", sweep_id)
        assert page.locator("#runs tbody tr:not([hidden])").count() == 3
        v.check_clean()
    with serving() as base, visit(base, tmp_path / "shots", width=420, height=800) as v:
        v.open(f"/sweeps/{sweep_id}")
        assert v.scroll_width() <= 420
        v.shot("sweep-420")
        v.check_clean()


@needs_chromium
def test_cancel_from_the_sweep_page(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    sweeps, sweep_id = start_sweep(tmp_path, monkeypatch, gate=tmp_path / "never")
    wait_until(lambda: sweeps.get(sweep_id).counts, lambda c: c == {"running": 1, "queued": 2})
    with serving() as base, visit(base, tmp_path / "shots") as v:
        v.open(f"/sweeps/{sweep_id}")
        v.page.click("#cancel-sweep")  # the confirm() dialog is accepted by the test's page
        note = wait_until(lambda: v.page.inner_text("#cancel-result"), bool, timeout=30)
        assert "cancelled" in note, note
        v.check_clean()
    view = sweeps.get(sweep_id)
    assert view.status == "cancelled" and view.counts == {"cancelled": 3}


def test_cancel_needs_the_page_token_and_origin(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sweeps, sweep_id = start_sweep(tmp_path, monkeypatch, gate=tmp_path / "never")
    try:
        _refused_cancels(sweeps, sweep_id)
    finally:  # its first point waits for a gate that never opens: stop the queued ones first
        sweeps.cancel(sweep_id, force=True, approved=True)
        kill_jobs(Path(os.environ["OUMI_MCP_STATE_DIR"]))


def _refused_cancels(sweeps: SweepService, sweep_id: str) -> None:
    wait_until(lambda: sweeps.get(sweep_id).counts, lambda c: c == {"running": 1, "queued": 2})
    auth = {"Authorization": f"Bearer {TOKEN.value}"}
    with TestClient(build_app(token=TOKEN), base_url=BASE, headers=auth) as client:
        page = client.get(f"/sweeps/{sweep_id}").text
        url = f"/api/sweeps/{sweep_id}/cancel"
        for headers in (
            {"Origin": BASE},  # no token
            {"Origin": BASE, "X-Dashboard-CSRF": "0" * 64},  # a wrong one
            {"X-Dashboard-CSRF": csrf_token(b"x" * 32, sweep_id)},  # no Origin either
            {"Origin": "http://127.0.0.1:9999", "X-Dashboard-CSRF": "x"},  # another origin
        ):
            resp = client.post(url, headers=headers)
            assert resp.status_code == 403, headers
        assert client.get(url).status_code == 405
        assert sweeps.get(sweep_id).counts == {"running": 1, "queued": 2}  # nothing stopped
        assert 'id="cancel-sweep"' in page and "data-csrf=" in page
    with TestClient(build_app(token=TOKEN), base_url=BASE) as anonymous:
        assert anonymous.post(url, headers={"Origin": BASE}).status_code == 401
