"""Faults of the disk and the store (issue 9, item 8): each one is a structured error with a fix,
reads keep working from what can be read, no outcome is lost and the store never silently resets.

The full and read-only file systems are a real tmpfs mounted for the test (root only; skipped with
the reason elsewhere).
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import anyio
import pytest
from mcp import Client

from jobs.jobhelpers import kill_jobs, wait_until
from oumi_mcp_server.core.errors import ServiceError
from oumi_mcp_server.core.faults import fault_error
from oumi_mcp_server.jobs import runfolder
from oumi_mcp_server.jobs.record import JobRecord
from oumi_mcp_server.jobs.service import JobService
from oumi_mcp_server.jobs.store import JobStore
from oumi_mcp_server.server.app import build_server

PY = sys.executable


def _finished_jobs(service: JobService, tmp_path: Path, n: int = 3) -> list[JobRecord]:
    recs = [service.submit_argv([PY, "-c", f"print({i})"], cwd=str(tmp_path)) for i in range(n)]
    for rec in recs:
        wait_until(lambda r=rec: service.status(r.id).status, lambda s: s == "completed")
    service.reconcile()
    with contextlib.closing(sqlite3.connect(service.store.path)) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return recs


def _damage(path: Path, how: str) -> None:
    size = path.stat().st_size
    if how == "empty":
        path.write_bytes(b"")
    elif how == "zeroed":
        path.write_bytes(b"\0" * size)
    elif how == "truncated":
        with path.open("r+b") as fh:
            fh.truncate(size // 2)
    elif how == "garbage":
        path.write_bytes(os.urandom(size))
    elif how == "deleted":
        path.unlink()


@pytest.mark.parametrize("how", ["empty", "zeroed", "truncated", "garbage", "deleted"])
def test_a_damaged_store_is_rebuilt_from_the_run_folders(tmp_path: Path, how: str) -> None:
    service = JobService()
    recs = _finished_jobs(service, tmp_path)
    _damage(service.store.path, how)
    again = JobService()  # what a restarted server does first
    assert sorted(r.id for r in again.store.page(before=None, limit=50)) == sorted(
        r.id for r in recs
    )
    assert all(again.status(r.id).status == "completed" for r in recs)
    aside = list(service.store.path.parent.glob("jobs.sqlite3.damaged-*"))
    assert (aside != []) == (how not in ("deleted",)), aside  # set aside, never thrown away


def test_jobs_repair_restores_what_the_store_lost(tmp_path: Path) -> None:
    service = JobService()
    recs = _finished_jobs(service, tmp_path, 2)
    service.store.delete([recs[0].id])  # a store that looks fine but lost a record
    out = subprocess.run(
        [PY, "-c", "from oumi_mcp_server.cli.main import main; main()", "jobs", "repair"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert out.returncode == 0 and "1 record(s) restored" in out.stdout, out
    assert service.store.get(recs[0].id) is not None


def test_a_replayed_token_stays_spent_after_a_rebuild(tmp_path: Path) -> None:
    service = JobService()
    rec = service.submit_argv([PY, "-c", "pass"], cwd=str(tmp_path), token_digest="digest-1")
    wait_until(lambda: service.status(rec.id).status, lambda s: s == "completed")
    _damage(service.store.path, "garbage")
    with pytest.raises(ServiceError) as err:
        JobService().spend_token("digest-1")
    assert err.value.code == "confirm_token_used"


def test_corrupt_state_json_falls_back_to_the_store_and_to_the_processes(tmp_path: Path) -> None:
    service = JobService(cancel_grace_s=1.0)
    done = _finished_jobs(service, tmp_path, 1)[0]
    (Path(done.run_dir) / runfolder.STATE).write_text("{not json")
    view = service.status(done.id)
    assert view.status == "completed" and "job store" in view.status_source
    running = service.submit_argv([PY, "-c", "import time; time.sleep(120)"], cwd=str(tmp_path))
    wait_until(lambda: service.status(running.id).status, lambda s: s == "running")
    (Path(running.run_dir) / runfolder.STATE).write_bytes(b"\0\0\0")
    assert service.status(running.id).status == "running"  # not a false 'lost'
    result = service.cancel(running.id, approved=True)
    assert result.status == "cancelled" and result.remaining_pids == [], result


def test_a_write_lock_held_too_long_is_a_structured_error_and_reads_go_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    service = JobService()
    done = _finished_jobs(service, tmp_path, 1)[0]
    monkeypatch.setattr(JobStore, "busy_timeout_s", 0.5)
    holder = sqlite3.connect(service.store.path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        assert service.status(done.id).status == "completed"
        assert [j.job_id for j in service.list_jobs().jobs] == [done.id]
        with pytest.raises(sqlite3.OperationalError) as err:
            service.submit_argv([PY, "-c", "pass"], cwd=str(tmp_path))
        fault = fault_error(err.value)
        assert fault is not None and fault.code == "store_busy" and fault.fix
        assert list(runfolder.runs_dir(service.root).iterdir()) == [Path(done.run_dir)]
    finally:
        holder.execute("ROLLBACK")
        holder.close()


@pytest.fixture
def small_fs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A 16 MiB tmpfs as the server's whole state folder."""
    if os.geteuid() != 0:
        pytest.skip("mounting a small tmpfs needs root")
    mnt = tmp_path / f"fs-{uuid.uuid4().hex[:6]}"
    mnt.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=16m", "tmpfs", str(mnt)],
        capture_output=True,
        check=False,
    )
    if done.returncode:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode()[:200]}")
    monkeypatch.setenv("OUMI_MCP_STATE_DIR", str(mnt / "state"))
    try:
        yield mnt
    finally:
        kill_jobs(mnt / "state")
        subprocess.run(["umount", "-l", str(mnt)], check=False)


def _fill(mnt: Path) -> Path:
    filler = mnt / "filler"
    subprocess.run(
        ["dd", "if=/dev/zero", f"of={filler}", "bs=1M", "count=64"],
        capture_output=True,
        check=False,
    )
    return filler


def _error(result: object) -> dict[str, str]:
    text = result.content[0].text  # type: ignore[attr-defined]
    return json.loads(text)["error"]  # type: ignore[no-any-return]


@pytest.mark.anyio
async def test_full_disk_structured_errors_and_no_lost_outcome(
    small_fs: Path, tmp_path: Path, project: Path
) -> None:
    service = JobService()
    gate = tmp_path / "gate"
    rec = service.submit_argv(
        [PY, "-c", f"import os, time\nwhile not os.path.exists({str(gate)!r}): time.sleep(0.05)"],
        cwd=str(tmp_path),
    )
    wait_until(lambda: service.status(rec.id).status, lambda s: s == "running")
    async with Client(build_server()) as c:
        plan = (
            await c.call_tool(
                "run_oumi_job",
                {"command": "train", "config": "train.yaml", "client_cwd": str(project)},
            )
        ).structured_content
        assert plan is not None and plan["confirm_token"]
        filler = _fill(small_fs)
        gate.touch()  # the job ends while its supervisor cannot write the exit record
        launch = await c.call_tool(
            "run_oumi_job",
            {
                "command": "train",
                "config": "train.yaml",
                "client_cwd": str(project),
                "confirm_token": plan["confirm_token"],
            },
        )
        assert launch.is_error and _error(launch)["code"] == "disk_full", launch
        listed = await c.call_tool("list_jobs", {})  # reads keep working
        assert not listed.is_error and [j["job_id"] for j in listed.structured_content["jobs"]] == [
            rec.id
        ]
        assert len(list(runfolder.runs_dir(service.root).iterdir())) == 1  # no orphan folder
        filler.unlink()  # space comes back: the supervisor's retry records the outcome
        view = wait_until(
            lambda: service.status(rec.id), lambda v: v.status != "running", timeout=60
        )
        assert view.status == "completed", view


@pytest.mark.anyio
async def test_read_only_state_reads_work_and_writes_say_why(
    small_fs: Path, tmp_path: Path, project: Path
) -> None:
    service = JobService()
    done = _finished_jobs(service, tmp_path, 1)[0]
    await anyio.run_process(["mount", "-o", "remount,ro", str(small_fs)])
    async with Client(build_server()) as c:
        status = await c.call_tool("get_job_status", {"job_id": done.id})
        assert not status.is_error and status.structured_content["status"] == "completed"
        listed = await c.call_tool("list_jobs", {})
        assert not listed.is_error, listed
        plan = await c.call_tool(
            "run_oumi_job", {"command": "train", "config": "train.yaml", "client_cwd": str(project)}
        )
        assert plan.is_error and _error(plan)["code"] in ("state_read_only", "state_not_writable")
