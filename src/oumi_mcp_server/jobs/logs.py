"""Bounded log reads from the end of a file: a 1 GB log costs the same as a small one.

Lines are read backwards in blocks, each kept to at most LINE_CAP bytes (its end: the last state
of a progress bar), so a scan is linear in the bytes it reads, whatever the line lengths. Text
is redacted before anything looks at it: a grep matches the redacted text (it cannot probe a
secret), with a user pattern on RE2 (linear time) and within a byte and a time budget.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Literal

from oumi_mcp_server.core.errors import ServiceError
from oumi_mcp_server.core.redact import Redactor, redactor
from oumi_mcp_server.core.safe_regex import SafePattern, compile_fixed, compile_user
from oumi_mcp_server.jobs import runfolder
from oumi_mcp_server.jobs.models import LogStream

MAX_TAIL = 10_000
DEFAULT_MAX_BYTES = 6_000
MAX_BYTES_CAP = 1_000_000
Stream = Literal["stdout", "stderr", "both"]
LINE_CAP = 64 * 1024
"""A longer line is cut to its last LINE_CAP bytes for matching and display, with a marker."""
GREP_SCAN_BUDGET = 64 * 1024 * 1024
"""A grep reads at most this many bytes back from the end; older lines are reported truncated."""
GREP_TIME_BUDGET_S = 2.0
"""A grep stops searching older lines after this long, and says so."""
_BLOCK = LINE_CAP  # not more: a line wholly inside one block then needs no cap
_ERROR_LINE = compile_fixed(
    r"(?i)(\b\w*(error|exception)\b|traceback|\bfatal\b|\bkilled\b|\bfailed\b|out of memory)"
)
_PARTIAL_TOKEN = re.compile(rb"[^\s\"'<>,;()\[\]{}]*")
_TIMED_OUT_NOTE = "[search stopped after {:g} s: older lines were not searched]"


@dataclass
class Tail:
    text: str
    lines: int
    file_size: int
    truncated: bool
    timed_out: bool = False


@dataclass
class _Line:
    data: bytes
    cut: int = 0
    """Bytes left out at its start; -1: its start was not read."""


class _Backwards:
    """Chunks of whole lines from the end of a file, newest first, reading at most `budget`
    bytes; each byte is read and split once, each line kept to its last LINE_CAP bytes."""

    def __init__(self, fh: BinaryIO, size: int, budget: int) -> None:
        self._fh, self._pos, self._stop = fh, size, max(0, size - budget)
        self._pieces: list[bytes] = []  # the current line's end, newest piece first
        self._kept = 0
        self._dropped = 0
        self._pending = False  # a line (maybe empty) started before what was yielded

    @property
    def more(self) -> bool:
        """Whether older lines are left (unread, or read but not yielded)."""
        return self._pos > 0 or self._pending

    def chunks(self) -> Iterator[tuple[bytes, int]]:
        """(lines joined by newlines, 0), or (one line's end, bytes cut from its start)."""
        while self._pos > self._stop:
            step = min(_BLOCK, self._pos)
            self._pos -= step
            self._fh.seek(self._pos)
            block = self._fh.read(step)
            last = block.rfind(b"\n")
            if last < 0:
                self._keep(block)
                continue
            self._keep(block[last + 1 :])
            at_eof = not self._pending
            line, cut = self._finish()
            first = block.find(b"\n")
            body = block[first + 1 : last] if first < last else None  # lines wholly inside
            self._keep(block[:first])  # before yielding: `more` must see this older line
            self._pending = True
            if cut:
                yield line, cut
            elif not (at_eof and not line):  # not the nothing after a final newline
                body = line if body is None else body + b"\n" + line
            if body is not None:
                yield body, 0
        if self._pending or self._kept:
            line, cut = self._finish()
            whole_line, self._pending = self._pending, False
            if self._pos == 0:  # the file's first line (empty if the file starts with one)
                if line or cut or whole_line:
                    yield line, cut
            elif line:  # the budget ran out: does this line start where reading stopped?
                self._fh.seek(self._pos - 1)
                yield line, cut if self._fh.read(1) == b"\n" else -1

    def _keep(self, piece: bytes) -> None:
        room = LINE_CAP - self._kept
        if len(piece) > room:
            self._dropped += len(piece) - room
            piece = piece[len(piece) - room :] if room else b""
        if piece:
            self._pieces.append(piece)
            self._kept += len(piece)

    def _finish(self) -> tuple[bytes, int]:
        line, cut = b"".join(reversed(self._pieces)), self._dropped
        self._pieces, self._kept, self._dropped = [], 0, 0
        return line, cut


def _clean(data: bytes, cut: int, red: Redactor) -> bytes:
    """Redacted text of a chunk; a line cut at its start first loses the partial token there
    (a secret's tail is still a secret, and no longer has a recognizable shape)."""
    if cut:
        match = _PARTIAL_TOKEN.match(data)
        data = data[match.end() if match else 0 :]
    return red.redact_bytes(data)


def tail(
    path: Path,
    lines: int,
    max_bytes: int,
    grep: SafePattern | None = None,
    collapse_cr: bool = False,
    secrets: Sequence[str] = (),
) -> Tail:
    """The last `lines` lines (matching `grep` if given), at most `max_bytes`, secrets redacted
    (the server's and `secrets`, e.g. the values of the job's own env).

    With `collapse_cr`, a line rewritten with carriage returns (progress bars) shows only its
    last state, as a terminal would.
    """
    try:
        fh = path.open("rb")
    except FileNotFoundError:
        return Tail("", 0, 0, False)
    red = redactor(secrets)
    with fh:
        size = os.fstat(fh.fileno()).st_size
        if grep is None:
            reader = _Backwards(fh, size, max_bytes + LINE_CAP)
            (chosen, more), timed_out = _last_lines(reader, red, lines, max_bytes), False
        else:
            reader = _Backwards(fh, size, GREP_SCAN_BUDGET)
            chosen, more, timed_out = _last_matches(reader, red, lines, max_bytes, grep)
    return _render(chosen, size, max_bytes, more or timed_out, collapse_cr, timed_out)


def _last_lines(
    reader: _Backwards, red: Redactor, lines: int, max_bytes: int
) -> tuple[list[_Line], bool]:
    chosen: list[_Line] = []
    used = 0
    for data, cut in reader.chunks():
        parts = [_clean(data, cut, red)] if cut else _clean(data, 0, red).split(b"\n")
        for i in range(len(parts) - 1, -1, -1):
            chosen.append(_Line(parts[i], cut))
            used += len(parts[i]) + 1
            if len(chosen) >= lines or used > max_bytes:
                return chosen, i > 0 or reader.more
    return chosen, reader.more


def _last_matches(
    reader: _Backwards, red: Redactor, lines: int, max_bytes: int, grep: SafePattern
) -> tuple[list[_Line], bool, bool]:
    deadline = time.monotonic() + GREP_TIME_BUDGET_S
    chosen: list[_Line] = []
    used = 0
    for data, cut in reader.chunks():
        for line in reversed(_matching_lines(grep, _clean(data, cut, red))):
            chosen.append(_Line(line, cut))
            used += len(line) + 1
            if len(chosen) >= lines or used >= max_bytes:
                return chosen, True, False
        if time.monotonic() > deadline and reader.more:
            return chosen, True, True
    return chosen, reader.more, False


def _matching_lines(grep: SafePattern, data: bytes) -> list[bytes]:
    """The lines of `data` that `grep` matches, in order; one forward scan (matches never
    cross a newline: see compile_user)."""
    found: list[bytes] = []
    pos = 0
    while pos <= len(data):
        span = grep.search(data, pos)
        if span is None:
            break
        start = data.rfind(b"\n", 0, span[0]) + 1
        end = data.find(b"\n", span[0])
        end = len(data) if end < 0 else end
        found.append(data[start:end])
        pos = end + 1
    return found


def _render(
    chosen: list[_Line], size: int, max_bytes: int, more: bool, collapse_cr: bool, timed_out: bool
) -> Tail:
    """Newest-first lines to text within `max_bytes`, oldest first, cut lines marked."""
    note = _TIMED_OUT_NOTE.format(GREP_TIME_BUDGET_S).encode() if timed_out else b""
    out: list[bytes] = []
    total = len(note) + 1 if note else 0
    for line in chosen:
        data = _as_terminal(line.data) if collapse_cr else line.data
        shown = _marker(line.cut, 0) + data if line.cut else data
        if total + len(shown) + 1 > max_bytes:
            more = True
            if not out:
                out.append(_shown_end(data, line.cut, max_bytes - total))
            break
        out.append(shown)
        total += len(shown) + 1
    count = len(out)
    if note:
        out.append(note)
    out.reverse()
    text = b"\n".join(out).decode("utf-8", "replace")
    return Tail(text, count, size, more, timed_out)


_MARKER_MAX = 64


def _marker(cut: int, extra: int) -> bytes:
    if cut < 0:
        return b"[line cut: its start was not read] "
    return b"[line cut: first %d bytes not shown] " % (cut + extra)


def _shown_end(data: bytes, cut: int, room: int) -> bytes:
    """The end of a line too long for the answer, after a marker saying what was left out."""
    extra = max(0, len(data) - max(0, room - _MARKER_MAX))
    return _marker(cut, extra) + data[extra:]


def _as_terminal(raw: bytes) -> bytes:
    if b"\r" not in raw:
        return raw
    parts = [p for p in raw.split(b"\r") if p.strip()]
    return parts[-1] if parts else b""


def error_lines(
    paths: list[Path], limit: int = 12, width: int = 300, secrets: Sequence[str] = ()
) -> list[str]:
    """The last lines that look like errors in the ends of `paths` (stderr first)."""
    found: list[str] = []
    for path in paths:
        chunk = tail(path, 400, 32 * 1024, secrets=secrets)
        found += [
            ln.strip()[:width]
            for ln in chunk.text.splitlines()
            if _ERROR_LINE.search(ln) is not None
        ]
        if found:
            break
    return found[-limit:]


def head_line(path: Path, max_bytes: int = 4096) -> str:
    try:
        with path.open("rb") as fh:
            return fh.read(max_bytes).split(b"\n", 1)[0].decode("utf-8", "replace")
    except OSError:
        return ""


def check_args(tail: int, stream: str, grep: str | None, max_bytes: int) -> SafePattern | None:
    """Validate a log request; returns the compiled grep (RE2: linear time)."""
    if not 1 <= tail <= MAX_TAIL:
        raise ServiceError(
            "bad_tail",
            f"tail must be between 1 and {MAX_TAIL}, got {tail}.",
            "Ask for the last 50-500 lines; use grep to find older ones.",
        )
    if not 256 <= max_bytes <= MAX_BYTES_CAP:
        raise ServiceError(
            "bad_max_bytes",
            f"max_bytes must be between 256 and {MAX_BYTES_CAP}.",
            f"The default is {DEFAULT_MAX_BYTES}.",
        )
    if stream not in ("stdout", "stderr", "both"):
        raise ServiceError(
            "bad_stream", f"Unknown stream {stream!r}.", "Use stdout, stderr or both."
        )
    return None if grep is None else compile_user(grep)


def read_streams(
    run_dir: Path,
    lines: int,
    stream: Stream,
    grep: SafePattern | None,
    max_bytes: int,
    secrets: Sequence[str] = (),
) -> list[LogStream]:
    """The job's stdout and/or stderr tails, sharing `max_bytes`; `secrets` (the values of the
    job's own env) are redacted with the server's."""
    names: list[Literal["stdout", "stderr"]] = (
        ["stdout", "stderr"] if stream == "both" else [stream]
    )
    streams = []
    for name in names:
        path = run_dir / (runfolder.STDOUT if name == "stdout" else runfolder.STDERR)
        t = tail(path, lines, max_bytes // len(names), grep, collapse_cr=True, secrets=secrets)
        streams.append(
            LogStream(
                stream=name,
                text=t.text,
                lines=t.lines,
                file_size=t.file_size,
                truncated=t.truncated,
            )
        )
    _fit(streams, max_bytes)
    return streams


def _fit(streams: list[LogStream], max_bytes: int) -> None:
    """Keep the answer near `max_bytes` once JSON-escaped (control characters grow 6x)."""
    limit = max_bytes + 1024
    while sum(len(s.model_dump_json()) for s in streams) > limit:
        biggest = max(streams, key=lambda s: len(s.text))
        keep = biggest.text[len(biggest.text) // 2 :]
        biggest.text = keep.split("\n", 1)[1] if "\n" in keep else keep
        biggest.lines = biggest.text.count("\n") + 1 if biggest.text else 0
        biggest.truncated = True
