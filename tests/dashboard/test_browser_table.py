"""The run table in headless Chromium: sort, filter, choose columns, select to compare; a
64-character name on a 1366 px screen and the whole page at 420 px stay within the viewport;
live rows update in place; the favicon is served; hostile names stay text; no request leaves
127.0.0.1 and the CSP refuses nothing."""

from __future__ import annotations

from pathlib import Path

import pytest

from browser import needs_chromium
from dashboard.fakeruns import HOSTILE, finished_run, suite
from dashboard.livepage import serving, visit
from jobs.jobhelpers import wait_until
from oumi_mcp_server.jobs.record import JobRecord
from oumi_mcp_server.wiring import job_service

LONG_NAME = "lora-sft-" + "x" * 47 + "-lr-1e-3"  # 64 characters


@pytest.fixture
def runs(tmp_path: Path) -> list[JobRecord]:
    svc = job_service()
    assert len(LONG_NAME) == 64
    return [
        finished_run(svc, tmp_path, f"alpha {HOSTILE}", 1e-4, suite(0.4)),
        finished_run(svc, tmp_path, "beta", 3e-4, suite(0.7), {"peft": {"lora_r": HOSTILE}}),
        finished_run(svc, tmp_path, LONG_NAME, 1e-3, suite(0.9)),
    ]


def _column(v, index: int) -> list[str]:  # type: ignore[no-untyped-def]
    return list(
        v.page.eval_on_selector_all(
            "#runs tbody tr:not([hidden])",
            f"rows => rows.map(r => r.cells[{index}].dataset.sort)",
        )
    )


def _index(v, key: str) -> int:  # type: ignore[no-untyped-def]
    return int(
        v.page.eval_on_selector_all(
            "#runs thead th",
            f"ths => ths.findIndex(t => (t.dataset.key || t.dataset.col) === {key!r})",
        )
    )


@needs_chromium
def test_run_table_sorts_filters_selects_and_fits(runs: list[JobRecord], tmp_path: Path) -> None:
    shots = tmp_path / "shots"
    with serving() as base, visit(base, shots) as v:
        v.open("/")
        page = v.page
        assert page.locator("#runs tbody tr").count() == 3
        # metric columns: final loss, the eval metric, the learning rate (a differing key)
        heads = page.eval_on_selector_all("#runs thead th", "ths => ths.map(t => t.textContent)")
        assert {"final loss", "best loss", "lr"} <= set(heads), heads
        assert "prompt_suite/accuracy" in heads
        # sort by final loss, both ways (numeric, not text order)
        loss = _index(v, "final_loss")
        page.click("#runs thead th[data-col=final_loss]")
        up = [float(x) for x in _column(v, loss)]
        assert up == sorted(up) and len(set(up)) == 3
        page.click("#runs thead th[data-col=final_loss]")
        assert [float(x) for x in _column(v, loss)] == sorted(up, reverse=True)
        acc = _index(v, "eval:prompt_suite/accuracy")
        page.click("#runs thead th[data-col='eval:prompt_suite/accuracy']")
        assert [float(x) for x in _column(v, acc)] == [0.4, 0.7, 0.9]
        # filter by name, then status and command
        page.fill("#f-name", "beta")
        assert page.locator("#runs tbody tr:not([hidden])").count() == 1
        page.fill("#f-name", "")
        page.select_option("#f-status", "completed")
        page.select_option("#f-command", "train")
        assert page.locator("#runs tbody tr:not([hidden])").count() == 3
        # choose columns: hide the learning rate
        page.click("details.cols summary")
        page.uncheck(".cols input[data-col='cfg:training.learning_rate']")
        assert not page.locator("#runs th[data-col='cfg:training.learning_rate']").is_visible()
        page.click("details.cols summary")
        # the hostile name is text, not markup
        assert page.locator("#runs img").count() == 0
        names = page.eval_on_selector_all("#runs td.c-name span", "s => s.map(x => x.title)")
        assert f"alpha {HOSTILE}" in names and "&hellip;" not in str(names)
        odd = page.locator("#runs td[data-col='cfg:peft.lora_r'] span[title]")
        assert odd.get_attribute("title") == HOSTILE
        # the 64-character name: no page-wide horizontal overflow at 1366 px
        assert LONG_NAME in page.locator("#runs").inner_html()
        assert v.scroll_width() <= 1366
        v.shot("run-table")
        # select two rows -> compare link with both ids
        boxes = page.locator("#runs tbody td.sel input")
        boxes.nth(0).check()
        boxes.nth(2).check()
        href = page.get_attribute("#compare", "href") or ""
        assert href.startswith("/compare?ids=") and len(href.split(",")) == 2
        assert "Compare selected (2)" in page.inner_text("#compare")
        fav = page.request.get(base + "/favicon.ico")
        assert fav.status == 200 and fav.headers["content-type"].startswith("image/svg+xml")
        v.check_clean()
    with serving() as base, visit(base, shots, width=420, height=800) as v:
        v.open("/")
        assert v.scroll_width() <= 420
        v.shot("run-table-420")
        v.open(f"/jobs/{runs[2].id}")
        assert v.scroll_width() <= 420
        v.shot("job-420")
        v.check_clean()


@needs_chromium
def test_live_rows_update_in_place(tmp_path: Path) -> None:
    svc = job_service()
    done = finished_run(svc, tmp_path, "done", 1e-4)
    gate = tmp_path / "gate"
    live = finished_run(svc, tmp_path, "live", 3e-4, gate=gate)
    with serving() as base, visit(base, tmp_path / "shots") as v:
        v.open("/")
        page = v.page
        row = f"#runs tr[data-id='{live.id}']"
        assert "running" in page.inner_text(row)
        page.evaluate("document.getElementById('runs').dataset.mark = 'kept'")
        page.locator(f"#runs tr[data-id='{done.id}'] td.sel input").check()
        page.click("#runs thead th[data-key=name]")
        names = page.eval_on_selector_all("#runs tbody tr", "rs => rs.map(r => r.dataset.name)")
        gate.touch()
        wait_until(lambda: svc.status(live.id).status, lambda s: s == "completed")
        page.wait_for_selector(f"{row} .s-completed", timeout=20_000)
        # the same table element: sort order, selection and the mark survived the update
        assert page.evaluate("document.getElementById('runs').dataset.mark") == "kept"
        assert page.locator(f"#runs tr[data-id='{done.id}'] td.sel input").is_checked()
        after = page.eval_on_selector_all("#runs tbody tr", "rs => rs.map(r => r.dataset.name)")
        assert after == names
        v.check_clean()
