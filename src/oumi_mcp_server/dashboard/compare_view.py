"""Runs compared: the overlaid curves of every metric they logged (drawn by the page's script,
with smoothing and a log scale), the metric deltas and the config keys that differ. One code
path with the `compare_runs` tool: `experiments.compare.compare` gives both the answer and each
run's `experiments.curves.series` (no report file is written for a page view)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import quote

from oumi_mcp_server.core.errors import ServiceError
from oumi_mcp_server.dashboard.render import badge, e, job_url, middle, num
from oumi_mcp_server.experiments.compare import compare
from oumi_mcp_server.experiments.compare_models import Comparison
from oumi_mcp_server.experiments.curves import Point, thin
from oumi_mcp_server.jobs.record import JobRecord
from oumi_mcp_server.jobs.service import JobService
from oumi_mcp_server.jobs.states import JobState

PALETTE = (
    "#2f6fde", "#d9480f", "#2b8a3e", "#ae3ec9", "#e8590c", "#1098ad", "#c2255c", "#5c940d",
    "#845ef7", "#495057",
)  # fmt: skip
MAX_POINTS = 400
ORDER = ("loss", "eval_loss", "learning_rate", "grad_norm")
"""Plots in this order first, then the other eval metrics by name."""
MAX_IDS = 20


@dataclass
class Curve:
    label: str
    color: str
    points: Sequence[tuple[float, float]]


def thinned(points: list[Point]) -> list[Point]:
    return thin(points, MAX_POINTS)


def color(index: int) -> str:
    return PALETTE[index % len(PALETTE)]


def parse_ids(raw: str) -> list[str]:
    ids = [part.strip() for part in raw.split(",") if part.strip()]
    if len(ids) > MAX_IDS:
        raise ServiceError(
            "bad_job_ids", f"At most {MAX_IDS} runs can be compared.", "Select fewer runs."
        )
    return ids


def compare_url(job_ids: list[str], metric: str | None = None) -> str:
    url = "/compare?ids=" + ",".join(quote(j, safe="") for j in job_ids)
    return url + (f"&metric={quote(metric, safe='')}" if metric else "")


@dataclass
class ComparePage:
    answer: Comparison
    curves: dict[str, list[Curve]]
    """Per metric, one curve per run that logged it (colored by the run's place)."""


def plots(series: list[tuple[JobRecord, dict[str, list[Point]]]]) -> dict[str, list[Curve]]:
    metrics = {m for _, found in series for m in found}
    ordered = [m for m in ORDER if m in metrics] + sorted(metrics - set(ORDER))
    return {
        m: [
            Curve(f"{rec.name} ({rec.id})", color(i), thinned(found[m]))
            for i, (rec, found) in enumerate(series)
            if found.get(m)
        ]
        for m in ordered
    }


def compare_page(svc: JobService, job_ids: list[str], metric: str | None) -> ComparePage:
    done = compare(svc, job_ids, metric, report=False)
    return ComparePage(done.answer, plots(done.curves))


def plot_data(
    title: str,
    curves: list[Curve],
    xlabel: str = "step",
    kind: str = "line",
    xlog: bool = False,
    labels: list[list[str]] | None = None,
) -> str:
    """The JSON a `.plot` element carries for the page's script (escaped as an attribute);
    `labels[i][j]` names point j of curve i in its tooltip."""
    runs = []
    for i, c in enumerate(curves):
        names = labels[i] if labels else []
        points = [[*p, *names[j : j + 1]] for j, p in enumerate(c.points)]
        runs.append({"label": c.label, "color": c.color, "points": points})
    data = {"title": title, "kind": kind, "xlabel": xlabel, "xlog": xlog, "runs": runs}
    return e(json.dumps(data, separators=(",", ":"), allow_nan=False))


def controls() -> str:
    return (
        '<div class="controls"><label>Smoothing <input type="range" id="ema" min="0" max="0.99" '
        'step="0.01" value="0"> <span id="ema-value">0.00</span></label>'
        '<label><input type="checkbox" id="logscale"> log scale</label></div>'
    )


def plots_html(curves: dict[str, list[Curve]]) -> str:
    if not curves:
        return '<p class="muted">None of these runs logged a curve yet.</p>'
    return (
        '<div class="plots">'
        + "".join(
            f'<div class="plot-card"><h3>{e(m)}</h3>'
            f'<div class="plot" data-metric="{e(m)}" data-series="{plot_data(m, cs)}"></div></div>'
            for m, cs in curves.items()
        )
        + "</div>"
    )


def _legend(answer: Comparison) -> str:
    items = "".join(
        f'<span><span class="swatch" style="background:{color(i)}"></span>'
        f'<a href="{job_url(r.job_id)}" title="{e(r.job_id)}">{e(r.name)}</a> {badge(r.status)}'
        + (f" <b>#{r.rank}</b>" if r.rank else "")
        + ("  <span class=muted>(baseline)</span>" if r.job_id == answer.baseline else "")
        + "</span>"
        for i, r in enumerate(answer.runs)
    )
    return f'<div class="legend-runs">{items}</div>'


def _head(answer: Comparison, first: str) -> str:
    cells = "".join(
        f'<th><span class="swatch" style="background:{color(i)}"></span>'
        f'<span title="{e(r.name)}">{middle(r.name, 24)}</span></th>'
        for i, r in enumerate(answer.runs)
    )
    return f"<thead><tr><th>{first}</th>{cells}</tr></thead>"


def _metrics(answer: Comparison) -> str:
    if not answer.metrics:
        return '<p class="muted">No metric to compare yet.</p>'
    rows = []
    for row in answer.metrics:
        cells = []
        for value, delta, mark in zip(row.values, row.deltas, row.marks, strict=True):
            shown = num(value, ".4g")
            if delta is not None and mark not in ("baseline", "n/a"):
                shown += f' <span class="{e(mark)}">({delta:+.3g})</span>'
            cells.append(f"<td class=num>{shown}</td>")
        arrow = "&darr;" if row.direction == "lower" else "&uarr;"
        rows.append(f"<tr><td>{e(row.metric)} {arrow}</td>{''.join(cells)}</tr>")
    return (
        f'<div class="table-wrap"><table class="jobs small deltas">{_head(answer, "Metric")}'
        f"<tbody>{''.join(rows)}</tbody></table></div>"
    )


def _config(answer: Comparison) -> str:
    if not answer.config_diff:
        return '<p class="muted">The runs ran the same config.</p>'
    rows = "".join(
        f"<tr><td class=mono>{e(d.key)}</td>"
        + "".join(
            f'<td><span title="{e(v)}">{middle("-" if v is None else v, 32)}</span></td>'
            for v in d.values
        )
        + "</tr>"
        for d in answer.config_diff
    )
    cut = '<p class="muted">More keys differ.</p>' if answer.config_diff_truncated else ""
    return (
        f'<div class="table-wrap"><table class="jobs small config-diff">{_head(answer, "Key")}'
        f"<tbody>{rows}</tbody></table></div>{cut}"
    )


def compare_fragment(page: ComparePage) -> str:
    a = page.answer
    live = any(not JobState(r.status).is_terminal() for r in a.runs)
    notes = "".join(f"<li>{e(n)}</li>" for n in a.notes)
    headline = f" · ranked by {e(a.metric)}" if a.metric else ""
    return (
        f'<div id="view" data-live="{"1" if live else "0"}">'
        '<p class="links"><a href="/">&larr; all jobs</a></p>'
        f'<div class="card"><h2>{len(a.runs)} runs compared{headline}</h2>{_legend(a)}'
        f"{controls()}{plots_html(page.curves)}</div>"
        f'<div class="card"><h2>Metrics <span class="muted">(delta vs the baseline; '
        f"{e(a.direction_rule)})</span></h2>{_metrics(a)}</div>"
        f'<div class="card"><h2>Config differences</h2>{_config(a)}</div>'
        + (f'<div class="card"><ul class="muted">{notes}</ul></div>' if notes else "")
        + "</div>"
    )
