"""Which files in a shared output folder are this job's: the baseline taken at launch, the window.

Every Oumi recipe names a fixed output_dir, so a re-run writes where an earlier run left its
`trainer_state.json`, `checkpoint-N/` folders and `metrics_rank*.jsonl` (which oumi appends to).
A job's progress and loss come only from what it wrote itself:

- at launch, `record(run_dir, output_dir)` keeps in the run folder (`progress_base.json`) the
  size, mtime and inode of each of those files, and appends the metrics file's size to the
  folder's launch ledger (`<jobs root>/output_dirs/<hash>.jsonl`);
- `window(run_dir, ...)` bounds the evidence: a file is the job's when it changed since launch
  and its mtime lies between the job's start and its end. The metrics jsonl is read from the
  offset it had at launch, up to the size it had when the next job launched into the folder
  after this one ended (the ledger), else up to where a later run's steps start over.

Jobs with no baseline are bounded by their start and end times when they ran here, and not at
all when they ran on a cluster (their output folder is their own fetched copy). What cannot be
told apart: two jobs writing one folder at the same time. Cost per call: one stat per checkpoint
folder until this job's newest, and bounded reads; never a whole file.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import stat
import time
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from oumi_mcp_server.jobs import runfolder, waiter

BASE = "progress_base.json"
LEDGER_DIR = "output_dirs"
TRAINER_STATE = "trainer_state.json"
METRICS_FILE = "metrics_rank0000.jsonl"
MAX_RECORDED = 2_000
"""Checkpoint folders recorded at launch, newest first; older ones are told apart by time."""
UNTIL_SLACK_NS = 2 * 10**9
"""Writes this soon after the job's end are still its own (file systems date writes coarsely);
a later run needs far longer than this to start writing."""
SCAN_CAP = 16 * 1024 * 1024
LEDGER_TAIL = 256 * 1024
_CHECKPOINT = re.compile(r"checkpoint-(\d{1,12})", re.ASCII)
_METRICS = re.compile(r"metrics_rank\d{1,6}\.jsonl", re.ASCII)
_STEP = re.compile(rb'"(?:global_)?step":\s*(\d{1,13})(?![\d.])')
_READ = os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC
MAX_STEP = 10**12
"""A larger step count is not a real run's; it also keeps every ratio and ETA a finite float."""
Fingerprint = tuple[int, int, int]
"""(size, mtime in ns, inode) of a file."""


def count(value: Any) -> int | None:
    """A step count in 0..MAX_STEP from an int, an integral float or a digit string; else None."""
    integral = isinstance(value, float) and value.is_integer()  # inf and NaN are not
    digits = isinstance(value, str) and 0 < len(value) <= 13 and value.isascii() and value.isdigit()
    if integral or digits:
        value = int(value)
    if not isinstance(value, int) or isinstance(value, bool):
        return None
    return value if 0 <= value <= MAX_STEP else None


def fingerprint(st: os.stat_result) -> Fingerprint:
    return st.st_size, st.st_mtime_ns, st.st_ino


def stat_of(path: Path) -> os.stat_result | None:
    try:
        return path.stat()
    except (OSError, ValueError):  # missing, or a name the file system cannot hold
        return None


def regular_stat(path: Path) -> os.stat_result | None:
    st = stat_of(path)
    return st if st is not None and stat.S_ISREG(st.st_mode) else None


def checkpoints(output_dir: Path) -> list[str]:
    """The `checkpoint-N` names in `output_dir`, highest N first."""
    try:
        with os.scandir(output_dir) as entries:
            names = [e.name for e in entries]
    except (OSError, ValueError):
        return []
    found = [(int(m[1]), n) for n in names if (m := _CHECKPOINT.fullmatch(n))]
    return [n for _, n in sorted(found, reverse=True)]


# ---- the baseline, at launch ---------------------------------------------------------------
def _snapshot(out: Path) -> dict[str, list[int]]:
    files: dict[str, list[int]] = {}
    try:
        names = [p.name for p in out.iterdir()]
    except (OSError, ValueError):
        return files
    rels = [n for n in names if n == TRAINER_STATE or _METRICS.fullmatch(n)]
    rels += [f"{n}/{TRAINER_STATE}" for n in checkpoints(out)[:MAX_RECORDED]]
    for rel in rels:
        st = regular_stat(out / rel)
        if st is not None:
            files[rel] = list(fingerprint(st))
    return files


def ledger_key(output_dir: Path) -> str:
    with contextlib.suppress(OSError, ValueError):
        output_dir = Path(os.path.realpath(output_dir))
    return hashlib.sha256(os.fsencode(output_dir)).hexdigest()[:32]


def record(run_dir: Path, output_dir: str) -> None:
    """Keep what `output_dir` holds now, before the job in `run_dir` starts (local launches)."""
    now = time.time()
    out = Path(output_dir) if output_dir else None
    files = _snapshot(out) if out is not None else {}
    key = ledger_key(out) if out is not None else ""
    base = {"version": 1, "launched_at": now, "output_dir": output_dir, "ledger": key}
    runfolder.write_json_atomic(run_dir / BASE, base | {"files": files})
    if key:
        ledger = runfolder.root_of(run_dir) / LEDGER_DIR / f"{key}.jsonl"
        ledger.parent.mkdir(mode=0o700, exist_ok=True)
        line = json.dumps({"job": run_dir.name, "at": now, "metrics": files.get(METRICS_FILE)})
        fd = os.open(ledger, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o600)
        try:
            os.write(fd, line.encode() + b"\n")  # one small write: appends never interleave
        finally:
            os.close(fd)


def reuse_notes(output_dir: str, keys: tuple[str, ...]) -> list[str]:
    """The plan's warning when `output_dir` already holds a training run's outputs, with the
    fix: a fresh folder for the config key (of `keys`) that names it."""
    key = next((k for k in keys if k.endswith("output_dir")), None)
    files = _snapshot(Path(output_dir)) if output_dir and key else {}
    if not files or key is None:
        return []
    held = [f for f in (TRAINER_STATE, METRICS_FILE) if f in files]
    ckpts = sum("/" in rel for rel in files)
    held += [f"{ckpts} checkpoint folder(s)"] if ckpts else []
    held += [] if held else ["metrics files"]
    stamp = time.strftime("%Y%m%d_%H%M%S")
    return [
        f"Warning: {output_dir} already holds another run's outputs ({', '.join(held)}). "
        "This run would replace its checkpoints and model and append to its metrics; progress "
        "and loss shown for this job are still its own. To keep the runs apart, launch with "
        f"the override {json.dumps({key: f'{output_dir}_{stamp}'})}."
    ]


@dataclass(frozen=True)
class Baseline:
    launched_at: float
    files: dict[str, Fingerprint]
    ledger: str


def _ints(value: Any) -> Fingerprint | None:
    ok = isinstance(value, list) and len(value) == 3
    if not ok or not all(type(v) is int and v >= 0 for v in value):
        return None
    return value[0], value[1], value[2]


def _time(value: Any) -> float | None:
    if isinstance(value, int | float) and not isinstance(value, bool) and 0 < value < 1e11:
        return float(value)
    return None


def read_baseline(run_dir: Path) -> Baseline | None:
    data = runfolder.read_json(run_dir / BASE)
    at = _time(data.get("launched_at")) if data else None
    if data is None or at is None or not isinstance(data.get("files"), dict):
        return None
    files = {k: fp for k, v in data["files"].items() if (fp := _ints(v)) is not None}
    key = data.get("ledger")
    return Baseline(at, files, key if isinstance(key, str) and key.isalnum() else "")


# ---- the window, when reading --------------------------------------------------------------
@dataclass(frozen=True)
class Window:
    """Evidence bounds for one job; the default bounds nothing."""

    since_ns: int | None = None
    until_ns: int | None = None
    """The job's end; None while it runs (or when its end is unknown)."""
    base: Baseline | None = None
    root: Path | None = None

    def owns(self, rel: str, st: os.stat_result) -> bool:
        """Whether the job wrote this file (last): changed since launch, dated within its run."""
        if self.base is not None and self.base.files.get(rel) == fingerprint(st):
            return False
        if self.since_ns is not None and st.st_mtime_ns < self.since_ns:
            return False
        return self.until_ns is None or st.st_mtime_ns <= self.until_ns + UNTIL_SLACK_NS

    def size_at_next_launch(self, inode: int) -> int | None:
        """The metrics file's size when the first job launched into the folder after this one
        ended (so none of this job's rows lie past it); None when there was no such launch."""
        if self.base is None or not self.base.ledger or self.root is None or self.until_ns is None:
            return None
        path = self.root / LEDGER_DIR / f"{self.base.ledger}.jsonl"
        after = max(self.until_ns / 1e9, self.base.launched_at)
        first: tuple[float, int] | None = None
        for line in read_range(path, None, LEDGER_TAIL).splitlines():
            with contextlib.suppress(ValueError, RecursionError):
                entry = json.loads(line)
                at = _time(entry.get("at")) if isinstance(entry, dict) else None
                if at is None or at <= after or (first and first[0] <= at):
                    continue
                fp = _ints(entry.get("metrics"))
                if entry.get("metrics") is None:  # the file was made after that launch
                    first = (at, 0)
                elif fp is not None and fp[2] == inode:
                    first = (at, fp[0])
        return first[1] if first else None


def _ns(value: float | None) -> int | None:
    return int(value * 1e9) if value is not None else None


def window(
    run_dir: Path | None, started_at: float | None = None, ended_at: float | None = None
) -> Window:
    """The bounds for the job whose run folder is `run_dir` (times read from it when not given)."""
    if run_dir is None:
        return Window()
    base = read_baseline(run_dir)
    state = runfolder.read_state(run_dir)
    if base is None and (state is None or state.launch is not None):
        return Window()
    since = started_at or (state.started_at if state else None)
    until = ended_at or (state.ended_at if state else None)
    if until is None and (left := runfolder.read_json(run_dir / waiter.EXIT)):
        until = _time(left.get("ended_at"))
    since = since or (base.launched_at if base else None)
    return Window(_ns(since), _ns(until), base, runfolder.root_of(run_dir))


def owned_states(output_dir: Path, win: Window) -> list[Path]:
    """This job's trainer_state.json files: the output dir's (saved when a run ends) and that of
    its newest checkpoint (older checkpoints cannot be ahead of it)."""
    found = []
    for rel in (TRAINER_STATE, *(f"{n}/{TRAINER_STATE}" for n in checkpoints(output_dir))):
        st = stat_of(output_dir / rel)
        if st is not None and win.owns(rel, st):
            found.append(output_dir / rel)
            if rel != TRAINER_STATE:
                break
    return found


# ---- the metrics jsonl -------------------------------------------------------------------
def read_range(path: Path, start: int | None, size: int) -> bytes:
    """`size` bytes from `start` (None: the file's last `size` bytes); b"" when unreadable."""
    try:
        fd = os.open(path, _READ)
    except (OSError, ValueError):
        return b""
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return b""
        if start is None:
            start = max(0, os.fstat(fd).st_size - size)
        return os.pread(fd, size, start)
    except OSError:
        return b""
    finally:
        os.close(fd)


def _lines(path: Path, start: int, end: int) -> Iterator[tuple[int, bytes]]:
    """(offset, line) for each whole line in [start, end), read in blocks."""
    pos, carry, offset = start, b"", start
    while pos < end:
        block = read_range(path, pos, min(1 << 20, end - pos))
        if not block:
            return
        pos += len(block)
        parts = (carry + block).split(b"\n")
        carry = parts.pop()
        for part in parts:
            yield offset, part
            offset += len(part) + 1


_SCANS: OrderedDict[tuple[str, int, int, int], int] = OrderedDict()


def restart_offset(path: Path, inode: int, start: int, end: int) -> int:
    """Where, in [start, end), the steps first start over (the next run's first row); `end`
    when they never do (at most SCAN_CAP bytes are read). The range is append-only, so the
    answer is kept."""
    key = (str(path), inode, start, end)
    if key in _SCANS:
        return _SCANS[key]
    found, prev = min(end, start + SCAN_CAP), -1
    for offset, line in _lines(path, start, found):
        step = _STEP.search(line)
        if step is not None:
            if int(step[1]) < prev:
                found = offset
                break
            prev = int(step[1])
    _SCANS[key] = found
    while len(_SCANS) > 256:
        _SCANS.popitem(last=False)
    return found


def metrics_region(output_dir: Path, win: Window) -> tuple[Path, int, int] | None:
    """The byte range of the metrics jsonl this job wrote, or None."""
    path = output_dir / METRICS_FILE
    st = regular_stat(path)
    if st is None or (win.since_ns is not None and st.st_mtime_ns < win.since_ns):
        return None
    old = win.base.files.get(METRICS_FILE) if win.base else None
    start = old[0] if old and old[2] == st.st_ino and old[0] <= st.st_size else 0
    end = st.st_size
    if win.until_ns is not None and st.st_mtime_ns > win.until_ns + UNTIL_SLACK_NS:
        cap = win.size_at_next_launch(st.st_ino)
        end = restart_offset(path, st.st_ino, start, min(end, cap if cap is not None else end))
    return (path, start, end) if end > start else None


def json_row(line: bytes) -> dict[str, Any] | None:
    try:
        row = json.loads(line)
    except (ValueError, RecursionError):  # bad JSON or UTF-8, 4,300+ digit ints, deep nesting
        return None
    return row if isinstance(row, dict) else None


@dataclass
class MetricRows:
    lines: list[bytes]
    """This job's lines read, oldest first (parsed only when asked: a status needs the last)."""
    first: dict[str, Any] | None
    """This job's first row."""
    truncated: bool
    """Older rows of this job were not read."""

    def rows(self) -> list[dict[str, Any]]:
        return [r for line in self.lines if (r := json_row(line)) is not None]

    def last_with(self, key: str) -> dict[str, Any] | None:
        """The last row that has `key`."""
        rows = (json_row(ln) for ln in reversed(self.lines) if key.encode() in ln)
        return next((r for r in rows if r is not None and key in r), None)


def metric_rows(output_dir: Path, win: Window, max_bytes: int) -> MetricRows | None:
    """This job's last lines of the metrics jsonl (at most `max_bytes` of them) and its first
    row. Lines before a step that starts over are an earlier run's, still writing when this one
    started."""
    region = metrics_region(output_dir, win)
    if region is None:
        return None
    path, start, end = region
    begin = max(start, end - max_bytes)
    lines = read_range(path, begin, end - begin).split(b"\n")[1 if begin > start else 0 :]
    lines = [ln for ln in lines if ln.strip()]  # (a cut first line was left out)
    cut, prev = 0, -1
    for i, line in enumerate(lines):
        if (step := _STEP.search(line)) is not None:
            cut, prev = (i if int(step[1]) < prev else cut), int(step[1])
    lines = lines[cut:]
    first = json_row(lines[0]) if lines and (cut or begin == start) else None
    if first is None and begin > start:
        first = json_row(read_range(path, start, min(64 * 1024, end - start)).split(b"\n", 1)[0])
    return MetricRows(lines, first, begin > start and not cut)
