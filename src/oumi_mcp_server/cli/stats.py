"""`oumi-mcp-server stats`: per-tool latency (p50/p95/max) and error counts, merged from the
files each server process keeps in the state folder (`server.timing`)."""

from __future__ import annotations

import dataclasses
import json

import click

from oumi_mcp_server.core.tool_stats import report, stats_dir


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
def stats(as_json: bool) -> None:
    """Per-tool call latency (p50/p95/max ms) and error counts of the MCP servers run here."""
    folder = stats_dir()
    rows = report(folder)
    if as_json:
        tools = [dataclasses.asdict(r) for r in rows]
        click.echo(json.dumps({"folder": str(folder), "tools": tools}, indent=2))
        return
    if not rows:
        click.echo(f"No tool calls recorded yet (in {folder}).")
        return
    click.echo(f"{'tool':<28} {'calls':>7} {'errors':>7} {'p50 ms':>9} {'p95 ms':>9} {'max ms':>9}")
    for r in rows:
        click.echo(
            f"{r.tool:<28} {r.calls:>7} {r.errors:>7} {_ms(r.p50_ms):>9} {_ms(r.p95_ms):>9} "
            f"{_ms(r.max_ms):>9}"
        )
