"""Cancel: the whole process group and its strays are gone, recorded cancelled for good."""

from __future__ import annotations

import json
import sys
import textwrap
from pathlib import Path

import psutil
import pytest

from jobs.jobhelpers import alive_in_group, wait_until
from oumi_mcp_server.core.errors import ServiceError
from oumi_mcp_server.jobs import runfolder
from oumi_mcp_server.jobs.service import JobService

PY = sys.executable

# A job with a child that ignores SIGTERM and a grandchild in its own session (outside the group).
STUBBORN = textwrap.dedent(f"""
    import signal, subprocess, sys, time
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    IGNORE = "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); time.sleep(600)"
    subprocess.Popen([{PY!r}, "-c", IGNORE])
    subprocess.Popen([{PY!r}, "-c", "import time; time.sleep(600)"], start_new_session=True)
    print("children started", flush=True)
    time.sleep(600)
""")


def _running(service: JobService, job_id: str) -> dict[str, object]:
    rec = service.store.get(job_id)
    assert rec is not None
    out = Path(rec.run_dir) / "stdout.log"
    wait_until(lambda: out.read_text() if out.exists() else "", lambda t: "children started" in t)
    return runfolder.read_json(Path(rec.run_dir) / runfolder.STATE) or {}


def test_cancel_leaves_no_process_alive(tmp_path: Path) -> None:
    service = JobService(cancel_grace_s=1.0)
    rec = service.submit_argv([PY, "-c", STUBBORN], cwd=str(tmp_path))
    state = _running(service, rec.id)
    job = psutil.Process(int(state["pid"]))  # type: ignore[arg-type]
    family = [job, *job.children(recursive=True)]
    assert len(family) == 4  # the waiter, the job and its two children
    offer = service.cancel(rec.id)
    assert (
        not offer.cancelled and offer.confirm_token and service.status(rec.id).status == "running"
    )
    with pytest.raises(ServiceError) as err:
        service.cancel(
            rec.id, force=True, confirm_token=offer.confirm_token
        )  # token was for force=False
    assert err.value.code == "confirm_token_mismatch"
    result = service.cancel(rec.id, confirm_token=offer.confirm_token)
    assert result.cancelled and result.status == "cancelled" and result.remaining_pids == []
    gone = [p for p in family if p.is_running() and p.status() != psutil.STATUS_ZOMBIE]
    assert gone == [] and alive_in_group(int(state["pgid"])) == []  # type: ignore[arg-type]
    final = json.loads((Path(rec.run_dir) / "state.json").read_text())
    assert final["cancelled"] is True and final["phase"] == "exited"
    assert service.status(rec.id).status == "cancelled"
    again = service.cancel(rec.id)
    assert not again.cancelled and again.status == "cancelled" and "already ended" in again.message


def test_cancel_queued_job_never_starts(service: JobService, tmp_path: Path) -> None:
    blocker = service.submit_argv([PY, "-c", "import time; time.sleep(30)"], cwd=str(tmp_path))
    queued = service.submit_argv([PY, "-c", "print('ran')"], cwd=str(tmp_path))
    assert service.status(queued.id).status == "queued"
    token = service.cancel_offer(queued.id).confirm_token
    result = service.cancel(queued.id, confirm_token=token)
    assert result.status == "cancelled" and "never started" in result.message
    force = service.cancel_offer(blocker.id, force=True).confirm_token
    assert service.cancel(blocker.id, force=True, confirm_token=force).status == "cancelled"
    assert not (Path(queued.run_dir) / "stdout.log").exists()
    assert service.status(queued.id).status == "cancelled"


def test_cancel_of_ended_job_changes_nothing(service: JobService, tmp_path: Path) -> None:
    rec = service.submit_argv([PY, "-c", "pass"], cwd=str(tmp_path))
    wait_until(lambda: service.status(rec.id).status, lambda s: s == "completed")
    before = (Path(rec.run_dir) / "state.json").read_bytes()
    result = service.cancel(rec.id, force=True)
    assert not result.cancelled and result.status == "completed" and result.confirm_token is None
    assert (Path(rec.run_dir) / "state.json").read_bytes() == before
    assert not (Path(rec.run_dir) / "cancel").exists()


def test_cancel_needs_a_valid_token(service: JobService, tmp_path: Path) -> None:
    rec = service.submit_argv([PY, "-c", "import time; time.sleep(30)"], cwd=str(tmp_path))
    other = service.submit_argv([PY, "-c", "pass"], cwd=str(tmp_path))
    token_for_other = service.cancel_offer(other.id).confirm_token
    for bad in ("made-up", token_for_other):
        with pytest.raises(ServiceError):
            service.cancel(rec.id, confirm_token=bad)
    assert service.status(rec.id).status in ("queued", "running")
