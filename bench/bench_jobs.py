"""Job benchmarks (medians over several runs, printed; not a test).

Stored jobs are seeded as finished under a supervisor (which records the outcome in the store);
one row shows the first filtered listing over records whose outcome was never seen.

    .venv/bin/python bench/bench_jobs.py [--jobs 10000] [--runs 7]

Targets on the 2-core box: get_job_status p50 < 10 ms, list_jobs over 10,000 stored jobs < 200 ms,
tail of a 1 GB log < 50 ms, get_results warm < 50 ms, submit -> job process running < 1 s.
Uses a private temporary state dir; the 1 GB log is a sparse file in /tmp, deleted at the end.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path


def _median_ms(fn: Callable[[], object], runs: int) -> float:
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples)


def _seed(service: object, count: int) -> None:
    """`count` finished local jobs with run folders, as if launched over months."""
    from oumi_mcp_server.jobs import runfolder
    from oumi_mcp_server.jobs.record import JobRecord
    from oumi_mcp_server.jobs.service import JobService

    assert isinstance(service, JobService)
    now = time.time()
    records = []
    for i in range(count):
        job_id = f"train-bench-{i:06d}"
        run_dir = runfolder.create_run_dir(service.root, job_id)
        started = now - (count - i) * 600
        state = {
            "phase": "exited",
            "exit_code": 0,
            "cancelled": False,
            "started_at": started,
            "ended_at": started + 300,
        }
        (run_dir / runfolder.STATE).write_text(json.dumps(state))
        (run_dir / "stdout.log").write_text("{'loss': 1.0, 'epoch': 1.0}\n")
        records.append(
            JobRecord(
                id=job_id,
                name=job_id,
                command="train",
                backend="local",
                backend_job_id=job_id,
                submitted_at=started - 5,
                run_dir=str(run_dir),
                final_status="completed",
            )
        )
    service.store.insert_many(records)


def _trained_job(service: object, tmp: Path) -> str:
    """A finished train job whose output folder looks like a real run's: a 1,000-step
    trainer_state, a model, 5 checkpoints and 3 evaluations."""
    from oumi_mcp_server.jobs import runfolder
    from oumi_mcp_server.jobs.record import JobRecord
    from oumi_mcp_server.jobs.service import JobService

    assert isinstance(service, JobService)
    out = tmp / "results-out"
    history = [{"loss": 3.0 / (i + 1), "step": i + 1, "num_tokens": 100.0 * i} for i in range(1000)]
    history.append({"train_runtime": 100.0, "train_samples_per_second": 8.0, "step": 1000})
    for sub in ("", *(f"checkpoint-{i * 200}/" for i in range(1, 6))):
        (out / sub).mkdir(parents=True, exist_ok=True)
        (out / sub / "trainer_state.json").write_text(
            json.dumps({"global_step": 1000, "max_steps": 1000, "log_history": history}, indent=2)
        )
        (out / sub / "model.safetensors").write_bytes(b"w" * 4096)
    for i in range(3):
        task = out / f"custom_20260101_12000{i}"
        task.mkdir()
        results = {"results": {f"task{i}": {"acc": 0.5, "acc_stderr": 0.01}}}
        (task / "task_result.json").write_text(json.dumps(results))
    run_dir = runfolder.create_run_dir(service.root, "train-results-bench")
    now = time.time()
    state = {"phase": "exited", "exit_code": 0, "started_at": now - 200, "ended_at": now}
    (run_dir / runfolder.STATE).write_text(json.dumps(state))
    service.store.insert(
        JobRecord(
            id=run_dir.name,
            name="results",
            command="train",
            backend="local",
            backend_job_id=run_dir.name,
            submitted_at=now - 210,
            run_dir=str(run_dir),
            output_dir=str(out),
        )
    )
    return run_dir.name


def _trainer_state(steps: int, max_steps: int) -> str:
    """A trainer_state.json as transformers writes it (~300 bytes per logged step)."""
    history = [
        {"entropy": 3.5, "epoch": s / 100, "grad_norm": 2.1, "learning_rate": 3e-4}
        | {"loss": 5.0 - s / steps, "mean_token_accuracy": 0.48, "num_tokens": 1e3 * s, "step": s}
        for s in range(1, steps + 1)
    ]
    state = {"epoch": steps / 100, "global_step": steps, "log_history": history}
    state |= {"logging_steps": 1, "max_steps": max_steps, "save_steps": 60}
    return json.dumps(state, indent=2, sort_keys=True) + "\n"


REUSING_JOB = """
import json, pathlib, sys, time
out = pathlib.Path(sys.argv[1])
(out / "checkpoint-60").mkdir(exist_ok=True)
(out / "checkpoint-60" / "trainer_state.json").write_text(sys.argv[2])
with (out / "metrics_rank0000.jsonl").open("a") as fh:
    for s in range(1, 1201):
        fh.write(json.dumps({"loss": 4.0 - s / 1000, "epoch": s / 100, "step": s}) + "\\n")
for s in range(1, 1201):
    print({"loss": f"{4.0 - s / 1000:.4g}", "epoch": s / 100, "step": s})
bar = "\\r".join(f" {s * 100 // 1500:2d}%|###   | {s}/1500 [00:{s % 60:02d}<01:00,  2.00it/s]"
                  for s in range(1, 1201) for _ in range(16))
sys.stderr.write(bar)
sys.stdout.flush(); sys.stderr.flush()
time.sleep(120)
"""


def _reused_output_dir(service: object, tmp: Path, runs: int) -> dict[str, float]:
    """get_job_status of a job whose output_dir holds an earlier 3,000-step run: its trainer
    state, 50 checkpoints (~0.9 MB of trainer state each), its metrics rows; the job wrote a
    checkpoint, 1,200 metrics rows, 1,200 metric lines and a 1 MB progress bar line."""
    from oumi_mcp_server.jobs.service import JobService

    assert isinstance(service, JobService)
    out = tmp / "reused-out"
    out.mkdir()
    (out / "trainer_state.json").write_text(_trainer_state(3000, 3000))
    for i in range(1, 51):
        (out / f"checkpoint-{i * 60}").mkdir()
        (out / f"checkpoint-{i * 60}" / "trainer_state.json").write_text(_trainer_state(3000, 3000))
    with (out / "metrics_rank0000.jsonl").open("w") as fh:
        for s in range(1, 3001):
            fh.write(json.dumps({"loss": 5.0 - s / 3000, "epoch": s / 100, "step": s}) + "\n")
    size = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
    print(f"(earlier run's outputs: {size / 1e6:.0f} MB in 50 checkpoints and the folder)")
    own = _trainer_state(60, 1500)
    job = service.submit_argv(
        [sys.executable, "-c", REUSING_JOB, str(out), own],
        cwd=str(tmp),
        command="train",
        output_dir=str(out),
    )
    stderr = Path(job.run_dir) / "stderr.log"
    while service.status(job.id).status != "running" or stderr.stat().st_size < 900_000:
        time.sleep(0.05)
    time.sleep(0.5)
    view = service.status(job.id)
    assert view.progress is not None and view.progress.step == 1200, view.progress
    assert view.progress.total_steps == 1500, view.progress
    results = {
        "get_job_status, running, 50 checkpoints (ms)": _median_ms(
            lambda: service.status(job.id), runs
        )
    }
    service.cancel(job.id, force=True, approved=True)
    while service.status(job.id).status != "cancelled":
        time.sleep(0.05)
    results["get_job_status, ended, 50 checkpoints (ms)"] = _median_ms(
        lambda: service.status(job.id), runs
    )
    return results


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--jobs", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="bench-jobs-"))
    os.environ["OUMI_MCP_STATE_DIR"] = str(tmp / "state")
    os.environ["HOME"] = str(tmp / "home")
    os.environ["OUMI_MCP_MAX_LOCAL_JOBS"] = "4"

    from oumi_mcp_server.jobs import logs, runfolder
    from oumi_mcp_server.jobs.service import JobService

    service = JobService()
    results: dict[str, float] = {}

    # submit -> the job's own process is running (pid recorded and alive)
    def submit_until_running() -> float:
        start = time.perf_counter()
        rec = service.submit_argv(
            [sys.executable, "-c", "import time; time.sleep(30)"], cwd=str(tmp)
        )
        run_dir = Path(rec.run_dir)
        while True:
            state = runfolder.read_json(run_dir / runfolder.STATE) or {}
            if state.get("pid"):
                elapsed = (time.perf_counter() - start) * 1000
                os.killpg(state["pgid"], signal.SIGKILL)
                return elapsed
            time.sleep(0.002)

    samples = []
    for _ in range(args.runs):
        samples.append(submit_until_running())
        time.sleep(0.3)  # let the killed job's supervisor record the exit and free its slot
    results["submit -> process running (ms)"] = statistics.median(samples)

    # status of a finished job (exit record, progress from logs) and of a running one
    done = service.submit_argv([sys.executable, "-c", "print({'loss': 2.0})"], cwd=str(tmp))
    while service.status(done.id).status != "completed":
        time.sleep(0.05)
    results["get_job_status, completed (ms)"] = _median_ms(lambda: service.status(done.id), 200)
    live = service.submit_argv([sys.executable, "-c", "import time; time.sleep(60)"], cwd=str(tmp))
    while service.status(live.id).status != "running":
        time.sleep(0.05)
    results["get_job_status, running (ms)"] = _median_ms(lambda: service.status(live.id), 200)
    service.cancel(live.id, force=True, approved=True)
    results |= _reused_output_dir(service, tmp, 50)

    # get_results of a finished run (trainer state, model, checkpoints, evaluations), warm
    from oumi_mcp_server.jobs import results as job_results

    trained = _trained_job(service, tmp)
    job_results.get_results(service, trained)
    results["get_results, warm (ms)"] = _median_ms(
        lambda: job_results.get_results(service, trained), 50
    )

    # list_jobs over many stored jobs
    start = time.perf_counter()
    _seed(service, args.jobs)
    print(f"(seeded {args.jobs} jobs in {time.perf_counter() - start:.1f} s)")
    results[f"list_jobs, first page of {service.store.count()} (ms)"] = _median_ms(
        lambda: service.list_jobs(limit=20), args.runs
    )
    results["list_jobs status=running (ms)"] = _median_ms(
        lambda: service.list_jobs(status="running", limit=20), args.runs
    )
    # Records whose outcome was never seen (imported, or their supervisor died): the first
    # filtered listing reads their run folders, then remembers.
    with sqlite3.connect(service.store.path) as conn:
        conn.execute("UPDATE jobs SET final_status = NULL")
    results["list_jobs status=running, outcomes never seen (ms)"] = _median_ms(
        lambda: service.list_jobs(status="running", limit=20), 1
    )

    # tail of a 1 GB log (sparse: the cost must not depend on the size)
    big = Path(tempfile.gettempdir()) / f"bench-1gb-{os.getpid()}.log"
    try:
        with big.open("wb") as fh:
            fh.truncate(1 << 30)
            tail = b"".join(f"step {i} loss {1.0 / (i + 1):.4f}\n".encode() for i in range(400))
            fh.seek((1 << 30) - len(tail))
            fh.write(tail)
        results["1 GB log, tail 200 lines (ms)"] = _median_ms(lambda: logs.tail(big, 200, 6000), 20)
    finally:
        big.unlink(missing_ok=True)

    width = max(len(k) for k in results)
    for name, value in results.items():
        print(f"{name:<{width}}  {value:8.2f}")
    print(json.dumps({k: round(v, 2) for k, v in results.items()}))


if __name__ == "__main__":
    main()
