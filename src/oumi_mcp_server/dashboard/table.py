"""The run table (the dashboard's front page): one row per job with its status, progress and the
chosen metric and config columns, filters, a column chooser and a compare button.

Rendered whole on the server (it reads without script); the page's script sorts, filters and
selects rows, and on each poll updates the rows in place from a fresh copy of this fragment
(rows are keyed by `data-id`, cells by position; `data-cols` says when the columns changed).
"""

from __future__ import annotations

import math
import time
from urllib.parse import quote

from oumi_mcp_server.core.tool_stats import ToolRow
from oumi_mcp_server.dashboard.render import (
    badge,
    duration,
    e,
    eta,
    job_url,
    middle,
    num,
    progress_cell,
    run_time,
    short_time,
    ts,
)
from oumi_mcp_server.dashboard.runs import Column, RunRow
from oumi_mcp_server.jobs.models import JobStatusView
from oumi_mcp_server.jobs.states import JobState

_FIXED = (
    ("job", "Job"),
    ("name", "Name"),
    ("command", "Command"),
    ("status", "Status"),
    ("sweep", "Sweep"),
    ("progress", "Progress"),
    ("submitted", "Submitted (UTC)"),
    ("duration", "Duration"),
)


def sweep_url(sweep_id: str) -> str:
    return f"/sweeps/{quote(sweep_id, safe='')}"


def _sort(value: float | str | None) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return ""
    return e(repr(value) if isinstance(value, float) else value)


def _cell(value: float | str | None, kind: str) -> str:
    if value is None:
        return '<span class="muted">-</span>'
    if isinstance(value, float):
        return num(value, ".4g")
    return f'<span title="{e(value)}">{e(value)}</span>' if kind == "config" else e(value)


def _progress(view: JobStatusView) -> str:
    """The bar, then the ETA while it runs (the live loss is the final-loss column)."""
    left = eta(view)
    return progress_cell(view) + (f' <span class="muted">{left} left</span>' if left != "-" else "")


def _when(iso: str | None) -> str:
    """Month, day and minute: the year and seconds are in the cell's title."""
    return f'<span title="{e(iso)}">{short_time(iso)[5:16]}</span>' if iso else "-"


def _row(row: RunRow, cols: list[Column], now: float) -> str:
    v = row.view
    p = v.progress
    run = run_time(v, now)
    ident, sweep = middle(v.job_id), middle(row.sweep, 24)
    fixed = [
        (v.job_id, f'<a class="clip" href="{job_url(v.job_id)}" title="{e(v.job_id)}">{ident}</a>'),
        (v.name, f'<span class="clip" title="{e(v.name)}">{middle(v.name, 28)}</span>'),
        (v.command, e(v.command)),
        (v.status, badge(v.status)),
        (
            row.sweep,
            f'<a href="{sweep_url(row.sweep)}" title="{e(row.sweep)}">{sweep}</a>'
            if row.sweep
            else "",
        ),
        (p.fraction if p and p.fraction is not None else None, _progress(v)),
        (ts(v.submitted_at), _when(v.submitted_at)),
        (run, duration(run)),
    ]
    cells = [
        f'<td class="sel"><input type="checkbox" aria-label="select {e(v.job_id)}"></td>',
        *(
            f'<td class="c-{key}" data-sort="{_sort(value)}">{html}</td>'
            for (key, _), (value, html) in zip(_FIXED, fixed, strict=True)
        ),
        *(
            f'<td class="num" data-col="{e(c.key)}" data-sort="{_sort(row.values.get(c.key))}"'
            f"{'' if c.shown else ' hidden'}>"
            f"{_cell(row.values.get(c.key), c.kind)}</td>"
            for c in cols
        ),
    ]
    return (
        f'<tr data-id="{e(v.job_id)}" data-status="{e(v.status)}" data-command="{e(v.command)}" '
        f'data-sweep="{e(row.sweep)}" data-name="{e(v.name)}">{"".join(cells)}</tr>'
    )


def _toolbar(cols: list[Column]) -> str:
    choices = "".join(
        f'<label><input type="checkbox" data-col="{e(c.key)}"{" checked" if c.shown else ""}> '
        f"{e(c.label)}</label>"
        for c in cols
    )
    chooser = (
        f'<details class="cols"><summary>Columns</summary><div>{choices}</div></details>'
        if cols
        else ""
    )
    selects = "".join(
        f'<select id="f-{key}" aria-label="{key}"><option value="">all {label}</option></select>'
        for key, label in (("status", "statuses"), ("command", "commands"), ("sweep", "sweeps"))
    )
    return (
        '<div class="toolbar"><input id="f-name" type="search" placeholder="filter name or id" '
        f'aria-label="filter name or id">{selects}{chooser}'
        '<a id="compare" class="button off" href="/compare">Compare selected (0)</a></div>'
    )


def timings_panel(rows: list[ToolRow]) -> str:
    """Per-tool p50/p95/max latency and errors of the MCP servers run here (`stats`)."""
    if not rows:
        body = '<p class="muted">No tool calls recorded yet.</p>'
    else:
        lines = "".join(
            f"<tr><td>{e(r.tool)}</td><td class=num>{r.calls}</td>"
            f'<td class="num{" bad" if r.errors else ""}">{r.errors}</td>'
            f"<td class=num>{num(r.p50_ms, '.1f')}</td><td class=num>{num(r.p95_ms, '.1f')}</td>"
            f"<td class=num>{num(r.max_ms, '.1f')}</td></tr>"
            for r in rows
        )
        body = (
            '<div class="table-wrap"><table class="jobs small"><thead><tr><th>Tool</th>'
            "<th>Calls</th><th>Errors</th><th>p50 ms</th><th>p95 ms</th><th>max ms</th></tr>"
            f"</thead><tbody>{lines}</tbody></table></div>"
        )
    return (
        '<details id="timings" class="card"><summary><h2>Tool timings</h2></summary>'
        f"{body}</details>"
    )


def jobs_fragment(
    rows: list[RunRow],
    cols: list[Column],
    total_stored: int,
    timings: list[ToolRow] | None = None,
    now: float | None = None,
) -> str:
    now = time.time() if now is None else now
    panel = timings_panel(timings or [])
    if not rows:
        return (
            '<div id="view" data-live="slow" class="card"><h2>No jobs yet</h2><p class="muted">'
            f"Jobs your assistant launches through the Oumi MCP server appear here.</p>{panel}"
            "</div>"
        )
    head = "".join(
        f'<th class="c-{key}" data-key="{key}" tabindex="0">{label}</th>' for key, label in _FIXED
    )
    head += "".join(
        f'<th data-col="{e(c.key)}" data-kind="{c.kind}" tabindex="0" title="{e(c.label)}"'
        f"{'' if c.shown else ' hidden'}>{e(c.label)}</th>"
        for c in cols
    )
    body = "".join(_row(r, cols, now) for r in rows)
    # Only active jobs change quickly; otherwise poll slowly, to notice new jobs.
    active = any(not JobState(r.view.status).is_terminal() for r in rows)
    signature = "|".join(c.key for c in cols)
    return (
        f'<div id="view" data-live="{"1" if active else "slow"}" data-merge="runs">'
        f"{_toolbar(cols)}"
        f'<div class="table-wrap"><table class="jobs runs" id="runs" data-cols="{e(signature)}">'
        f'<thead><tr><th class="sel"><input type="checkbox" id="sel-all" aria-label="select all">'
        f"</th>{head}</tr></thead><tbody>{body}</tbody></table></div>"
        f'<p class="muted" id="count">{len(rows)} of {total_stored} stored job(s), newest first.'
        f"</p>{panel}</div>"
    )
