"""Reading the tool-timing files every server process writes (`server.timing`): the merge that
`oumi-mcp-server stats` prints and the dashboard shows, so both report the same numbers."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from oumi_mcp_server.core.errors import ServiceError
from oumi_mcp_server.core.paths import state_dir
from oumi_mcp_server.core.safe_read import read_regular_file

STATS_DIR = "tool_stats"
MAX_FILES = 64
"""The newest server files merged (older servers' stats age out of the report)."""
MAX_FILE_BYTES = 4 * 1024 * 1024


def stats_dir() -> Path:
    return state_dir() / STATS_DIR


def percentile(samples: list[float], q: float) -> float | None:
    """Nearest-rank percentile (q in 0..100) of `samples`; None when there are none."""
    if not samples:
        return None
    ordered = sorted(samples)
    return ordered[max(0, math.ceil(q / 100 * len(ordered)) - 1)]


@dataclass
class Merged:
    calls: int = 0
    errors: int = 0
    max_ms: float = 0.0
    samples: list[float] = field(default_factory=list)


@dataclass(frozen=True)
class ToolRow:
    """One tool's line of the report."""

    tool: str
    calls: int
    errors: int
    p50_ms: float | None
    p95_ms: float | None
    max_ms: float


def _number(value: Any) -> float | None:
    ok = isinstance(value, int | float) and not isinstance(value, bool)
    return float(value) if ok and 0 <= value < 1e12 else None


def merge(folder: Path) -> dict[str, Merged]:
    """Every tool's counts and samples over the newest MAX_FILES server files; bad files skipped."""
    try:
        files = sorted(folder.glob("*.json"), key=lambda p: p.stat().st_mtime, reverse=True)
    except OSError:
        return {}
    merged: dict[str, Merged] = {}
    for path in files[:MAX_FILES]:
        try:
            data = json.loads(read_regular_file(path, MAX_FILE_BYTES, kind="stats"))
        except (ServiceError, OSError, ValueError, RecursionError):
            continue  # a file being replaced, or not ours: skip it, report the rest
        tools = data.get("tools") if isinstance(data, dict) else None
        for name, entry in (tools or {}).items() if isinstance(tools, dict) else ():
            if not isinstance(entry, dict):
                continue
            m = merged.setdefault(str(name)[:80], Merged())
            m.calls += int(_number(entry.get("calls")) or 0)
            m.errors += int(_number(entry.get("errors")) or 0)
            m.max_ms = max(m.max_ms, _number(entry.get("max_ms")) or 0.0)
            samples = entry.get("samples_ms")
            m.samples += (
                [v for s in samples if (v := _number(s)) is not None]
                if isinstance(samples, list)
                else []
            )
    return merged


def report(folder: Path) -> list[ToolRow]:
    """Per-tool p50/p95/max and counts, by tool name."""
    return [
        ToolRow(
            name, m.calls, m.errors, percentile(m.samples, 50), percentile(m.samples, 95), m.max_ms
        )
        for name, m in sorted(merge(folder).items())
    ]
