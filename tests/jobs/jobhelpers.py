"""Shared by the job tests: a fake `oumi` (fast, no imports), polling, and process cleanup."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psutil
import pytest

from oumi_mcp_server.jobs.commands import OUMI_BIN_ENV
from oumi_mcp_server.jobs.env_policy import ALLOWED_ENV
from oumi_mcp_server.jobs.plan import PREFLIGHT_ENV

FAKE_OUMI = """#!{python}
import os, sys, time
print("fake oumi", sys.argv[1:], flush=True)
steps = int(os.environ.get("FAKE_STEPS", "5"))
delay = float(os.environ.get("FAKE_DELAY", "0.05"))
gate = os.environ.get("FAKE_GATE")
while gate and not os.path.exists(gate):
    time.sleep(0.05)
for i in range(1, steps + 1):
    sys.stderr.write("\\r%d/%d [00:0%d<00:0%d, 1.00it/s]" % (i, steps, i % 10, (steps - i) % 10))
    sys.stderr.flush()
    print({{"loss": round(3.0 - i * 0.25, 3), "epoch": i / steps}}, flush=True)
    time.sleep(delay)
sys.stderr.write("\\n")
if os.environ.get("FAKE_FAIL"):
    print("Traceback (most recent call last):", file=sys.stderr)
    print("ValueError: dataset not found: FAKE", file=sys.stderr)
    sys.exit(2)
"""


def write_fake_oumi(folder: Path) -> Path:
    path = folder / "fake_oumi"
    path.write_text(FAKE_OUMI.format(python=sys.executable))
    path.chmod(0o755)
    return path


def write_config(folder: Path, name: str = "train.yaml") -> Path:
    path = folder / name
    path.write_text(
        "model:\n  model_name: tiny-model\ntraining:\n  output_dir: out\n  max_steps: 5\n"
    )
    return path


def make_project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A user's project folder with a config; jobs run the fast fake `oumi`, pre-flight off."""
    proj = tmp_path / "proj"
    proj.mkdir()
    write_config(proj)
    monkeypatch.setenv(OUMI_BIN_ENV, str(write_fake_oumi(tmp_path)))
    monkeypatch.setenv(PREFLIGHT_ENV, "off")
    monkeypatch.setenv(ALLOWED_ENV, "FAKE_*")  # the stand-in oumi's knobs
    return proj


def wait_until(
    fn: Callable[[], Any], pred: Callable[[Any], bool], timeout: float = 60.0, every: float = 0.1
) -> Any:
    """Poll `fn` until `pred(value)`; fail with the last value seen after `timeout`."""
    end = time.monotonic() + timeout
    value = fn()
    while not pred(value):
        if time.monotonic() > end:
            raise AssertionError(f"condition not met in {timeout}s; last value: {value!r}")
        time.sleep(every)
        value = fn()
    return value


def job_pids(state_root: Path) -> list[int]:
    """Supervisor and job pids recorded under a state dir, still alive with the recorded start."""
    pids = []
    for state_file in (state_root / "jobs" / "runs").glob("*/state.json"):
        try:
            state = json.loads(state_file.read_text())
        except ValueError:
            continue
        for pid_key, start_key in (
            ("supervisor_pid", "supervisor_start_time"),
            ("pid", "pid_start_time"),
        ):
            pid = state.get(pid_key)
            if not pid:
                continue
            try:
                proc = psutil.Process(pid)
                if abs(proc.create_time() - (state.get(start_key) or 0)) < 0.05:
                    pids.append(pid)
            except psutil.Error:
                continue
    return pids


def kill_jobs(state_root: Path) -> None:
    """Stop every process the test's jobs started (by recorded pid and process group)."""
    for _ in range(3):
        for pid in job_pids(state_root):
            for kill in (
                lambda p: os.killpg(p, signal.SIGKILL),
                lambda p: os.kill(p, signal.SIGKILL),
            ):
                with contextlib.suppress(OSError):
                    kill(pid)
        time.sleep(0.1)


def alive_in_group(pgid: int) -> list[int]:
    out = []
    for proc in psutil.process_iter(["pid", "status"]):
        try:
            if proc.info["status"] != psutil.STATUS_ZOMBIE and os.getpgid(proc.pid) == pgid:
                out.append(proc.pid)
        except (psutil.Error, OSError):
            continue
    return out
