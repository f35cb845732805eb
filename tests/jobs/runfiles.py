"""Fake runs that share one output folder, as re-running an Oumi recipe does: each run gets a
run folder with the launch baseline (the real `progress_base.record`) and a state.json, and
writes its files dated inside its own start..end window."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

from oumi_mcp_server.jobs import progress, progress_base, runfolder
from oumi_mcp_server.jobs.models import JobProgress
from oumi_mcp_server.jobs.states import LocalPhase

TRAINER_STATE = progress_base.TRAINER_STATE
METRICS = progress_base.METRICS_FILE


@dataclass
class Run:
    run_dir: Path
    out: Path
    started: float

    @property
    def logs(self) -> list[Path]:
        return [self.run_dir / runfolder.STDERR, self.run_dir / runfolder.STDOUT]

    def end(self, at: float, exit_code: int = 0) -> None:
        runfolder.update_state(
            self.run_dir, phase=LocalPhase.EXITED, ended_at=at, exit_code=exit_code
        )

    def progress(self) -> JobProgress | None:
        state = runfolder.read_state(self.run_dir)
        running = state is not None and state.phase is LocalPhase.RUNNING
        return progress.parse(self.out, self.logs, self.started, running)

    def write_log(self, name: str, text: str) -> None:
        (self.run_dir / name).write_text(text, encoding="utf-8")


def launch(root: Path, out: Path, name: str, started: float) -> Run:
    """A run folder under `root/runs` with the baseline taken now, started at `started`."""
    run_dir = runfolder.create_run_dir(root, name)
    progress_base.record(run_dir, str(out))
    runfolder.update_state(run_dir, phase=LocalPhase.RUNNING, started_at=started)
    return Run(run_dir, out, started)


def write(path: Path, text: str, at: float, append: bool = False) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a" if append else "w", encoding="utf-8") as fh:
        fh.write(text)
    os.utime(path, (at, at))


def loss_at(step: int, run: int) -> float:
    """A distinct loss per run and step, so a value tells which run wrote it."""
    return round(10.0 * run + 5.0 - step / 1000, 6)


def rows(steps: range, run: int, summary: bool = False) -> str:
    """metrics_rank0000.jsonl rows as oumi appends them (then its end-of-run summary)."""
    out = [
        {"loss": loss_at(s, run), "learning_rate": 1e-4, "epoch": s / 100, "step": s} for s in steps
    ]
    if summary and steps:
        out.append({"train_runtime": 1.0, "train_loss": 1.0, "step": steps[-1]})
    return "".join(json.dumps(r) + "\n" for r in out)


def trainer_state(step: int, max_steps: int, run: int, history: bool = True) -> str:
    """trainer_state.json as transformers writes it (indent 2, sorted keys)."""
    log = [
        {"epoch": s / 100, "grad_norm": 2.5, "learning_rate": 1e-4, "loss": loss_at(s, run)}
        | {"mean_token_accuracy": 0.4815, "num_tokens": 1594.0 * s, "step": s}
        for s in range(1, step + 1)
    ]
    state = {
        "epoch": step / 100,
        "global_step": step,
        "log_history": log if history else [],
        "logging_steps": 1,
        "max_steps": max_steps,
        "save_steps": 10,
    }
    return json.dumps(state, indent=2, sort_keys=True) + "\n"


def checkpoint(out: Path, step: int, max_steps: int, run: int, at: float) -> None:
    write(out / f"checkpoint-{step}" / TRAINER_STATE, trainer_state(step, max_steps, run), at)
