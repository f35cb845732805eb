"""Training progress of one job, from the evidence it wrote itself (see `progress_base`).

Sources: this job's trainer_state.json (the output dir's, saved at the end, and its newest
checkpoint's), its rows of metrics_rank0000.jsonl, and its own logs: the trainer's progress bar
(never a labelled bar such as "Loading weights: 20/20" or "Map: 64/64") and the metric dicts
the trainer prints. All of them are this run's, so the furthest step wins; the step never
exceeds the total. Every read is bounded (the ends of files, never a whole trainer state for a
status), so a call costs the same with 50 checkpoints and a gigabyte of logs.

Parsing is total: these files are written by a job (any job, any bug), and one odd value must not
break the status of that job, let alone the listing of all jobs. A value that is not a usable
number (a string, NaN, 1e400, a nested object, a 5,000-digit integer) reads as unknown (None),
and the answer's `notes` say which one. The dashboard, `list_jobs`, `get_job_status` and
`wait_for_job` all read this one model (`Notifier` turns it into progress notifications).
"""

from __future__ import annotations

import json
import math
import re
import stat
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from oumi_mcp_server.core.echo import short
from oumi_mcp_server.core.errors import ServiceError
from oumi_mcp_server.core.safe_read import read_regular_file
from oumi_mcp_server.jobs import logs
from oumi_mcp_server.jobs import progress_base as base
from oumi_mcp_server.jobs.models import JobProgress, JobStatusView
from oumi_mcp_server.jobs.progress_base import MAX_STEP, METRICS_FILE, TRAINER_STATE, Window, count
from oumi_mcp_server.jobs.states import JobState

# The trainer's tqdm bar: at the start of a line (or of a \r redraw), no label before it; an
# optional "42%|####  |" then "n/total [elapsed<remaining". Digit runs are bounded, ASCII only.
_BAR = re.compile(
    r"^[ \t]*(?:\x1b\[[0-9;]{0,8}[A-Za-z])*[ \t]*(?:\d{1,3}%\|[^|\n]{0,200}\|[ \t]*)?"
    r"(\d{1,12})/(\d{1,12}) \[(?:(\d{1,6}):)?(\d{1,6}):(\d{1,6})"
    r"<(?:(?:(\d{1,6}):)?(\d{1,6}):(\d{1,6})|\?)",
    re.ASCII | re.MULTILINE,
)
_NUM = r"['\"]?(-?\d{1,400}(?:\.\d{1,400})?(?:[eE][-+]?\d{1,6})?)['\"]?"
LOSS_FIELD = re.compile(r"['\"]loss['\"]:\s*" + _NUM, re.ASCII)
"""A `'loss': 1.23` field of a metric dict printed to a log (JSON or Python repr)."""
STEP_FIELD = re.compile(r"['\"](?:global_)?step['\"]:\s*['\"]?(\d{1,13})(?!\d)", re.ASCII)
_EPOCH = re.compile(r"['\"]epoch['\"]:\s*" + _NUM, re.ASCII)
_TAIL_BYTES = 64 * 1024
_METRICS_BYTES = 16 * 1024
"""The end of this run's metrics rows a status reads (the curve reads up to 2 MB)."""
MAX_STATE_BYTES = 32 * 1024 * 1024
FULL_PARSE_BYTES = 256 * 1024
"""A larger trainer state is read by its two ends only (for a status; the curve reads it all)."""
_ENDS_BYTES = 64 * 1024
_TOP_FIELD = re.compile(rb'^  "(epoch|global_step|max_steps)": ([^\n]{1,80}?),?$', re.M)
_ENTRY = re.compile(rb"^    \{$(.{0,8192}?)^    \}", re.M | re.S)
MAX_NOTES = 5
__all__ = ["MAX_STEP", "METRICS_FILE", "TRAINER_STATE", "JobProgress", "Notifier", "count", "parse"]


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
    st = base.stat_of(path)
    return st is not None and stat.S_ISREG(st.st_mode)


def is_folder(path: Path) -> bool:
    try:
        return path.is_dir()
    except (OSError, ValueError):  # a name too long for the file system, say
        return False


def safe_tail(path: Path, lines: int, max_bytes: int = _TAIL_BYTES) -> logs.Tail:
    """The end of a job-written text file; empty unless it is a regular file that can be read
    (a FIFO would block the reader, a folder or an I/O error would raise)."""
    if is_regular(path):
        try:
            return logs.tail(path, lines, max_bytes)
        except OSError:
            pass
    return logs.Tail("", 0, 0, False)


# ---- trainer_state.json --------------------------------------------------------------------
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


def _state_ends(path: Path, size: int, notes: list[str]) -> dict[str, Any]:
    """The fields a status needs from a large trainer state written as transformers writes it
    (indent 2, sorted keys): the top-level counts, the first and the last log entries."""
    head = base.read_range(path, 0, _ENDS_BYTES)
    tail = base.read_range(path, size - _ENDS_BYTES, _ENDS_BYTES)
    out: dict[str, Any] = {}
    for chunk in (head, tail):
        for key, raw in _TOP_FIELD.findall(chunk):
            if (row := base.json_row(b'{"v": ' + raw + b"}")) is not None:
                out[key.decode()] = row["v"]
    start = head.find(b'"log_history": [')
    first = _ENTRY.search(head, start) if start >= 0 else None
    bodies = ([first[1]] if first else []) + [m[1] for m in _ENTRY.finditer(tail)]
    entries = [base.json_row(b"{" + body + b"}") for body in bodies]
    out["log_history"] = [e for e in entries if e is not None]
    if "global_step" not in out:
        note(notes, f"{path.name} is not laid out as transformers writes it; read as unknown.")
    return out


def read_state(path: Path, notes: list[str], whole: bool = False) -> dict[str, Any] | None:
    """A trainer state: whole (up to MAX_STATE_BYTES) when `whole` or small, else its ends."""
    st = base.stat_of(path)
    if whole or st is None or not stat.S_ISREG(st.st_mode) or st.st_size <= FULL_PARSE_BYTES:
        data = _read_json(path, notes)
    else:
        data = _state_ends(path, st.st_size, notes)
    return data if isinstance(data, dict) else None


def trainer_state(
    output_dir: Path, win: Window, notes: list[str] | None = None, whole: bool = False
) -> dict[str, Any] | None:
    """This job's furthest trainer state: the output dir's, else its newest checkpoint's."""
    notes = [] if notes is None else notes
    best: dict[str, Any] | None = None
    best_step = -1
    for path in base.owned_states(output_dir, win):
        data = read_state(path, notes, whole)
        step = count(data.get("global_step")) if data else None
        if data is not None and (best is None or (step if step is not None else -1) > best_step):
            best, best_step = data, step if step is not None else -1
    return best


def loss_rows(state: dict[str, Any]) -> list[dict[str, Any]]:
    """The dict entries of `log_history` (an odd log_history is no history)."""
    history = state.get("log_history")
    return [h for h in history if isinstance(h, dict)] if isinstance(history, list) else []


# ---- evidence, one source at a time ------------------------------------------------------------
@dataclass
class _Seen:
    """What one source says; `loss_step` is the step its latest loss was logged at."""

    source: str
    rank: int
    """Which loss wins on equal steps: metrics rows (full precision, freshest) first."""
    step: int | None = None
    total: int | None = None
    loss: float | None = None
    loss_step: int = -1
    first_loss: float | None = None
    epoch: float | None = None
    eta_s: float | None = None


def _from_state(output_dir: Path, win: Window, notes: list[str]) -> _Seen | None:
    state = trainer_state(output_dir, win, notes)
    if not state:
        return None
    seen = _Seen(TRAINER_STATE, 1)
    seen.step = _field(state, "global_step", TRAINER_STATE, notes, steps=True) or None
    seen.total = _field(state, "max_steps", TRAINER_STATE, notes, steps=True) or None
    seen.epoch = _field(state, "epoch", TRAINER_STATE, notes, steps=False)
    history = [h for h in loss_rows(state) if "loss" in h]
    if history:
        seen.loss = _field(history[-1], "loss", TRAINER_STATE, notes, steps=False)
        seen.loss_step = count(history[-1].get("step")) or seen.step or 0
        seen.first_loss = finite(history[0]["loss"])
    return seen


def _from_metrics(output_dir: Path, win: Window, notes: list[str]) -> _Seen | None:
    found = base.metric_rows(output_dir, win, _METRICS_BYTES)
    if found is None or not found.lines:
        return None
    seen = _Seen(METRICS_FILE, 2)
    step_row = found.last_with("step")
    seen.step = count(step_row["step"]) if step_row else None
    last = found.last_with("loss")
    if last is not None:
        seen.loss = _field(last, "loss", METRICS_FILE, notes, steps=False)
        seen.loss_step = count(last.get("step", last.get("global_step"))) or 0
        seen.epoch = finite(last.get("epoch"))
    first = found.first if found.first and "loss" in found.first else None
    seen.first_loss = finite(first["loss"]) if first else None
    return seen


def _hms(h: str | None, m: str | None, s: str | None) -> float:
    return int(h or 0) * 3600 + int(m or 0) * 60 + int(s or 0)


def _log_lines(path: Path) -> list[str]:
    """The lines (\r redraws apart) of the last _TAIL_BYTES of a job's log, the cut first one
    left out. Only numbers are taken from them, so they are not redacted."""
    st = base.regular_stat(path)
    data = base.read_range(path, None, _TAIL_BYTES) if st is not None else b""
    lines = data.decode("utf-8", "replace").replace("\r", "\n").split("\n")
    return lines[1:] if st is not None and st.st_size > len(data) else lines


def _training_bar(
    logs: list[tuple[Path, list[str]]], total_steps: int | None
) -> tuple[str, tuple[str | Any, ...] | None]:
    """The trainer's last bar over all logs (later logs first), searched from the end:
    unlabelled (tqdm writes a label before the percentage), n <= total; one whose total is the
    trainer state's step count wins (the evaluation bar has no label either)."""
    fallback: tuple[str, tuple[str | Any, ...]] | None = None
    for path, lines in reversed(logs):
        for line in reversed(lines):
            m = _BAR.match(line) if "/" in line else None
            n, total = (count(m[1]), count(m[2])) if m else (None, None)
            if m is None or n is None or not total or n > total:
                continue
            if not total_steps or total == total_steps:
                return path.name, m.groups()
            fallback = fallback or (path.name, m.groups())
    return fallback or ("", None)


def _loss_line(lines: Iterable[str]) -> tuple[str, re.Match[str]] | None:
    """The first of `lines` with a printed loss, and the match."""
    for line in lines:
        if "loss" in line and (m := LOSS_FIELD.search(line)) is not None:
            return line, m
    return None


def _from_logs(log_paths: list[Path], total_steps: int | None) -> list[_Seen]:
    """The trainer's bar (step, total, ETA) and printed metric dicts (loss, epoch, step)."""
    logs = [(p, _log_lines(p)) for p in log_paths]
    found = []
    name, bar = _training_bar(logs, total_steps)
    if bar is not None:
        n, total, *_elapsed, eh, em, es = bar
        seen = _Seen(f"{name} progress bar", 0, step=count(n), total=count(total))
        seen.eta_s = _hms(eh, em, es) if es else None
        found.append(seen)
    for path, lines in logs:
        last, first = _loss_line(reversed(lines)), _loss_line(lines)
        if last is None or first is None:
            continue
        step, epoch = STEP_FIELD.search(last[0]), _EPOCH.search(last[0])
        seen = _Seen(f"{path.name} metric lines", 0, loss=finite(last[1][1]))
        seen.step = count(step[1]) if step else None
        seen.loss_step = seen.step or 0
        seen.first_loss = finite(first[1][1])
        seen.epoch = finite(epoch[1]) if epoch else None
        found.append(seen)
        break
    return found


# ---- one model ------------------------------------------------------------------------------
def run_dir_of(log_paths: list[Path]) -> Path | None:
    """The run folder: the service passes its stdout and stderr logs."""
    return log_paths[0].parent if log_paths else None


def parse(
    output_dir: Path | None,
    log_paths: list[Path],
    started_at: float | None,
    running: bool,
) -> JobProgress | None:
    """What this job's own evidence says of its progress; None when it says nothing yet (its
    end, when it ended, is read from its run folder)."""
    notes: list[str] = []
    win = base.window(run_dir_of(log_paths), started_at)
    seen: list[_Seen] = []
    if output_dir is not None and is_folder(output_dir):
        seen += filter(
            None, (_from_state(output_dir, win, notes), _from_metrics(output_dir, win, notes))
        )
    state_total = next((s.total for s in seen if s.source == TRAINER_STATE and s.total), None)
    seen += _from_logs(log_paths, state_total)
    if not seen and not notes:
        return None
    prog = JobProgress(sources=[s.source for s in seen])
    steps = [s.step for s in seen if s.step]
    prog.step = max(steps) if steps else None
    prog.total_steps = state_total or next((s.total for s in seen if s.total), None)
    if prog.step is not None and prog.total_steps and prog.step > prog.total_steps:
        note(
            notes,
            f"Step {prog.step} is past the total {prog.total_steps} a source gave; "
            "total shown as unknown.",
        )
        prog.total_steps = None
    with_loss = [s for s in seen if s.loss is not None]
    if with_loss:
        best = max(with_loss, key=lambda s: (s.loss_step, s.rank))
        prog.loss, prog.epoch = best.loss, best.epoch
    prog.epoch = (
        prog.epoch
        if prog.epoch is not None
        else next((s.epoch for s in seen if s.epoch is not None), None)
    )
    firsts = sorted((s for s in seen if s.first_loss is not None), key=lambda s: -s.rank)
    prog.first_loss = firsts[0].first_loss if firsts else None
    if prog.step is not None and prog.total_steps:
        prog.fraction = round(min(1.0, prog.step / prog.total_steps), 4)
        bar_eta = next((s.eta_s for s in seen if s.eta_s is not None and s.step == prog.step), None)
        if running:
            if bar_eta is not None:
                prog.eta_s = bar_eta
            elif started_at and prog.step and math.isfinite(started_at):
                rate = max(0.0, time.time() - started_at) / prog.step
                prog.eta_s = round(max(0.0, (prog.total_steps - prog.step) * rate), 1)
        else:
            prog.eta_s = 0.0 if prog.fraction >= 1.0 else None
    prog.notes = notes
    return prog


# ---- wait_for_job's notifications ----------------------------------------------------------------
@dataclass
class Notifier:
    """Progress notifications from successive views of one job: `progress` strictly increases
    (as MCP requires) and never exceeds `total`; a heartbeat goes out when nothing moved for
    `heartbeat_s`, so clients do not time out. While the job runs, the value stays a hair below
    the total (room for heartbeats while the last step saves); it reaches it once the job ends."""

    heartbeat_s: float
    last: float | None = None
    key: tuple[Any, ...] = ()
    at: float = 0.0

    def next(self, view: JobStatusView, now: float) -> tuple[float, float | None, str] | None:
        """(progress, total, message) to send for `view`, or None to send nothing."""
        p = view.progress
        total = float(p.total_steps) if p and p.total_steps else None
        step = float(p.step) if p and p.step is not None else 0.0
        step = min(step, total) if total is not None else step
        loss = p.loss if p else None
        key = (view.status, step, total, loss)
        if key == self.key and now - self.at < self.heartbeat_s:
            return None
        cap = math.inf if total is None else total
        if total is not None and not JobState(view.status).is_terminal():
            cap = total - max(total * 1e-6, 1e-9)
        after = -math.inf if self.last is None else math.nextafter(self.last, math.inf)
        value = min(max(step, after), cap)
        if value < after:  # no room under this total (it shrank): say nothing of a total
            value, total = after, None
        self.last, self.key, self.at = value, key, now
        words = [view.status]
        if p and p.step is not None:
            words.append(f"step {int(step)}" + (f"/{int(total)}" if total else ""))
        if loss is not None:
            words.append(f"loss {loss:.4g}")
        return value, total, ", ".join(words)
