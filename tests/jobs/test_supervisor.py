"""The detached supervisor and lazy status: real processes, trivial commands, no oumi."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import psutil

from jobs.jobhelpers import wait_until
from oumi_mcp_server.jobs import runfolder
from oumi_mcp_server.jobs.service import JobService

PY = sys.executable


def _done(service: JobService, job_id: str, timeout: float = 60.0) -> object:
    return wait_until(
        lambda: service.status(job_id), lambda v: v.status not in ("queued", "running"), timeout
    )


def test_completed_job_records_pid_start_time_and_exit(service: JobService, tmp_path: Path) -> None:
    rec = service.submit_argv(
        [PY, "-c", "print('hello out'); import sys; print('warn', file=sys.stderr)"],
        cwd=str(tmp_path),
    )
    view = _done(service, rec.id)
    assert view.status == "completed" and view.exit_code == 0  # type: ignore[attr-defined]
    state = json.loads((Path(rec.run_dir) / "state.json").read_text())
    assert state["pid"] > 0 and state["pid_start_time"] > 0 and state["pgid"] == state["pid"]
    assert state["ended_at"] >= state["started_at"] and state["phase"] == "exited"
    assert (Path(rec.run_dir) / "stdout.log").read_text() == "hello out\n"
    assert (Path(rec.run_dir) / "stderr.log").read_text() == "warn\n"
    assert "env" not in json.loads((Path(rec.run_dir) / "spec.json").read_text())  # scrubbed
    assert view.status_source.startswith("exit record")  # type: ignore[attr-defined]


def test_no_shell_is_involved(service: JobService, tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    rec = service.submit_argv(
        [PY, "-c", "import sys; print(sys.argv[1:])", f"; touch {marker}", "$(id)"],
        cwd=str(tmp_path),
    )
    _done(service, rec.id)
    assert not marker.exists()
    assert "$(id)" in (Path(rec.run_dir) / "stdout.log").read_text()


def test_failing_job_reports_exit_code_and_error_lines(service: JobService, tmp_path: Path) -> None:
    code = (
        "import sys; print('step 1'); print('Traceback (most recent call last):', file=sys.stderr);"
        " print('ValueError: bad learning rate', file=sys.stderr); sys.exit(3)"
    )
    rec = service.submit_argv([PY, "-c", code], cwd=str(tmp_path))
    view = _done(service, rec.id)
    assert view.status == "failed" and view.exit_code == 3  # type: ignore[attr-defined]
    assert any("ValueError: bad learning rate" in ln for ln in view.error_lines)  # type: ignore[attr-defined]


def test_missing_executable_fails_clearly(service: JobService, tmp_path: Path) -> None:
    rec = service.submit_argv([str(tmp_path / "no-such-binary")], cwd=str(tmp_path))
    view = _done(service, rec.id)
    assert view.status == "failed" and view.exit_code == 127  # type: ignore[attr-defined]
    assert "could not start" in (view.reason or "")  # type: ignore[attr-defined]


def test_job_killed_from_outside_is_failed_not_running(service: JobService, tmp_path: Path) -> None:
    rec = service.submit_argv([PY, "-c", "import time; time.sleep(60)"], cwd=str(tmp_path))
    state = wait_until(
        lambda: runfolder.read_json(Path(rec.run_dir) / runfolder.STATE) or {},
        lambda s: s.get("pid"),
    )
    os.kill(state["pid"], signal.SIGKILL)
    view = _done(service, rec.id)
    assert view.status == "failed" and view.signal == "SIGKILL"  # type: ignore[attr-defined]


def test_supervisor_and_job_killed_is_lost_with_reason(service: JobService, tmp_path: Path) -> None:
    rec = service.submit_argv([PY, "-c", "import time; time.sleep(60)"], cwd=str(tmp_path))
    state = wait_until(
        lambda: runfolder.read_json(Path(rec.run_dir) / runfolder.STATE) or {},
        lambda s: s.get("pid"),
    )
    os.kill(state["supervisor_pid"], signal.SIGKILL)
    assert service.status(rec.id).status == "running"  # the job itself still runs
    os.killpg(state["pgid"], signal.SIGKILL)
    view = wait_until(lambda: service.status(rec.id), lambda v: v.status != "running")
    assert view.status == "lost" and "supervisor" in (view.reason or "")


def test_reused_pid_is_not_taken_for_the_job(service: JobService, tmp_path: Path) -> None:
    rec = service.submit_argv([PY, "-c", "pass"], cwd=str(tmp_path))
    _done(service, rec.id)
    me = psutil.Process()
    # A state that claims a live pid (ours) but with another start time: a reused pid.
    runfolder.write_json_atomic(
        Path(rec.run_dir) / runfolder.STATE,
        {
            "phase": "running",
            "supervisor_pid": me.pid,
            "supervisor_start_time": me.create_time() - 100,
            "pid": me.pid,
            "pid_start_time": me.create_time() - 100,
            "started_at": time.time(),
        },
    )
    (Path(rec.run_dir) / "exit.json").unlink()  # and the job left no exit record of its own
    service.store.delete([rec.id])
    service.store.insert(rec)
    assert service.status(rec.id).status == "lost"


def test_job_outlives_the_process_that_submitted_it(tmp_path: Path) -> None:
    """A 'server' submits a job then dies by SIGKILL; the job finishes, another one reports it."""
    script = textwrap.dedent(f"""
        import sys, time
        from oumi_mcp_server.jobs.service import JobService
        argv = [{PY!r}, "-c", "import time; time.sleep(1.5); print('done')"]
        rec = JobService().submit_argv(argv, cwd={str(tmp_path)!r})
        print(rec.id, flush=True)
        time.sleep(60)
    """)
    server = subprocess.Popen(
        [PY, "-c", script], stdout=subprocess.PIPE, text=True, env=dict(os.environ)
    )
    try:
        assert server.stdout is not None
        job_id = server.stdout.readline().strip()
    finally:
        server.send_signal(signal.SIGKILL)
        server.wait()
    later = JobService()
    assert later.status(job_id).status in ("queued", "running")
    view = _done(later, job_id)
    assert view.status == "completed" and view.exit_code == 0  # type: ignore[attr-defined]
    assert later.logs(job_id, stream="stdout").streams[0].text == "done"


def test_supervisor_remembers_the_outcome_in_the_store(service: JobService, tmp_path: Path) -> None:
    ok = service.submit_argv([PY, "-c", "pass"], cwd=str(tmp_path))
    bad = service.submit_argv([PY, "-c", "raise SystemExit(4)"], cwd=str(tmp_path))

    def finals() -> list[str | None]:  # read the store only: no status call, no lazy memo
        return [r.final_status for r in (service.store.get(ok.id), service.store.get(bad.id)) if r]

    assert wait_until(finals, lambda f: None not in f) == ["completed", "failed"]


def test_killed_supervisor_outcome_is_recovered_from_the_jobs_own_exit_record(
    service: JobService, tmp_path: Path
) -> None:
    """The job goes on after its supervisor is SIGKILLed; its real exit code is recovered."""
    gate = tmp_path / "gate"
    rec = service.submit_argv(
        [
            PY,
            "-c",
            f"import os, sys, time\nwhile not os.path.exists({str(gate)!r}): "
            "time.sleep(0.05)\nsys.exit(3)",
        ],
        cwd=str(tmp_path),
    )
    state = wait_until(
        lambda: runfolder.read_json(Path(rec.run_dir) / runfolder.STATE) or {},
        lambda s: s.get("pid"),
    )
    os.kill(state["supervisor_pid"], signal.SIGKILL)
    assert wait_until(lambda: service.status(rec.id).status, lambda s: s == "running")
    gate.touch()
    view = wait_until(lambda: service.status(rec.id), lambda v: v.status != "running")
    assert view.status == "failed" and view.exit_code == 3, view
    assert "Recovered" in (view.reason or "")
    service.reconcile()  # records it in the run folder and the store, for good
    final = runfolder.read_json(Path(rec.run_dir) / runfolder.STATE) or {}
    assert final["phase"] == "exited" and final["exit_code"] == 3 and final["recovered"]
    assert service.store.get(rec.id).final_status == "failed"  # type: ignore[union-attr]
