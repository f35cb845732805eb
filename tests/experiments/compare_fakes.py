"""Finished fake runs for the compare tests: a run folder with the launch baseline and an exit
record (`jobs/runfiles.py`), a config snapshot, the trainer_state.json / task_result.json oumi
writes, all dated inside the run's window, and the record stored in the service's job store."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from jobs.runfiles import launch, write
from oumi_mcp_server.jobs.record import JobRecord
from oumi_mcp_server.jobs.service import JobService

EVAL_DIR = "custom_20261204_120000"


def history(steps: int, lr: float, start: float = 3.0, slope: float = 0.1) -> list[dict[str, Any]]:
    """log_history rows as transformers writes them: a loss row per step, an eval row every 5."""
    rows: list[dict[str, Any]] = []
    for s in range(1, steps + 1):
        loss = round(start - slope * s * lr * 1e4, 6)
        rows.append({"loss": loss, "learning_rate": lr, "grad_norm": 1.0 + s / 10, "step": s})
        if s % 5 == 0:
            rows.append({"eval_loss": loss + 0.2, "eval_runtime": 0.5, "step": s})
    rows.append({"train_runtime": 12.5, "train_loss": start - 0.5, "step": steps})
    return rows


def task_result(metrics: dict[str, dict[str, Any]]) -> dict[str, Any]:
    return {"results": metrics, "duration_sec": 1.5}


def fake_run(
    service: JobService,
    tmp: Path,
    job_id: str,
    *,
    name: str | None = None,
    lr: float = 1e-4,
    steps: int = 20,
    slope: float = 0.1,
    command: str = "train",
    evals: dict[str, dict[str, Any]] | None = None,
    model: str = "tiny-model",
    config: str | None = None,
    output_dir: Path | None = None,
    overrides: dict[str, str] | None = None,
    trained: bool = True,
    extra: dict[str, Any] | None = None,
) -> JobRecord:
    """A finished run of `command` launched with `overrides`; `evals` go to
    `<output_dir>/custom_<ts>/task_result.json` (as evaluate, or evaluate-after-train, writes)."""
    started = time.time() - 300
    out = output_dir or tmp / job_id / "out"
    out.parent.mkdir(parents=True, exist_ok=True)
    run = launch(service.root, out, job_id, started)
    at = started + 10
    if trained:
        state = {
            "global_step": steps,
            "max_steps": steps,
            "epoch": 1.0,
            "log_history": history(steps, lr, slope=slope),
        }
        write(out / "trainer_state.json", json.dumps(state, indent=2, sort_keys=True), at)
    if evals is not None:
        write(out / EVAL_DIR / "task_result.json", json.dumps(task_result(evals)), at)
    cfg = run.run_dir / "config.yaml"
    cfg.write_text(
        config
        or f"model:\n  model_name: {model}\ntraining:\n  learning_rate: 0.0001\n"
        f"  output_dir: {out}\n  max_steps: {steps}\n"
    )
    run.end(started + 60)
    rec = JobRecord(
        id=job_id,
        name=name if name is not None else job_id,
        command=command,
        backend="local",
        backend_job_id=job_id,
        submitted_at=started - 1,
        run_dir=str(run.run_dir),
        output_dir=str(out),
        model=model,
        config_path=str(cfg),
        cwd=str(tmp),
        argv=["oumi", command, "-c", str(cfg)]
        + [a for k, v in (overrides or {}).items() for a in (f"--{k}", v)],
        extra=extra or {},
    )
    service.store.insert(rec)
    return rec
