"""Training progress from what oumi leaves behind: trainer_state.json, metrics_rank*.jsonl, logs.

Every source is read bounded (the end of a file, one JSON of at most MAX_STATE_BYTES), so this
stays cheap however long the run. Sources disagree while a run is young; the highest step wins.

Parsing is total: these files are written by a job (any job, any bug), and one odd value must not
break the status of that job, let alone the listing of all jobs. A value that is not a usable
number (a string, NaN, 1e400, a nested object, a 5,000-digit integer) reads as unknown (None),
and the answer's `notes` say which one.
"""

from __future__ import annotations

import json
import math
import re
import stat
import time
from pathlib import Path
from typing import Any

from oumi_mcp_server.core.echo import short
from oumi_mcp_server.core.errors import ServiceError
from oumi_mcp_server.core.safe_read import read_regular_file
from oumi_mcp_server.jobs import logs
from oumi_mcp_server.jobs.models import JobProgress

# Bounded runs of digits (never a 5,000-digit int() to parse), ASCII only.
_TQDM = re.compile(
    r"(?<!\d)(\d{1,12})/(\d{1,12}) \[(?:(\d{1,6}):)?(\d{1,6}):(\d{1,6})"
    r"<(?:(?:(\d{1,6}):)?(\d{1,6}):(\d{1,6})|\?)",
    re.ASCII,
)
_NUM = r"['\"]?(-?\d{1,400}(?:\.\d{1,400})?(?:[eE][-+]?\d{1,6})?)['\"]?"
LOSS_FIELD = re.compile(r"['\"]loss['\"]:\s*" + _NUM, re.ASCII)
"""A `'loss': 1.23` field of a metric dict printed to a log (JSON or Python repr)."""
_EPOCH = re.compile(r"['\"]epoch['\"]:\s*" + _NUM, re.ASCII)
_TAIL_BYTES = 64 * 1024
MAX_STATE_BYTES = 32 * 1024 * 1024
MAX_STEP = 10**12
"""A larger step count is not a real run's; it also keeps every ratio and ETA a finite float."""
MAX_NOTES = 5
TRAINER_STATE = "trainer_state.json"
METRICS_FILE = "metrics_rank0000.jsonl"


def finite(value: Any) -> float | None:
    """A finite float from a number or a numeric string; None for anything else."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    if isinstance(value, str) and len(value) > 400:
        return None
    try:
        number = float(value)
    except (ValueError, OverflowError):  # not a number; an int too large for a float
        return None
    return number if math.isfinite(number) else None


def count(value: Any) -> int | None:
    """A step count in 0..MAX_STEP from an int, an integral float or a digit string; else None."""
    integral = isinstance(value, float) and value.is_integer()  # inf and NaN are not
    digits = isinstance(value, str) and 0 < len(value) <= 13 and value.isascii() and value.isdigit()
    if integral or digits:
        value = int(value)
    if not isinstance(value, int) or isinstance(value, bool):
        return None
    return value if 0 <= value <= MAX_STEP else None


def note(notes: list[str], text: str) -> None:
    if text not in notes and len(notes) < MAX_NOTES:
        notes.append(text)


def _field(row: dict[str, Any], key: str, source: str, notes: list[str], steps: bool) -> Any:
    """`row[key]` as a count or a float; None, with a note, when it is there but unusable."""
    if key not in row or row[key] is None:
        return None
    value = count(row[key]) if steps else finite(row[key])
    if value is None:
        what = "step count" if steps else "finite number"
        note(notes, f"{source}: {short(key)} is not a usable {what}; shown as unknown.")
    return value


def is_regular(path: Path) -> bool:
    """Whether `path` is a regular file (not a FIFO a job left, not a folder); never raises."""
    try:
        return stat.S_ISREG(path.stat().st_mode)
    except (OSError, ValueError):
        return False


def is_folder(path: Path) -> bool:
    try:
        return path.is_dir()
    except (OSError, ValueError):  # a name too long for the file system, say
        return False


def _checkpoints(output_dir: Path) -> list[Path]:
    """The two newest checkpoint folders (older ones cannot be ahead of them)."""
    try:
        found = [
            (int(p.name[11:]), p)
            for p in output_dir.glob("checkpoint-*")
            if p.name[11:].isascii() and p.name[11:].isdigit() and len(p.name) < 40
        ]
    except OSError:
        return []
    return [p for _, p in sorted(found)[-2:]]


def _read_json(path: Path, notes: list[str]) -> Any:
    try:
        raw = read_regular_file(path, MAX_STATE_BYTES, kind="trainer_state")
    except ServiceError as exc:
        if exc.code != "trainer_state_not_found":
            note(notes, f"{path.name} not read: {short(exc.message, 120)}")
        return None
    try:
        return json.loads(raw)
    except (ValueError, RecursionError):  # bad JSON or UTF-8, 4,300+ digit ints, deep nesting
        note(notes, f"{path.name} is not valid JSON (being written?); skipped.")
        return None


def trainer_state(output_dir: Path, notes: list[str] | None = None) -> dict[str, Any] | None:
    """The newest trainer_state.json: the output dir's, else the highest checkpoint's."""
    notes = [] if notes is None else notes
    best: dict[str, Any] | None = None
    best_step = -1
    for folder in (output_dir, *_checkpoints(output_dir)):
        data = _read_json(folder / TRAINER_STATE, notes)
        if not isinstance(data, dict):
            continue
        step = count(data.get("global_step"))
        if best is None or (step if step is not None else -1) >= best_step:
            best, best_step = data, step if step is not None else -1
    return best


def loss_rows(state: dict[str, Any]) -> list[dict[str, Any]]:
    """The dict entries of `log_history` (an odd log_history is no history)."""
    history = state.get("log_history")
    return [h for h in history if isinstance(h, dict)] if isinstance(history, list) else []


def _metrics(output_dir: Path) -> tuple[dict[str, Any] | None, Any]:
    """Last logged metric dict with a loss, and the first row's loss, from metrics_rank0000."""
    path = output_dir / METRICS_FILE
    text = safe_tail(path, 50).text
    if not text:
        return None, None
    last: dict[str, Any] | None = None
    for line in reversed(text.splitlines()):
        row = _json_line(line)
        if isinstance(row, dict) and "loss" in row:
            last = row
            break
    first = _json_line(logs.head_line(path))
    return last, first.get("loss") if isinstance(first, dict) else None


def safe_tail(path: Path, lines: int, max_bytes: int = _TAIL_BYTES) -> logs.Tail:
    """The end of a job-written text file; empty unless it is a regular file that can be read
    (a FIFO would block the reader, a folder or an I/O error would raise)."""
    if is_regular(path):
        try:
            return logs.tail(path, lines, max_bytes)
        except OSError:
            pass
    return logs.Tail("", 0, 0, False)


def _json_line(line: str) -> Any:
    try:
        return json.loads(line)
    except (ValueError, RecursionError):
        return None


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
        bars = [b for b in bars if count(b[1][1]) == total_steps] or bars
    return bars[-1] if bars else ("", None)


def _from_trainer_state(output_dir: Path, prog: JobProgress, notes: list[str]) -> None:
    state = trainer_state(output_dir, notes)
    if not state:
        return
    prog.step = _field(state, "global_step", TRAINER_STATE, notes, steps=True) or None
    prog.total_steps = _field(state, "max_steps", TRAINER_STATE, notes, steps=True) or None
    prog.epoch = _field(state, "epoch", TRAINER_STATE, notes, steps=False)
    history = [h for h in loss_rows(state) if "loss" in h]
    if history:
        prog.loss = _field(history[-1], "loss", TRAINER_STATE, notes, steps=False)
        prog.first_loss = finite(history[0]["loss"])
    prog.sources.append(TRAINER_STATE)


def _from_metrics(output_dir: Path, prog: JobProgress, notes: list[str]) -> None:
    last, first = _metrics(output_dir)
    if not last:
        return
    step = count(last.get("step") or last.get("global_step"))
    if step is not None and step >= (prog.step or 0):
        prog.step = step
        prog.loss = _field(last, "loss", METRICS_FILE, notes, steps=False)
        prog.epoch = finite(last.get("epoch")) or prog.epoch
    first_loss = finite(first)
    prog.first_loss = first_loss if first_loss is not None else prog.first_loss
    prog.sources.append(METRICS_FILE)


def _from_logs(log_paths: list[Path], prog: JobProgress) -> float | None:
    """Step and loss from the logs' progress bars and metric lines; the bar's ETA if any."""
    texts = [(p, safe_tail(p, 400).text.replace("\r", "\n")) for p in log_paths]
    tqdm_eta: float | None = None
    bar_path, bar = _training_bar(texts, prog.total_steps)
    if bar is not None:
        n, total, *_elapsed, eh, em, es = bar
        step, total_steps = count(n), count(total)
        if step is not None and total_steps and (prog.step is None or step >= prog.step):
            prog.step, prog.total_steps = step, total_steps
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
    return tqdm_eta


def parse(
    output_dir: Path | None, log_paths: list[Path], started_at: float | None, running: bool
) -> JobProgress | None:
    """What the job's own files say of its progress; None when they say nothing yet."""
    prog = JobProgress()
    notes: list[str] = []
    if output_dir is not None and is_folder(output_dir):
        _from_trainer_state(output_dir, prog, notes)
        _from_metrics(output_dir, prog, notes)
    tqdm_eta = _from_logs(log_paths, prog)
    prog.notes = notes
    if not prog.sources and not notes:
        return None
    if prog.step is not None and prog.total_steps:
        prog.fraction = round(min(1.0, prog.step / prog.total_steps), 4)
        if running:
            if tqdm_eta is not None:
                prog.eta_s = tqdm_eta
            elif started_at and prog.step and math.isfinite(started_at):
                rate = max(0.0, time.time() - started_at) / prog.step
                prog.eta_s = round(max(0.0, (prog.total_steps - prog.step) * rate), 1)
        else:
            prog.eta_s = 0.0 if prog.fraction >= 1.0 else None
    return prog
