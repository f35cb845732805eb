"""JSONL parsing that never raises and always knows where a row came from.

A line is split on b"\\n" only (JSON text may hold U+2028 and friends, which str.splitlines
would treat as line ends); JSON reads a trailing b"\\r" as whitespace. A row says its 1-based
line when known, else the byte offset where it starts (a window sampled in a big file).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any


@dataclass
class Row:
    """One record read from a data file, or the reason it could not be read."""

    index: int  # 1-based, among the rows read
    line: int | None  # 1-based line (JSONL, CSV) when known
    offset: int | None  # byte offset of the row, when its line is not known
    value: dict[str, Any] | None = None
    error: str | None = None
    blank: bool = False
    key: bytes = b""  # what duplicates are compared on

    def where(self) -> str:
        return where(self.place())

    def place(self) -> tuple[int | None, int | None, int]:
        """(line, offset, index): enough to say where later, cheaper to keep than the text."""
        return self.line, self.offset, self.index


def where(place: tuple[int | None, int | None, int]) -> str:
    """'line 12', 'byte 1234' or 'row 3', from a Row.place()."""
    line, offset, index = place
    if line is not None:
        return f"line {line}"
    if offset is not None:
        return f"byte {offset}"
    return f"row {index}"


_BLANK = " \t\r\x0b\x0c"  # what bytes.strip() strips: a line of only these is blank
_BOM = "\ufeff"


def parse_line(raw: bytes | str) -> tuple[dict[str, Any] | None, str | None]:
    """(object, None) for a JSON object line (UTF-8, a leading BOM allowed), else (None, why)."""
    try:
        text = raw.decode() if isinstance(raw, bytes) else raw
        value = json.loads(text.removeprefix(_BOM))
    except UnicodeDecodeError:
        return None, "not valid UTF-8"
    except json.JSONDecodeError as exc:
        return None, f"bad JSON at column {exc.colno}: {exc.msg}"
    except (ValueError, RecursionError):
        return None, "bad JSON (too deeply nested or unparsable)"
    if not isinstance(value, dict):
        return None, f"a JSON {type(value).__name__}, not an object"
    return value, None


def parse_lines(
    data: bytes, *, first_line: int | None = 1, base_offset: int = 0, first_index: int = 1
) -> Iterator[Row]:
    """Rows of `data` (whole lines). `first_line` None: line numbers unknown, offsets given."""
    if first_line is not None:
        try:
            text = data.decode()
        except UnicodeDecodeError:
            pass
        else:  # the fast path: one decode for the block, no per-line encoding detection
            yield from _parse_text(text, first_line, first_index)
            return
    index = first_index
    pos = 0
    line = first_line
    end = len(data)
    while pos < end:
        nl = data.find(b"\n", pos)
        stop = end if nl < 0 else nl
        raw = data[pos:stop]
        offset = None if line is not None else base_offset + pos
        if not raw.strip():
            yield Row(index, line, offset, blank=True)
        else:
            value, error = parse_line(raw)
            yield Row(index, line, offset, value, error, key=raw.strip())
        index += 1
        pos = stop + 1
        if line is not None:
            line += 1


def _parse_text(text: str, line: int, index: int) -> Iterator[Row]:
    pieces = text.split("\n")
    if not pieces[-1]:
        pieces.pop()  # the newline ending the last line starts no new line
    for n, raw in enumerate(pieces):
        stripped = raw.strip(_BLANK)
        if not stripped:
            yield Row(index + n, line + n, None, blank=True)
        else:
            value, error = parse_line(raw)
            yield Row(index + n, line + n, None, value, error, key=stripped.encode())
