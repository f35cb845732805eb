"""list_jobs: newest first, cursor pagination, status filter, bad arguments."""

from __future__ import annotations

from pathlib import Path

import pytest

from oumi_mcp_server.core.errors import ServiceError
from oumi_mcp_server.jobs import runfolder
from oumi_mcp_server.jobs.record import JobRecord
from oumi_mcp_server.jobs.service import JobService


def _seed(service: JobService, n: int) -> list[str]:
    ids = []
    for i in range(n):
        job_id = f"train-seed-{i:03d}"
        run_dir = runfolder.create_run_dir(service.root, job_id)
        runfolder.write_json_atomic(
            run_dir / runfolder.STATE,
            {"phase": "exited", "exit_code": i % 2, "started_at": 1.0, "ended_at": 2.0},
        )
        service.store.insert(
            JobRecord(
                id=job_id,
                name=job_id,
                command="train",
                backend="local",
                backend_job_id=job_id,
                submitted_at=1000.0 + i // 2,
                run_dir=str(run_dir),
            )
        )
        ids.append(job_id)
    return ids


def test_pages_cover_everything_once_newest_first(service: JobService) -> None:
    ids = _seed(service, 7)
    seen: list[str] = []
    cursor = None
    while True:
        page = service.list_jobs(limit=3, cursor=cursor)
        seen += [j.job_id for j in page.jobs]
        cursor = page.next_cursor
        if cursor is None:
            break
    assert seen == sorted(ids, reverse=True) and page.total_stored == 7


def test_status_filter_and_remembered_outcomes(service: JobService) -> None:
    _seed(service, 6)
    failed = service.list_jobs(status="failed", limit=50)
    assert {j.job_id for j in failed.jobs} == {"train-seed-001", "train-seed-003", "train-seed-005"}
    assert all(j.exit_code == 1 for j in failed.jobs)
    assert service.list_jobs(status="running").jobs == []
    # Listing only reads; reconcile is what remembers the outcomes.
    assert len(service.store.page(before=None, limit=10, unfinished_only=True)) == 6
    assert set(service.reconcile()) == {f"train-seed-{i:03d}" for i in range(6)}
    assert service.store.page(before=None, limit=10, unfinished_only=True) == []


def test_bad_list_arguments(service: JobService) -> None:
    for kwargs, code in (
        ({"limit": 0}, "bad_limit"),
        ({"limit": 10_000}, "bad_limit"),
        ({"cursor": "!!not-a-cursor"}, "bad_cursor"),
        ({"status": "x"}, "bad_status"),
    ):
        with pytest.raises(ServiceError) as err:
            service.list_jobs(**kwargs)  # type: ignore[arg-type]
        assert err.value.code == code


def test_timestamps_are_iso(service: JobService, tmp_path: Path) -> None:
    rec = service.submit_argv(["/bin/true"], cwd=str(tmp_path))
    view = service.status(rec.id)
    assert view.submitted_at.endswith("+00:00") and view.observed_at >= view.submitted_at
