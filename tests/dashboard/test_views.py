"""Final views are kept (they never change); running ones are resolved on every call."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from jobs.jobhelpers import wait_until
from oumi_mcp_server.dashboard.runs import RunRow
from oumi_mcp_server.dashboard.table import jobs_fragment
from oumi_mcp_server.dashboard.views import FinalViews
from oumi_mcp_server.jobs.models import JobStatusView
from oumi_mcp_server.jobs.service import JobService

PY = sys.executable


def test_only_final_views_are_kept(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    svc = JobService()
    done = svc.submit_argv([PY, "-c", "pass"], cwd=str(tmp_path), name="done")
    wait_until(lambda: svc.status(done.id).status, lambda s: s == "completed")
    running = svc.submit_argv([PY, "-c", "import time; time.sleep(60)"], cwd=str(tmp_path))
    wait_until(lambda: svc.status(running.id).status, lambda s: s == "running")
    asked: list[str] = []
    real_status = svc.status

    def counting(job_id: str) -> JobStatusView:
        asked.append(job_id)
        return real_status(job_id)

    monkeypatch.setattr(svc, "status", counting)
    final = FinalViews(max_kept=10)
    for _ in range(3):
        views, total = final.newest(svc, 10)
        assert [(v.job_id, v.status) for v in views] == [
            (running.id, "running"),
            (done.id, "completed"),
        ] and total == 2
    assert asked.count(done.id) == 1 and asked.count(running.id) == 3
    assert final.views(svc, ["train-gone", done.id])[0].job_id == done.id  # unknown ids skipped
    assert 'data-live="1"' in jobs_fragment([RunRow(v) for v in views], [], total)
    # nothing active: poll slowly
    assert 'data-live="slow"' in jobs_fragment([RunRow(views[1])], [], total)
    assert 'data-live="slow"' in jobs_fragment([], [], 0)


def test_kept_views_are_bounded(tmp_path: Path) -> None:
    svc = JobService()
    ids = []
    for i in range(3):
        rec = svc.submit_argv([PY, "-c", "pass"], cwd=str(tmp_path), name=f"j{i}")
        wait_until(lambda r=rec: svc.status(r.id).status, lambda s: s == "completed")
        ids.append(rec.id)
    final = FinalViews(max_kept=2)
    final.views(svc, ids)
    assert len(final._kept) == 2 and (str(svc.root), ids[0]) not in final._kept
