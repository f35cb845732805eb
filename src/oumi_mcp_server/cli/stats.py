"""`oumi-mcp-server stats`: per-tool latency (p50/p95/max) and error counts, merged from the
files each server process keeps in the state folder (`server.timing`)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import click

from oumi_mcp_server.core.errors import ServiceError
from oumi_mcp_server.core.safe_read import read_regular_file

MAX_FILES = 64
"""The newest server files merged (older servers' stats age out of the report)."""
MAX_FILE_BYTES = 4 * 1024 * 1024


@dataclass
class Merged:
    calls: int = 0
    errors: int = 0
    max_ms: float = 0.0
    samples: list[float] = field(default_factory=list)


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


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
def stats(as_json: bool) -> None:
    """Per-tool call latency (p50/p95/max ms) and error counts of the MCP servers run here."""
    from oumi_mcp_server.server.timing import percentile, stats_dir  # the MCP SDK: only here

    folder = stats_dir()
    merged = merge(folder)
    rows = [
        (name, m, percentile(m.samples, 50), percentile(m.samples, 95))
        for name, m in sorted(merged.items())
    ]
    if as_json:
        tools = [
            {
                "tool": n,
                "calls": m.calls,
                "errors": m.errors,
                "p50_ms": p50,
                "p95_ms": p95,
                "max_ms": m.max_ms,
            }
            for n, m, p50, p95 in rows
        ]
        click.echo(json.dumps({"folder": str(folder), "tools": tools}, indent=2))
        return
    if not rows:
        click.echo(f"No tool calls recorded yet (in {folder}).")
        return
    click.echo(f"{'tool':<28} {'calls':>7} {'errors':>7} {'p50 ms':>9} {'p95 ms':>9} {'max ms':>9}")
    for n, m, p50, p95 in rows:
        click.echo(
            f"{n:<28} {m.calls:>7} {m.errors:>7} {_ms(p50):>9} {_ms(p95):>9} {_ms(m.max_ms):>9}"
        )
