"""Bounded log reads from the end of a file: a 1 GB log costs the same as a small one."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Literal

from oumi_mcp_server.core.errors import ServiceError
from oumi_mcp_server.core.redact import redact_text
from oumi_mcp_server.jobs import runfolder
from oumi_mcp_server.jobs.models import LogStream

MAX_TAIL = 10_000
DEFAULT_MAX_BYTES = 6_000
MAX_BYTES_CAP = 1_000_000
Stream = Literal["stdout", "stderr", "both"]
_BLOCK = 64 * 1024
GREP_SCAN_BUDGET = 64 * 1024 * 1024
"""A grep reads at most this many bytes back from the end; older lines are reported truncated."""
_ERROR_LINE = re.compile(
    r"(?i)(\b\w*(error|exception)\b|traceback|\bfatal\b|\bkilled\b|\bfailed\b|out of memory)"
)


@dataclass
class Tail:
    text: str
    lines: int
    file_size: int
    truncated: bool


def tail(
    path: Path,
    lines: int,
    max_bytes: int,
    grep: re.Pattern[str] | None = None,
    collapse_cr: bool = False,
) -> Tail:
    """The last `lines` lines (matching `grep` if given), at most `max_bytes`, secrets redacted.

    With `collapse_cr`, a line rewritten with carriage returns (progress bars) shows only its
    last state, as a terminal would.
    """
    try:
        fh = path.open("rb")
    except FileNotFoundError:
        return Tail("", 0, 0, False)
    with fh:
        size = os.fstat(fh.fileno()).st_size
        if grep is None:
            chosen, more = _last_lines(fh, size, lines, max_bytes)
        else:
            chosen, more = _last_matches(fh, size, lines, max_bytes, grep)
    if collapse_cr:
        chosen = [_as_terminal(raw) for raw in chosen]
    out: list[bytes] = []
    total = 0
    for raw in reversed(chosen):
        if total + len(raw) + 1 > max_bytes:
            more = True
            if not out:
                out.append(raw[-max_bytes:])
            break
        out.append(raw)
        total += len(raw) + 1
    out.reverse()
    text = "\n".join(r.decode("utf-8", "replace") for r in out)
    return Tail(redact_text(text), len(out), size, more)


def _lines(buf: bytes) -> list[bytes]:
    """Split on newlines only: a carriage return rewrites a line, it does not end one."""
    parts = buf.split(b"\n")
    return parts[:-1] if parts and parts[-1] == b"" else parts


def _as_terminal(raw: bytes) -> bytes:
    if b"\r" not in raw:
        return raw
    parts = [p for p in raw.split(b"\r") if p.strip()]
    return parts[-1] if parts else b""


def _last_lines(fh: BinaryIO, size: int, lines: int, max_bytes: int) -> tuple[list[bytes], bool]:
    pos, buf = size, b""
    while pos > 0 and buf.count(b"\n") <= lines and size - pos < max_bytes + _BLOCK:
        step = min(_BLOCK, pos)
        pos -= step
        fh.seek(pos)
        buf = fh.read(step) + buf
    found = _lines(buf)
    if pos > 0 and found:
        found = found[1:]  # the first line read may be partial
    chosen = found[-lines:]
    return chosen, pos > 0 or len(found) > len(chosen)


def _last_matches(
    fh: BinaryIO, size: int, lines: int, max_bytes: int, grep: re.Pattern[str]
) -> tuple[list[bytes], bool]:
    pos, carry, picked, used = size, b"", [], 0
    while pos > 0 and size - pos < GREP_SCAN_BUDGET:
        step = min(_BLOCK, pos)
        pos -= step
        fh.seek(pos)
        data = fh.read(step) + carry
        carry = b""
        if pos > 0:
            carry, _, data = data.partition(b"\n")
        for raw in reversed(_lines(data)):
            if grep.search(raw.decode("utf-8", "replace")):
                picked.append(raw)
                used += len(raw) + 1
                if len(picked) >= lines or used >= max_bytes:
                    return list(reversed(picked)), True
    return list(reversed(picked)), pos > 0


def error_lines(paths: list[Path], limit: int = 12, width: int = 300) -> list[str]:
    """The last lines that look like errors in the ends of `paths` (stderr first)."""
    found: list[str] = []
    for path in paths:
        chunk = tail(path, 400, 32 * 1024)
        found += [ln.strip()[:width] for ln in chunk.text.splitlines() if _ERROR_LINE.search(ln)]
        if found:
            break
    return found[-limit:]


def head_line(path: Path, max_bytes: int = 4096) -> str:
    try:
        with path.open("rb") as fh:
            return fh.read(max_bytes).split(b"\n", 1)[0].decode("utf-8", "replace")
    except OSError:
        return ""


def check_args(tail: int, stream: str, grep: str | None, max_bytes: int) -> re.Pattern[str] | None:
    """Validate a log request; returns the compiled grep."""
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
    if grep is None:
        return None
    if not grep or len(grep) > 200:
        raise ServiceError("bad_grep", "grep must be 1-200 characters.", "Pass a short regex.")
    try:
        return re.compile(grep)
    except re.error as exc:
        raise ServiceError(
            "bad_grep", f"grep is not a valid regex: {exc}.", "Fix the pattern."
        ) from None


def read_streams(
    run_dir: Path, lines: int, stream: Stream, grep: re.Pattern[str] | None, max_bytes: int
) -> list[LogStream]:
    """The job's stdout and/or stderr tails, sharing `max_bytes`."""
    names: list[Literal["stdout", "stderr"]] = (
        ["stdout", "stderr"] if stream == "both" else [stream]
    )
    streams = []
    for name in names:
        path = run_dir / (runfolder.STDOUT if name == "stdout" else runfolder.STDERR)
        t = tail(path, lines, max_bytes // len(names), grep, collapse_cr=True)
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
