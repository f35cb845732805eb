"""At most one start per record, whatever is killed when (issue 9, item 1).

A "server" process submits a job and is SIGKILLed at a random point of the launch path (before,
during or after the record, the queue entry, the claim, the supervisor spawn, the "go"); now and
then a supervisor or the queue keeper is SIGKILLed too; then the next "server" submits the next
job, and a reconcile pass runs now and then, as a restarted server would. The jobs themselves
(a fast stand-in for oumi) write the evidence: one line when they start, one when they end.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import textwrap
import time
import uuid
from collections import Counter
from pathlib import Path

import psutil
import pytest

from jobs.jobhelpers import wait_until
from oumi_mcp_server.demo.assets import TinyAssets
from oumi_mcp_server.jobs import commands, queue
from oumi_mcp_server.jobs.models import JobStatusView
from oumi_mcp_server.jobs.service import JobService
from oumi_mcp_server.jobs.states import JobState

PY = sys.executable
TRIALS = 200
MAX_JOBS = 2
SEED = 20261204

FAKE_JOB = textwrap.dedent("""
    import os, sys, time
    evidence, job = sys.argv[1], os.environ["OUMI_MCP_JOB_ID"]
    def note(what):
        fd = os.open(evidence, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        os.write(fd, f"{job} {what} {time.time()!r}\\n".encode())
        os.close(fd)
    note("start")
    time.sleep(0.05)
    note("end")
""")

SERVER = textwrap.dedent("""
    import sys
    from oumi_mcp_server.jobs.service import JobService
    service = JobService()
    print("ready", flush=True)
    sys.stdin.readline()
    service.submit_argv(sys.argv[1:], cwd=".")
    print("submitted", flush=True)
""")


def _server(argv: list[str]) -> subprocess.Popen[str]:
    proc = subprocess.Popen(
        [PY, "-c", SERVER, *argv],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert proc.stdout is not None and proc.stdout.readline() == "ready\n"
    return proc


def _kill_one(name: str, rng: random.Random) -> None:
    found = [
        p
        for p in psutil.process_iter(["cmdline"])
        if any(name in part for part in (p.info["cmdline"] or []))
    ]
    if found:
        os.kill(rng.choice(found).pid, signal.SIGKILL)


@pytest.mark.slow
def test_no_record_starts_twice_and_none_is_lost_whatever_is_killed_when(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(queue.MAX_JOBS_ENV, str(MAX_JOBS))
    rng = random.Random(SEED)
    job_py = tmp_path / "fake_job.py"
    job_py.write_text(FAKE_JOB)
    evidence = tmp_path / "evidence.log"
    argv = [PY, str(job_py), str(evidence)]
    service = JobService()
    supervisors_killed = keepers_killed = 0
    nxt = _server(argv)
    for trial in range(TRIALS):
        proc, nxt = nxt, _server(argv)  # the next one imports while this one is killed
        assert proc.stdin is not None
        proc.stdin.write("go\n")
        proc.stdin.flush()
        time.sleep(rng.uniform(0.0, 0.3))
        proc.kill()
        proc.wait()
        roll = rng.random()
        if roll < 0.1:
            time.sleep(rng.uniform(0.0, 0.2))
            _kill_one("oumi_mcp_server.jobs.supervisor", rng)
            supervisors_killed += 1
        elif roll < 0.15:
            _kill_one("oumi_mcp_server.jobs.queue_keeper", rng)
            keepers_killed += 1
        if trial % 10 == 9:
            service.reconcile()  # a restarted server's first pass
    nxt.kill()
    nxt.wait()

    def settled() -> list[str]:
        service.reconcile()
        return [
            r.id
            for r in service.store.page(before=None, limit=TRIALS + 10)
            if not JobState(service.status(r.id).status).is_terminal()
        ]

    wait_until(settled, lambda left: left == [], timeout=300, every=1.0)
    records = service.store.page(before=None, limit=TRIALS + 10)
    lines = [ln.split() for ln in evidence.read_text().splitlines()] if evidence.exists() else []
    starts = Counter(job for job, what, _ in lines if what == "start")
    statuses = Counter(service.status(r.id).status for r in records)
    summary = json.dumps(
        {
            "records": len(records),
            "statuses": statuses,
            "starts": sum(starts.values()),
            "supervisors_killed": supervisors_killed,
            "keepers_killed": keepers_killed,
        }
    )
    assert len(records) > TRIALS // 3, summary  # most kills came after the record was stored
    assert [job for job, n in starts.items() if n > 1] == [], summary  # at most once
    assert set(starts) <= {r.id for r in records}, summary  # nothing ran without a record
    assert statuses == Counter({"completed": len(records)}), summary  # no outcome lost
    assert all(starts[r.id] == 1 for r in records), summary
    # Never more than MAX_JOBS at once, from the jobs' own times.
    events = sorted((float(t), 1 if what == "start" else -1) for _, what, t in lines)
    running = peak = 0
    for _, delta in events:
        running += delta
        peak = max(peak, running)
    assert peak <= MAX_JOBS, summary


REAL_SERVER = textwrap.dedent("""
    import sys
    from oumi_mcp_server.jobs.plan import LaunchRequest
    from oumi_mcp_server.jobs.service import JobService
    service = JobService()
    req = LaunchRequest("train", sys.argv[1], sys.argv[2],
                        overrides={"training.output_dir": sys.argv[3], "training.max_steps": 3})
    built = service.plan(req, preflight=False)
    token = service.offer(built).confirm_token
    print("ready", flush=True)
    sys.stdin.readline()
    service.launch_confirmed(built, token)
    print("launched", flush=True)
""")


@pytest.mark.oumi
def test_a_real_oumi_train_killed_mid_launch_runs_once(
    tiny_assets: TinyAssets, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same kill, with the real `oumi train` behind a wrapper that notes each start."""
    real = commands.oumi_executable()
    wrapper = tmp_path / "oumi"
    evidence = tmp_path / "starts.log"
    wrapper.write_text(f'#!/bin/sh\necho "$OUMI_MCP_JOB_ID" >> {evidence}\nexec {real[0]} "$@"\n')
    wrapper.chmod(0o755)
    monkeypatch.setenv(commands.OUMI_BIN_ENV, str(wrapper))
    service = JobService()
    rng = random.Random(SEED)
    for _ in range(2):
        proc = subprocess.Popen(
            [
                PY,
                "-c",
                REAL_SERVER,
                str(tiny_assets.train_config),
                str(tiny_assets.root),
                str(tmp_path / f"out-{uuid.uuid4().hex[:6]}"),
            ],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert proc.stdout is not None and proc.stdout.readline() == "ready\n"
        assert proc.stdin is not None
        proc.stdin.write("go\n")
        proc.stdin.flush()
        time.sleep(rng.uniform(0.02, 0.25))
        proc.kill()
        proc.wait()
    service.reconcile()  # the next server's first pass
    records = service.store.page(before=None, limit=10)
    assert records, "neither launch got as far as its record"

    def status_after_a_pass(job_id: str) -> JobStatusView:
        service.reconcile()  # the server's loop keeps running meanwhile
        return service.status(job_id)

    for rec in records:
        view = wait_until(
            lambda r=rec: status_after_a_pass(r.id),
            lambda v: JobState(v.status).is_terminal(),
            timeout=400,
            every=1.0,
        )
        assert view.status == "completed", view
    starts = Counter(evidence.read_text().split())
    assert sorted(starts) == sorted(r.id for r in records) and set(starts.values()) == {1}
