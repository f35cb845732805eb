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
        if self.line is not None:
            return f"line {self.line}"
        if self.offset is not None:
            return f"byte {self.offset}"
        return f"row {self.index}"


def parse_line(raw: bytes) -> tuple[dict[str, Any] | None, str | None]:
    """(object, None) for a JSON object line, else (None, why)."""
    try:
        value = json.loads(raw)
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
