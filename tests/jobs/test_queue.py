"""Concurrency slots: queued jobs start when a slot frees, with or without a server."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from jobs.jobhelpers import wait_until
from oumi_mcp_server.jobs import queue
from oumi_mcp_server.jobs.service import JobService

PY = sys.executable


def test_one_at_a_time_by_default(service: JobService, tmp_path: Path) -> None:
    gate = tmp_path / "gate"
    first = service.submit_argv(
        [PY, "-c", f"import os, time\nwhile not os.path.exists({str(gate)!r}): time.sleep(0.05)"],
        cwd=str(tmp_path),
    )
    second = service.submit_argv([PY, "-c", "print('second')"], cwd=str(tmp_path))
    wait_until(lambda: service.status(first.id).status, lambda s: s == "running")
    view = service.status(second.id)
    assert view.status == "queued" and "free slot" in (view.reason or "")
    assert [j.job_id for j in service.list_jobs(status="queued").jobs] == [second.id]
    gate.touch()
    done = wait_until(lambda: service.status(second.id), lambda v: v.status == "completed", 60)
    assert done.exit_code == 0
    first_state = json.loads((Path(first.run_dir) / "state.json").read_text())
    second_state = json.loads((Path(second.run_dir) / "state.json").read_text())
    assert second_state["started_at"] >= first_state["ended_at"]


def test_queue_drains_with_no_server_alive(tmp_path: Path) -> None:
    """The submitting process exits at once; supervisors start the rest of the line themselves."""
    script = textwrap.dedent(f"""
        from oumi_mcp_server.jobs.service import JobService
        s = JobService()
        for i in range(3):
            argv = [{PY!r}, "-c", "import time; time.sleep(0.3)"]
            print(s.submit_argv(argv, cwd={str(tmp_path)!r}).id)
    """)
    out = subprocess.run(
        [PY, "-c", script], capture_output=True, text=True, check=True, env=dict(os.environ)
    ).stdout.split()
    assert len(out) == 3
    runs = Path(os.environ["OUMI_MCP_STATE_DIR"]) / "jobs" / "runs"

    def phases() -> list[str]:
        return [json.loads((runs / j / "state.json").read_text()).get("phase") for j in out]

    # Read only the run folders (no service call, which would also dispatch): no server helps.
    wait_until(phases, lambda p: p == ["exited"] * 3, 60)
    assert [JobService().status(j).status for j in out] == ["completed"] * 3


def test_concurrency_is_configurable(
    monkeypatch: pytest.MonkeyPatch, service: JobService, tmp_path: Path
) -> None:
    monkeypatch.setenv(queue.MAX_JOBS_ENV, "2")
    gate = tmp_path / "gate"
    code = f"import os, time\nwhile not os.path.exists({str(gate)!r}): time.sleep(0.05)"
    ids = [service.submit_argv([PY, "-c", code], cwd=str(tmp_path)).id for _ in range(3)]
    wait_until(
        lambda: [service.status(i).status for i in ids],
        lambda s: s == ["running", "running", "queued"],
    )
    gate.touch()
    wait_until(
        lambda: [service.status(i).status for i in ids], lambda s: s == ["completed"] * 3, 60
    )


@pytest.mark.slow
def test_two_servers_submit_25_jobs_each_at_once(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv(queue.MAX_JOBS_ENV, "4")
    go = tmp_path / "go"
    script = textwrap.dedent(f"""
        import os, sys, time
        from concurrent.futures import ThreadPoolExecutor
        from oumi_mcp_server.jobs.service import JobService
        s = JobService()
        while not os.path.exists({str(go)!r}):
            time.sleep(0.01)
        with ThreadPoolExecutor(4) as pool:
            def one(i):
                argv = [{PY!r}, "-c", "pass"]
                return s.submit_argv(argv, cwd={str(tmp_path)!r}, name=f"{{sys.argv[1]}}-{{i}}").id
            ids = list(pool.map(one, range(25)))
        print(len(set(ids)))
    """)
    procs = [
        subprocess.Popen(
            [PY, "-c", script, tag],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=dict(os.environ),
        )
        for tag in ("a", "b")
    ]
    go.touch()
    results = [p.communicate(timeout=240) for p in procs]
    for proc, (out, err) in zip(procs, results, strict=True):
        assert proc.returncode == 0, err
        assert out.strip() == "25" and "Traceback" not in err
    service = JobService()
    assert service.store.count() == 50
    names = {r.name for r in service.store.page(before=None, limit=100)}
    assert names == {f"{t}-{i}" for t in "ab" for i in range(25)}
    listing = wait_until(
        lambda: service.list_jobs(limit=100),
        lambda lst: all(j.status == "completed" for j in lst.jobs),
        200,
        0.5,
    )
    assert len(listing.jobs) == 50
