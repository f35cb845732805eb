"""HTML for the dashboard, rendered on the server so the page works (and tests read it) without
script; the inline script only swaps in a fresh fragment of the same page every few seconds."""

from __future__ import annotations

import base64
import hashlib
import math
import time
from datetime import datetime
from functools import cache
from html import escape
from importlib import resources
from urllib.parse import quote

from oumi_mcp_server.dashboard.chart import loss_svg
from oumi_mcp_server.dashboard.loss import LossSeries
from oumi_mcp_server.jobs.models import JobLogs, JobStatusView
from oumi_mcp_server.jobs.states import JobState


@cache
def asset(name: str) -> str:
    return resources.files("oumi_mcp_server.dashboard").joinpath("static", name).read_text("utf-8")


SCRIPTS = ("dashboard.js", "table.js", "charts.js", "sweep.js")
"""Static scripts, inlined as the page's one script (each part acts only where its elements are)."""


@cache
def script() -> str:
    return "\n".join(asset(name) for name in SCRIPTS)


@cache
def script_hash() -> str:
    """CSP source for the one inline script, so no other script can run in the page."""
    digest = hashlib.sha256(script().encode()).digest()
    return f"'sha256-{base64.b64encode(digest).decode()}'"


def e(value: object) -> str:
    return escape("" if value is None else str(value), quote=True)


def ts(iso: str | None) -> float | None:
    try:
        return datetime.fromisoformat(iso).timestamp() if iso else None
    except (ValueError, OverflowError, OSError):  # not a date, or one the platform cannot place
        return None


def middle(text: str, width: int = 20) -> str:
    """`text` escaped, cut in the middle when longer than `width` (run names and ids differ at
    their ends: a sweep's points, a job's time stamp)."""
    if len(text) <= width:
        return e(text)
    tail = width * 3 // 5
    return f"{e(text[: width - tail - 1])}&hellip;{e(text[-tail:])}"


def num(value: float | None, spec: str) -> str:
    """`value` formatted, or '-' when it is unknown or not a finite number."""
    return "-" if value is None or not math.isfinite(value) else format(value, spec)


def short_time(iso: str | None) -> str:
    return e(iso.replace("T", " ").split("+")[0]) if iso else "-"


def duration(seconds: float | None) -> str:
    if seconds is None or not math.isfinite(seconds):
        return "-"
    s = int(max(0.0, seconds))
    if s < 60:
        return f"{s}s"
    if s < 3600:
        return f"{s // 60}m {s % 60:02d}s"
    return f"{s // 3600}h {s % 3600 // 60:02d}m"


def run_time(view: JobStatusView, now: float) -> float | None:
    """Seconds run so far (or in all, once ended); None before it started."""
    start = ts(view.started_at)
    if start is None:
        return None
    end = ts(view.ended_at) or (now if view.status == "running" else None)
    return end - start if end is not None else None


def badge(status: str) -> str:
    return f'<span class="badge s-{e(status)}">{e(status)}</span>'


def progress_cell(view: JobStatusView) -> str:
    p = view.progress
    if p is None or p.step is None:
        return '<span class="muted">-</span>'
    total = p.total_steps or "?"
    if p.fraction is None or not 0.0 <= p.fraction <= 1.0:
        return f"{p.step}/{total}"
    done = " done" if p.fraction >= 1.0 else ""
    return (
        f'<span class="bar{done}" title="{p.fraction:.0%}"><span style="width:{p.fraction:.1%}">'
        f"</span></span>{p.step}/{total}"
    )


def loss_text(view: JobStatusView) -> str:
    return num(view.progress.loss, ".4g") if view.progress else "-"


def eta(view: JobStatusView) -> str:
    p = view.progress
    return duration(p.eta_s) if p and p.eta_s is not None and view.status == "running" else "-"


def job_url(job_id: str) -> str:
    return f"/jobs/{quote(job_id, safe='')}"


def page(title: str, fragment: str) -> str:
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<link rel="icon" href="/favicon.ico" type="image/svg+xml">'
        f"<title>{e(title)}</title><style>{asset('dashboard.css')}</style></head><body>"
        '<header><h1><a href="/">Oumi jobs</a></h1>'
        '<span class="note">Launch jobs through your assistant.</span>'
        '<span id="updated"></span></header>'
        f"<main>{fragment}</main><script>{script()}</script></body></html>"
    )


def message_fragment(message: str) -> str:
    return (
        f'<div id="view" class="card"><h2>{e(message)}</h2>'
        '<p><a href="/">&larr; all jobs</a></p></div>'
    )


def _facts(view: JobStatusView, now: float) -> str:
    p = view.progress
    items: list[tuple[str, str]] = [
        ("Status", f"{badge(view.status)} <span class=muted>from {e(view.status_source)}</span>"),
        ("Command", e(view.command)),
        ("Backend", e(view.backend + (f" ({view.cluster})" if view.cluster else ""))),
        ("Model", e(view.model or "-")),
        ("Progress", progress_cell(view)),
        (
            "Loss",
            f"{loss_text(view)}"
            + (
                f" <span class=muted>(first {num(p.first_loss, '.4g')})</span>"
                if p and p.first_loss is not None
                else ""
            ),
        ),
        ("Epoch", num(p.epoch, ".3g") if p else "-"),
        ("ETA", eta(view)),
        ("Submitted", short_time(view.submitted_at)),
        ("Started", short_time(view.started_at)),
        ("Ended", short_time(view.ended_at)),
        ("Duration", duration(run_time(view, now))),
    ]
    if view.exit_code is not None or view.signal:
        items.append(("Exit", e(view.signal or view.exit_code)))
    if view.reason:
        items.append(("Why", e(view.reason)))
    if p and p.notes:
        items.append(("Notes", f'<span class="muted">{e(" ".join(p.notes))}</span>'))
    items += [
        ("Run folder", f'<span class="mono">{e(view.run_dir)}</span>'),
        ("Output", f'<span class="mono">{e(view.output_dir or "-")}</span>'),
    ]
    return "".join(f"<dt>{k}</dt><dd>{v}</dd>" for k, v in items)


def job_fragment(
    view: JobStatusView, series: LossSeries, logs: JobLogs, stream: str, now: float | None = None
) -> str:
    now = time.time() if now is None else now
    live = "0" if JobState(view.status).is_terminal() else "1"
    errors = ""
    if view.error_lines:
        errors = (
            '<div class="card errors"><h2>Last error lines</h2>'
            f"<pre>{e(chr(10).join(view.error_lines))}</pre></div>"
        )
    legend = ""
    if series.points:
        legend = (
            f'<div class="legend">train loss, {series.total_points} point(s) from '
            f"{e(series.source)}"
            + (' · <span class="eval">- - eval loss</span>' if series.eval_points else "")
            + (" · older points thinned or not read" if series.truncated else "")
            + "</div>"
        )
    tabs = "".join(
        f'<a class="{"on" if stream == s else ""}" href="{job_url(view.job_id)}?stream={s}">{s}</a>'
        for s in ("stdout", "stderr")
    )
    log = logs.streams[0] if logs.streams else None
    log_note = (
        f"last {log.lines} line(s) of {log.file_size:,} bytes"
        + (", older lines not shown" if log.truncated else "")
        if log
        else ""
    )
    log_text = e(log.text) if log and log.text else '<span class="muted">(empty)</span>'
    return (
        f'<div id="view" data-live="{live}">'
        f'<p class="links"><a href="/">&larr; all jobs</a> '
        f'<a href="{job_url(view.job_id)}/eval">evaluation &amp; results</a></p>'
        f'<div class="card"><h2>{e(view.name)} <span class="mono muted">{e(view.job_id)}</span>'
        f'</h2><dl class="facts">{_facts(view, now)}</dl></div>{errors}'
        f'<div class="card"><h2>Loss</h2>{loss_svg(series.points, series.eval_points)}{legend}'
        "</div>"
        f'<div class="card"><h2>Logs</h2><div class="tabs">{tabs}'
        f'<span class="muted">{log_note}</span></div><pre class="log">{log_text}</pre></div></div>'
    )
