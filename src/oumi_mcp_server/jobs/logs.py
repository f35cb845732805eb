"""Bounded log reads from the end of a file: a 1 GB log costs the same as a small one."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from oumi_mcp_server.core.redact import redact_text

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
