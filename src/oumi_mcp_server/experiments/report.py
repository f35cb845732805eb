"""The comparison as one self-contained HTML file in the state folder: the run, config-diff and
metric tables, and the runs' curves overlaid as inline SVG. No script, no network: a strict CSP
(`default-src 'none'`), inline styles only. Run names, config values and metric names are
whatever their authors wrote: every one is escaped."""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections import OrderedDict
from html import escape
from pathlib import Path

from oumi_mcp_server.core.atomic import write_text_atomic
from oumi_mcp_server.core.paths import state_dir
from oumi_mcp_server.experiments import svg
from oumi_mcp_server.experiments.compare_models import Comparison, MetricRow
from oumi_mcp_server.experiments.curves import NAMED, Series
from oumi_mcp_server.jobs import progress_base as base
from oumi_mcp_server.jobs.record import JobRecord

REPORTS = "reports"
MAX_CHARTS = 8
CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"
STYLE = """
body{font:14px/1.4 system-ui,sans-serif;margin:1.5rem;color:#222}
h1{font-size:1.4rem}h2{font-size:1.1rem;margin-top:1.6rem}
.scroll{overflow-x:auto;max-width:100%}
table{border-collapse:collapse}th,td{border:1px solid #ddd;padding:.25rem .5rem;text-align:left;
vertical-align:top;white-space:nowrap}th{background:#f4f4f4}
#config-diff td{white-space:normal;overflow-wrap:anywhere;min-width:8rem;max-width:22rem}
td.num{text-align:right;font-variant-numeric:tabular-nums}
.better{color:#11772d}.worse{color:#b3261e}.baseline{font-weight:600}
.charts{display:flex;flex-wrap:wrap;gap:1rem}figure{margin:0;flex:0 1 520px;min-width:0}
svg.curve{width:100%;height:auto;background:#fff}svg .frame{fill:none;stroke:#999}
svg .grid{stroke:#eee}svg text{font-size:10px;fill:#555}svg .ytick{text-anchor:end}
svg .xtick{text-anchor:middle}
.legend{list-style:none;padding:0;display:flex;flex-wrap:wrap;gap:.3rem 1rem}
.swatch{display:inline-block;width:.9rem;height:.25rem;margin-right:.3rem;vertical-align:middle}
"""
_SIGN = {"better": "▲ better", "worse": "▼ worse", "same": "= same", "baseline": "baseline"}


def _num(value: float | None) -> str:
    return "–" if value is None else escape(f"{value:.6g}")


def _label(rec: JobRecord) -> str:
    return f"{rec.name} ({rec.id})" if rec.name and rec.name != rec.id else rec.id


def _runs_table(answer: Comparison) -> str:
    head = ["#", "job id", "name", "command", "status", "steps", "final loss", "best loss"]
    head += [f"{answer.metric or 'headline'}", "rank", "run time (s)", "cost (USD)", "eval jobs"]
    rows = []
    for i, run in enumerate(answer.runs):
        cells = [
            f'<td><span class="swatch" style="background:{svg.color(i)}"></span>{i + 1}</td>',
            f"<td>{escape(run.job_id)}</td>",
            f"<td>{escape(run.name)}</td>",
            f"<td>{escape(run.command)}</td>",
            f"<td>{escape(run.status)}</td>",
            f'<td class="num">{"–" if run.steps is None else run.steps}</td>',
            f'<td class="num">{_num(run.final_loss)}</td>',
            f'<td class="num">{_num(run.best_loss)}</td>',
            f'<td class="num">{_num(run.headline)}</td>',
            f'<td class="num">{"–" if run.rank is None else run.rank}</td>',
            f'<td class="num">{_num(run.run_time_s)}</td>',
            f'<td class="num">{_num(run.cost_usd)}</td>',
            f"<td>{escape(', '.join(run.eval_jobs)) or '–'}</td>",
        ]
        rows.append(
            f'<tr class="{"baseline" if run.job_id == answer.baseline else ""}">'
            + "".join(cells)
            + "</tr>"
        )
    header = "".join(f"<th>{escape(h)}</th>" for h in head)
    return (
        f'<table id="runs"><thead><tr>{header}</tr></thead><tbody>{"".join(rows)}</tbody></table>'
    )


def _run_headers(answer: Comparison) -> str:
    return "".join(f"<th>{i + 1}. {escape(r.name)}</th>" for i, r in enumerate(answer.runs))


def _config_table(answer: Comparison) -> str:
    if not answer.config_diff:
        return "<p>The runs' configs do not differ.</p>"
    rows = []
    for diff in answer.config_diff:
        cells = "".join(
            f"<td>{'<i>unset</i>' if v is None else escape(v)}</td>" for v in diff.values
        )
        rows.append(f"<tr><th>{escape(diff.key)}</th>{cells}</tr>")
    head = f"<tr><th>key</th>{_run_headers(answer)}</tr>"
    return f'<table id="config-diff"><thead>{head}</thead><tbody>{"".join(rows)}</tbody></table>'


def _metric_cell(row: MetricRow, i: int) -> str:
    value, delta, mark = row.values[i], row.deltas[i], row.marks[i]
    if value is None:
        return '<td class="num">–</td>'
    shown = _num(value)
    if mark != "baseline" and delta is not None:
        shown += (
            f" <small>({'+' if delta >= 0 else ''}{_num(delta)}, {_SIGN.get(mark, mark)})</small>"
        )
    return f'<td class="num {mark}">{shown}</td>'


def _metrics_table(answer: Comparison) -> str:
    if not answer.metrics:
        return "<p>No run has a training loss or an evaluation metric yet.</p>"
    rows = []
    for row in answer.metrics:
        star = " ★" if row.metric == answer.metric else ""
        cells = "".join(_metric_cell(row, i) for i in range(len(answer.runs)))
        rows.append(f"<tr><th>{escape(row.metric)}{star}</th><td>{row.direction}</td>{cells}</tr>")
    head = f"<tr><th>metric</th><th>better</th>{_run_headers(answer)}</tr>"
    return f'<table id="metrics"><thead>{head}</thead><tbody>{"".join(rows)}</tbody></table>'


def _charts(runs: list[tuple[JobRecord, Series]]) -> str:
    keys = list(dict.fromkeys(k for _, s in runs for k in s))
    keys = [k for k in NAMED if k in keys] + [k for k in keys if k not in NAMED]
    legend = "".join(
        f'<li><span class="swatch" style="background:{svg.color(i)}"></span>'
        f"{escape(_label(rec))}</li>"
        for i, (rec, _) in enumerate(runs)
    )
    figures = []
    for key in keys[:MAX_CHARTS]:
        chart = svg.overlay(key, [(_label(rec), s.get(key, [])) for rec, s in runs])
        if chart:
            figures.append(
                f"<figure><figcaption>{escape(key)} by step</figcaption>{chart}</figure>"
            )
    if not figures:
        return "<p>No run logged a curve yet.</p>"
    return f'<ul class="legend">{legend}</ul><div class="charts">{"".join(figures)}</div>'


def render(answer: Comparison, runs: list[tuple[JobRecord, Series]]) -> str:
    when = time.strftime("%Y-%m-%d %H:%M:%S %Z")
    notes = "".join(f"<li>{escape(n)}</li>" for n in answer.notes)
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        f"<title>Run comparison ({len(answer.runs)} runs)</title>"
        f"<style>{STYLE}</style></head><body>"
        f"<h1>Run comparison: {len(answer.runs)} runs</h1>"
        f"<p>Written {escape(when)}. Baseline: <b>{escape(answer.baseline)}</b>. "
        f"Headline metric: <b>{escape(answer.metric or 'none')}</b>. "
        f"{escape(answer.direction_rule)}</p>"
        f'<h2>Runs</h2><div class="scroll">{_runs_table(answer)}</div>'
        f'<h2>Config keys that differ</h2><div class="scroll">{_config_table(answer)}</div>'
        "<h2>Metrics (value, delta against the baseline)</h2>"
        f'<div class="scroll">{_metrics_table(answer)}</div>'
        f"<h2>Curves</h2>{_charts(runs)}"
        + (f"<h2>Notes</h2><ul>{notes}</ul>" if notes else "")
        + "</body></html>\n"
    )


def report_path(answer: Comparison) -> Path:
    """One file per (runs, baseline, metric): comparing the same runs again refreshes it."""
    key = json.dumps([[r.job_id for r in answer.runs], answer.baseline, answer.metric])
    digest = hashlib.sha256(key.encode()).hexdigest()[:16]
    folder = state_dir() / REPORTS
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    return folder / f"compare-{digest}.html"


_written: OrderedDict[Path, tuple[str, list[Series]]] = OrderedDict()
_lock = threading.Lock()
MAX_KEPT = 64


def write(answer: Comparison, runs: list[tuple[JobRecord, Series]]) -> Path:
    """Write the report, unless this process wrote this very file from the same answer and the
    same series (the objects `compare_cache` keeps while a run's evidence is unchanged)."""
    path = report_path(answer)
    data = answer.model_dump_json()
    series = [s for _, s in runs]
    with _lock:
        kept = _written.get(path)
    same = kept is not None and kept[0] == data and len(kept[1]) == len(series)
    if same and kept is not None and all(a is b for a, b in zip(kept[1], series, strict=True)):
        st = base.regular_stat(path)
        if st is not None and st.st_size > 0:
            return path
    write_text_atomic(path, render(answer, runs), mode=0o600)
    with _lock:
        _written[path] = (data, series)
        _written.move_to_end(path)
        while len(_written) > MAX_KEPT:
            _written.popitem(last=False)
    return path
