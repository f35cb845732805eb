"""Training progress from what oumi leaves behind: trainer_state.json, metrics_rank*.jsonl, logs.

Every source is read bounded (the end of a file, one small JSON), so this stays cheap however long
the run. Sources disagree while a run is young; the highest step wins.
"""

from __future__ import annotations

import json
import math
import re
import time
from pathlib import Path
from typing import Any

from oumi_mcp_server.jobs import logs
from oumi_mcp_server.jobs.models import JobProgress

_TQDM = re.compile(r"(\d+)/(\d+) \[(?:(\d+):)?(\d+):(\d+)<(?:(?:(\d+):)?(\d+):(\d+)|\?)")
_NUM = r"['\"]?(-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?)['\"]?"
LOSS_FIELD = re.compile(r"['\"]loss['\"]:\s*" + _NUM)
"""A `'loss': 1.23` field of a metric dict printed to a log (JSON or Python repr)."""
_EPOCH = re.compile(r"['\"]epoch['\"]:\s*" + _NUM)
_TAIL_BYTES = 64 * 1024
TRAINER_STATE = "trainer_state.json"
METRICS_FILE = "metrics_rank0000.jsonl"


def finite(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def trainer_state(output_dir: Path) -> dict[str, Any] | None:
    """The newest trainer_state.json: the output dir's, else the highest checkpoint's."""
    candidates = [output_dir / TRAINER_STATE]
    try:
        ckpts = [p for p in output_dir.glob("checkpoint-*") if p.name.split("-")[-1].isdigit()]
    except OSError:
        ckpts = []
    candidates += [
        p / TRAINER_STATE for p in sorted(ckpts, key=lambda p: int(p.name.split("-")[-1]))
    ]
    best: dict[str, Any] | None = None
    for path in candidates:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if isinstance(data, dict) and (
            best is None or data.get("global_step", 0) >= best.get("global_step", 0)
        ):
            best = data
    return best


def _metrics(output_dir: Path) -> tuple[dict[str, Any] | None, float | None]:
    """Last and first logged metric dicts with a loss from oumi's metrics_rank0000.jsonl."""
    path = output_dir / METRICS_FILE
    if not path.exists():
        return None, None
    last: dict[str, Any] | None = None
    for line in reversed(logs.tail(path, 50, _TAIL_BYTES).text.splitlines()):
        try:
            row = json.loads(line)
        except ValueError:
            continue
        if isinstance(row, dict) and "loss" in row:
            last = row
            break
    first = None
    try:
        first_row = json.loads(logs.head_line(path))
        first = finite(first_row.get("loss")) if isinstance(first_row, dict) else None
    except ValueError:
        pass
    return last, first


def _hms(h: str | None, m: str | None, s: str | None) -> float:
    return int(h or 0) * 3600 + int(m or 0) * 60 + int(s or 0)


def _training_bar(
    texts: list[tuple[Path, str]], total_steps: int | None
) -> tuple[str, tuple[str, ...] | None]:
    """The last tqdm bar that looks like the trainer's, over all logs (earlier logs first).

    The trainer's bar has no label; "Loading weights: 20/20" or "Map: 64/64" bars, in any of the
    logs, would otherwise pass for training steps. A bar whose total is the known step count wins.
    """
    plain: list[tuple[str, tuple[str, ...]]] = []
    labelled: list[tuple[str, tuple[str, ...]]] = []
    for path, text in texts:
        for match in _TQDM.finditer(text):
            prefix = text[text.rfind("\n", 0, match.start()) + 1 : match.start()]
            kind = labelled if ":" in prefix.split("|", 1)[0] else plain
            kind.append((path.name, match.groups()))
    bars = plain or labelled
    if total_steps:
        bars = [b for b in bars if int(b[1][1]) == total_steps] or bars
    return bars[-1] if bars else ("", None)


def parse(
    output_dir: Path | None, log_paths: list[Path], started_at: float | None, running: bool
) -> JobProgress | None:
    prog = JobProgress()
    if output_dir is not None and output_dir.is_dir():
        state = trainer_state(output_dir)
        if state:
            prog.step = int(state.get("global_step") or 0) or None
            prog.total_steps = int(state.get("max_steps") or 0) or None
            prog.epoch = finite(state.get("epoch"))
            history = [
                h for h in state.get("log_history") or [] if isinstance(h, dict) and "loss" in h
            ]
            if history:
                prog.loss = finite(history[-1]["loss"])
                prog.first_loss = finite(history[0]["loss"])
            prog.sources.append(TRAINER_STATE)
        last, first = _metrics(output_dir)
        if last:
            step = last.get("step") or last.get("global_step")
            if isinstance(step, int) and step >= (prog.step or 0):
                prog.step = step
                prog.loss = finite(last.get("loss"))
                prog.epoch = finite(last.get("epoch")) or prog.epoch
            prog.first_loss = first if first is not None else prog.first_loss
            prog.sources.append(METRICS_FILE)
    tqdm_eta: float | None = None
    texts = [(p, logs.tail(p, 400, _TAIL_BYTES).text.replace("\r", "\n")) for p in log_paths]
    bar_path, bar = _training_bar(texts, prog.total_steps)
    if bar is not None:
        n, total, *_elapsed, eh, em, es = bar
        if prog.step is None or int(n) >= prog.step:
            prog.step, prog.total_steps = int(n), int(total)
            tqdm_eta = _hms(eh, em, es) if es else None
        prog.sources.append(f"{bar_path} progress bar")
    for path, text in texts:
        losses = LOSS_FIELD.findall(text)
        if losses and prog.loss is None:
            prog.loss = finite(losses[-1])
            prog.first_loss = prog.first_loss if prog.first_loss is not None else finite(losses[0])
            epochs = _EPOCH.findall(text)
            prog.epoch = finite(epochs[-1]) if epochs else prog.epoch
            prog.sources.append(f"{path.name} metric lines")
    if not prog.sources:
        return None
    if prog.step is not None and prog.total_steps:
        prog.fraction = round(min(1.0, prog.step / prog.total_steps), 4)
        if running:
            if tqdm_eta is not None:
                prog.eta_s = tqdm_eta
            elif started_at and prog.step:
                rate = (time.time() - started_at) / prog.step
                prog.eta_s = round(max(0.0, (prog.total_steps - prog.step) * rate), 1)
        else:
            prog.eta_s = 0.0 if prog.fraction >= 1.0 else None
    return prog
