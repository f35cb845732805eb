"""Synthetic finished runs for the dashboard's views: real local jobs (so status, results and
curves come through the real services) whose process copies staged outputs into its output dir
(files there must be this job's: written after it started): a trainer_state.json with loss,
learning rate, grad norm and eval loss per step, and optionally an oumi task_result.json of a
prompt suite with per-category scores and examples."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import yaml

from jobs.jobhelpers import wait_until
from oumi_mcp_server.jobs.record import JobRecord
from oumi_mcp_server.jobs.service import JobService

PY = sys.executable
HOSTILE = "<img src=x onerror=alert(1)>\"'&"


def stage(
    folder: Path, lr: float, steps: int = 12, evaluation: dict[str, Any] | None = None
) -> Path:
    """Outputs of a run with learning rate `lr` (its loss falls faster the higher `lr`)."""
    history: list[dict[str, object]] = []
    for step in range(1, steps + 1):
        loss = 3.0 * (1 - lr * 800) ** step + 0.5 + 0.03 * (step % 3)
        history.append(
            {
                "loss": round(loss, 4),
                "learning_rate": lr * (1 - step / (steps + 1)),
                "grad_norm": 1.0 / step,
                "step": step,
                "epoch": step / steps,
            }
        )
        if step % 4 == 0:
            history.append({"eval_loss": round(loss + 0.1, 4), "step": step})
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "trainer_state.json").write_text(
        json.dumps({"global_step": steps, "max_steps": steps, "log_history": history})
    )
    if evaluation is not None:
        task_dir = folder / "custom_20260101_000000"
        task_dir.mkdir()
        (task_dir / "task_result.json").write_text(
            json.dumps({"results": evaluation, "duration_sec": 1.5})
        )
    return folder


def suite(accuracy: float, name: str = HOSTILE) -> dict[str, Any]:
    """A prompt_suite task result as `evaluation.scoring.summarize` shapes it."""
    return {
        "prompt_suite": {
            "accuracy": accuracy,
            "passed": round(accuracy * 10),
            "total": 10,
            "by_category": {"arithmetic": 1.0, "capitals": 0.5, f"odd {name}": 0.0},
            "examples": [
                {
                    "prompt": f"What is 2+2? {name}",
                    "expected": "4",
                    "got": f"5 {name}",
                    "pass": False,
                    "category": "arithmetic",
                },
                {
                    "prompt": "Capital of France?",
                    "expected": "Paris",
                    "got": "Paris",
                    "pass": True,
                    "category": "capitals",
                },
            ],
        }
    }


def config(lr: float, extra: dict[str, Any] | None = None) -> bytes:
    data: dict[str, Any] = {
        "model": {"model_name": "tiny-model"},
        "training": {"learning_rate": lr, "max_steps": 12},
    }
    for section, values in (extra or {}).items():
        data.setdefault(section, {}).update(values)
    return yaml.safe_dump(data).encode()


def finished_run(
    svc: JobService,
    tmp: Path,
    name: str,
    lr: float,
    evaluation: dict[str, Any] | None = None,
    extra_config: dict[str, Any] | None = None,
    gate: Path | None = None,
) -> JobRecord:
    """A train job that writes the staged outputs; with `gate`, it keeps running until the gate
    file exists (a live run), else it is awaited to completion."""
    staged = stage(tmp / f"staged-{lr}-{len(name)}", lr, evaluation=evaluation)
    out = tmp / f"out-{lr}-{len(name)}"
    code = (
        "import os, shutil, time\n"
        f"shutil.copytree({str(staged)!r}, {str(out)!r}, copy_function=shutil.copy)\n"
        f"print({'copied <b>' + name + '</b>'!r}, flush=True)\n"
    )
    if gate is not None:
        code += f"while not os.path.exists({str(gate)!r}): time.sleep(0.05)\n"
    rec = svc.submit_argv(
        [PY, "-c", code],
        cwd=str(tmp),
        command="train",
        name=name,
        output_dir=str(out),
        config_bytes=config(lr, extra_config),
    )
    want = "running" if gate is not None else "completed"
    status = wait_until(lambda: svc.status(rec.id).status, lambda s: s in (want, "failed"))
    assert status == want, svc.logs(rec.id, tail=20, stream="both", max_bytes=4096)
    return rec
