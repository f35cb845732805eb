"""The job model's guarantees that once had no test: orphans die with a cancel, a killed
supervisor does not stall the queue, reading never acts, prune sees every backend."""

from __future__ import annotations

import json
import os
import signal
import sys
import textwrap
import time
from pathlib import Path

import psutil
import pytest
from click.testing import CliRunner

from jobs.jobhelpers import wait_until
from oumi_mcp_server.cli.main import cli
from oumi_mcp_server.jobs import cancel_request, queue, runfolder
from oumi_mcp_server.jobs.record import LAUNCHER_BACKEND, JobRecord
from oumi_mcp_server.jobs.service import JobService
from oumi_mcp_server.wiring import job_service

PY = sys.executable

# The job forks a child that leaves it (double fork: reparented away from the job's process),
# stays in the job's process group, ignores SIGTERM and wipes its environment (so nothing but its
# process group ties it to the job), then writes its pid for the test.
ORPHAN_MAKER = textwrap.dedent(f"""
    import os, signal, sys, time
    if os.fork() == 0:
        if os.fork() == 0:
            signal.signal(signal.SIGTERM, signal.SIG_IGN)
            code = "import signal as s, time; s.signal(s.SIGTERM, s.SIG_IGN); time.sleep(600)"
            os.execve({PY!r}, [{PY!r}, "-c", code], {{}})
        os._exit(0)
    os.wait()
    time.sleep(0.5)
    print("orphan made", flush=True)
    time.sleep(600)
""")


def _orphans(pgid: int, job_pid: int) -> list[int]:
    found = []
    for proc in psutil.process_iter(["pid", "status", "ppid"]):
        try:
            if proc.info["status"] == psutil.STATUS_ZOMBIE or proc.pid == job_pid:
                continue
            if os.getpgid(proc.pid) == pgid and proc.info["ppid"] != job_pid:
                found.append(proc.pid)
        except (psutil.Error, OSError):
            continue
    return found


def _start_orphan_job(service: JobService, tmp_path: Path) -> tuple[JobRecord, int, list[int]]:
    rec = service.submit_argv([PY, "-c", ORPHAN_MAKER], cwd=str(tmp_path))
    out = Path(rec.run_dir) / "stdout.log"
    wait_until(lambda: out.read_text() if out.exists() else "", lambda t: "orphan made" in t)
    state = json.loads((Path(rec.run_dir) / runfolder.STATE).read_text())
    orphans = _orphans(state["pgid"], state["pid"])
    assert orphans, "the job made no reparented orphan in its group"
    return rec, state["pgid"], orphans


def _alive(pids: list[int]) -> list[int]:
    out = []
    for pid in pids:
        try:
            if psutil.Process(pid).status() != psutil.STATUS_ZOMBIE:
                out.append(pid)
        except psutil.Error:
            continue
    return out


def test_supervisor_applies_a_cancel_request_to_the_whole_group(tmp_path: Path) -> None:
    """The supervisor alone (no server waiting): a reparented orphan ignoring SIGTERM is gone."""
    service = JobService(cancel_grace_s=1.0)
    rec, _pgid, orphans = _start_orphan_job(service, tmp_path)
    cancel_request.write(Path(rec.run_dir), grace_s=1.0)
    wait_until(lambda: service.status(rec.id).status, lambda s: s == "cancelled", timeout=30)
    wait_until(lambda: _alive(orphans), lambda left: left == [], timeout=10)


def test_cancel_kills_the_orphans_when_the_supervisor_is_gone(tmp_path: Path) -> None:
    service = JobService(cancel_grace_s=1.0)
    rec, pgid, orphans = _start_orphan_job(service, tmp_path)
    state = json.loads((Path(rec.run_dir) / runfolder.STATE).read_text())
    os.kill(state["supervisor_pid"], signal.SIGKILL)
    wait_until(lambda: _alive([state["supervisor_pid"]]), lambda left: left == [])
    result = service.cancel(rec.id, approved=True)
    assert result.status == "cancelled" and result.remaining_pids == [], result
    assert _alive(orphans) == [] and _orphans(pgid, state["pid"]) == []


def test_queue_moves_on_when_a_running_jobs_supervisor_is_killed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Nobody reads a status: the queue keeper starts the next job once the first one's process
    (not its dead supervisor) is gone, and never while it still runs (one slot)."""
    monkeypatch.setenv(queue.MAX_JOBS_ENV, "1")
    gate = tmp_path / "gate"
    service = JobService()
    first = service.submit_argv(
        [PY, "-c", f"import os, time\nwhile not os.path.exists({str(gate)!r}): time.sleep(0.05)"],
        cwd=str(tmp_path),
    )
    second = service.submit_argv([PY, "-c", "print('second ran')"], cwd=str(tmp_path))

    def phase(rec: JobRecord) -> str:
        return str((runfolder.read_json(Path(rec.run_dir) / runfolder.STATE) or {}).get("phase"))

    first_state = wait_until(
        lambda: runfolder.read_json(Path(first.run_dir) / runfolder.STATE) or {},
        lambda s: s.get("phase") == "running",
    )
    os.kill(first_state["supervisor_pid"], signal.SIGKILL)
    time.sleep(2.5)  # a dead supervisor must not free the slot its job still uses
    assert phase(second) == "queued"
    gate.touch()
    wait_until(lambda: phase(second), lambda p: p == "exited", timeout=60)
    ended = (runfolder.read_json(Path(second.run_dir) / runfolder.STATE) or {})["started_at"]
    assert not psutil.pid_exists(first_state["pid"]) or ended > 0
    assert "second ran" in (Path(second.run_dir) / "stdout.log").read_text()


def test_reading_a_status_starts_nothing_and_writes_nothing(tmp_path: Path) -> None:
    service = JobService()
    blocker = service.submit_argv([PY, "-c", "import time; time.sleep(30)"], cwd=str(tmp_path))
    waiting = service.submit_argv([PY, "-c", "pass"], cwd=str(tmp_path))
    queue.remove_pending(service.root, waiting.id)  # as if the server died before enqueueing
    snapshot = {p: p.stat().st_mtime_ns for p in service.root.rglob("*") if p.is_file()}
    db = service.store.path.stat().st_mtime_ns
    for _ in range(3):
        assert service.status(waiting.id).status == "queued"
        service.list_jobs()
        service.logs(blocker.id)
    after = {p: p.stat().st_mtime_ns for p in service.root.rglob("*") if p.is_file()}
    assert after == snapshot and service.store.path.stat().st_mtime_ns == db
    service.reconcile()  # the acting step puts it back in line
    assert queue.is_pending(service.root, waiting.id)


def test_prune_removes_finished_cluster_jobs(isolated_env: Path) -> None:
    service = job_service()
    run_dir = runfolder.create_run_dir(service.root, "train-old-cluster")
    (run_dir / "launch.json").write_text(json.dumps({"cloud": "slurm", "cluster": "u@h"}))
    (run_dir / "final.json").write_text(json.dumps({"status": "completed"}))
    service.store.insert(
        JobRecord(
            id="train-old-cluster",
            name="n",
            command="train",
            backend=LAUNCHER_BACKEND,
            backend_job_id="train-old-cluster",
            submitted_at=time.time() - 30 * 86400,
            run_dir=str(run_dir),
            cluster="u@h",
            extra={"cloud": "slurm"},
        )
    )
    out = CliRunner().invoke(cli, ["jobs", "prune", "--older-than", "7", "--yes"])
    assert out.exit_code == 0 and "train-old-cluster" in out.output, out.output
    assert service.store.get("train-old-cluster") is None and not run_dir.exists()


def test_cancel_escalation_needs_no_server(tmp_path: Path) -> None:
    """The server asked for the cancel and died at once: the supervisor still escalates, and a job
    that ignored SIGTERM is SIGKILLed at the deadline, never left to finish and read 'cancelled'."""
    service = JobService()
    rec = service.submit_argv(
        [
            PY,
            "-c",
            "import signal, time\nsignal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
            "print('up', flush=True)\ntime.sleep(20)",
        ],
        cwd=str(tmp_path),
    )
    out = Path(rec.run_dir) / "stdout.log"
    wait_until(lambda: out.read_text() if out.exists() else "", lambda t: "up" in t)
    cancel_request.write(Path(rec.run_dir), grace_s=1.0)
    view = wait_until(lambda: service.status(rec.id), lambda v: v.status != "running", timeout=15)
    assert view.status == "cancelled" and view.signal == "SIGKILL", view


def test_a_claim_whose_dispatcher_died_before_go_goes_back_in_line(tmp_path: Path) -> None:
    """The dispatcher renamed the pending entry into a claim and died before any supervisor got
    'go': the next dispatch puts it back in line (in the real queue) and starts it once."""
    service = JobService()
    rec = service.submit_argv([PY, "-c", "print('ran')"], cwd=str(tmp_path))
    wait_until(lambda: service.status(rec.id).status, lambda s: s == "completed")
    job_id = "custom-claim-0001"
    run_dir = runfolder.create_run_dir(service.root, job_id)
    service.local.prepare_argv(
        job_id,
        run_dir,
        [PY, "-c", "print('ran')"],
        cwd=str(tmp_path),
        command="custom",
        name=None,
        env={},
        output_dir="",
        config_bytes=None,
        model="",
        source_config="",
    )
    claim = service.root / "queue" / "active" / job_id
    runfolder.write_json_atomic(claim, {"entry": f"{time.time_ns():020d}-{job_id}"})
    assert queue.dispatch(service.root) == [job_id]
    wait_until(
        lambda: (runfolder.read_json(run_dir / runfolder.STATE) or {}).get("phase"),
        lambda p: p == "exited",
    )
    assert "ran" in (run_dir / "stdout.log").read_text()
    assert not (service.root / "queue" / "queue").exists()
