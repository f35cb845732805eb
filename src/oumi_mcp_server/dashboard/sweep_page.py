"""A sweep's page: its points ranked by the sweep's metric (`SweepService.get`, what `get_sweep`
answers), the metric against each swept parameter, the points' loss curves overlaid, and a
cancel button (a person's click on this authenticated page is the consent; the POST carries a
token only this page holds, see `csrf_token`)."""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from oumi_mcp_server.core.errors import ServiceError
from oumi_mcp_server.dashboard.compare_view import (
    Curve,
    color,
    compare_url,
    controls,
    plot_data,
    plots_html,
    thinned,
)
from oumi_mcp_server.dashboard.render import badge, e, job_url, middle, num
from oumi_mcp_server.experiments.curves import series
from oumi_mcp_server.experiments.sweep import SweepService
from oumi_mcp_server.experiments.sweep_models import SweepPointView, SweepView
from oumi_mcp_server.experiments.sweep_view import LIVE
from oumi_mcp_server.jobs.models import CancelResult
from oumi_mcp_server.jobs.progress import finite
from oumi_mcp_server.jobs.service import JobService

NOT_STARTED = "not_started"


def csrf_token(key: bytes, sweep_id: str) -> str:
    """Bound to this sweep and to the running dashboard (its key is made at start-up)."""
    return hmac.new(key, f"cancel-sweep:{sweep_id}".encode(), hashlib.sha256).hexdigest()


def check_csrf(key: bytes, sweep_id: str, given: str | None, origin: str | None) -> None:
    """The cancel POST must come from this dashboard's own page: an Origin (the guard checks it
    is this server's) and the token the page was given."""
    if origin is None or not given or not hmac.compare_digest(given, csrf_token(key, sweep_id)):
        raise ServiceError(
            "forbidden",
            "This cancel did not come from the dashboard's sweep page.",
            "Open the sweep page (reload it if the dashboard restarted) and click Cancel.",
        )


@dataclass
class SweepPage:
    view: SweepView
    curves: dict[str, list[Curve]]
    csrf: str


def sweep_page(svc: JobService, sweep_id: str, key: bytes) -> SweepPage:
    view = SweepService(svc).get(sweep_id)
    losses: list[Curve] = []
    for i, p in enumerate(view.points):
        if p.job_id is None:
            continue
        try:
            found = series(svc.record(p.job_id)).get("loss", [])
        except ServiceError:  # its record was pruned
            continue
        if found:
            losses.append(Curve(_label(p), color(i), thinned(found)))
    return SweepPage(view, {"loss": losses} if losses else {}, csrf_token(key, sweep_id))


def cancel_sweep(svc: JobService, sweep_id: str) -> CancelResult:
    """The person clicked Cancel on the sweep page: that click is the approval."""
    return SweepService(svc).cancel(sweep_id, approved=True)


def _label(p: SweepPointView) -> str:
    values = ", ".join(f"{k.rsplit('.', 1)[-1]}={v}" for k, v in p.overrides.items())
    return f"#{p.index} {values}"


def swept(view: SweepView) -> list[str]:
    """The override keys whose value differs between points, in the points' order."""
    keys: list[str] = []
    for p in view.points:
        keys += [k for k in p.overrides if k not in keys]
    return [k for k in keys if len({repr(p.overrides.get(k)) for p in view.points}) > 1]


def _scatter(view: SweepView, key: str) -> str:
    pts = [
        ((x, p.value), f"#{p.index}")
        for p in view.points
        if (x := finite(p.overrides.get(key))) is not None and p.value is not None
    ]
    if not pts:
        return ""
    xs = [xy[0] for xy, _ in pts]
    curve = Curve(view.metric, color(0), [xy for xy, _ in pts])
    data = plot_data(
        f"{view.metric} by {key}",
        [curve],
        xlabel=key.rsplit(".", 1)[-1],
        kind="scatter",
        xlog=min(xs) > 0 and max(xs) / min(xs) >= 10,
        labels=[[label for _, label in pts]],
    )
    return (
        f'<div class="plot-card"><h3>{e(view.metric)} vs {e(key)}</h3>'
        f'<div class="plot" data-metric="scatter-{e(key)}" data-series="{data}"></div></div>'
    )


def _table(view: SweepView, keys: list[str]) -> str:
    head = "".join(f'<th title="{e(k)}">{e(k.rsplit(".", 1)[-1])}</th>' for k in keys)
    rows = []
    for i, p in enumerate(view.points):
        cells = "".join(f"<td class=num>{e(p.overrides.get(k))}</td>" for k in keys)
        job = (
            f'<a href="{job_url(p.job_id)}" title="{e(p.job_id)}">{middle(p.job_id)}</a>'
            if p.job_id
            else '<span class="muted">-</span>'
        )
        rank = f"{p.rank}{' (tie)' if p.tied else ''}" if p.rank else "-"
        rows.append(
            f'<tr data-index="{p.index}"><td><span class="swatch" style="background:{color(i)}">'
            f"</span>{e(rank)}</td><td>#{p.index}</td>{cells}<td>{badge(p.status)}</td>"
            f"<td class=num>{num(p.value, '.4g')}</td><td>{job}</td>"
            f'<td class="muted">{e(p.note or "")}</td></tr>'
        )
    return (
        '<div class="table-wrap"><table class="jobs points"><thead><tr><th>Rank</th><th>Point</th>'
        f"{head}<th>Status</th><th>{e(view.metric)}</th><th>Job</th><th>Note</th></tr></thead>"
        f"<tbody>{''.join(rows)}</tbody></table></div>"
    )


def sweep_fragment(page: SweepPage) -> str:
    v = page.view
    live = any(p.status in LIVE or p.status == NOT_STARTED for p in v.points)
    counts = ", ".join(f"{n} {e(s)}" for s, n in sorted(v.counts.items()))
    keys = swept(v)
    ids = [p.job_id for p in v.points if p.job_id]
    link = e(compare_url(ids, v.metric))
    compare = f'<a href="{link}">compare the points</a>' if 2 <= len(ids) <= 20 else ""
    cancel = (
        f'<button id="cancel-sweep" class="button danger" data-sweep="{e(v.sweep_id)}" '
        f'data-url="/api/sweeps/{quote(v.sweep_id, safe="")}/cancel" data-csrf="{page.csrf}">'
        "Cancel sweep</button>"
        if live
        else ""
    )
    best = "min" if v.mode == "min" else "max"
    scatters = "".join(_scatter(v, k) for k in keys)
    notes = "".join(f"<li>{e(n)}</li>" for n in v.notes)
    return (
        f'<div id="view" data-live="{"1" if live else "0"}">'
        f'<p class="links"><a href="/">&larr; all jobs</a> {compare}</p>'
        f'<div class="card"><h2>Sweep <span class="mono">{e(v.sweep_id)}</span> '
        f"{badge(v.status)}</h2><p>{e(v.command)} · ranked by <b>{e(v.metric)}</b> ({best}) · "
        f"{counts} · created {e(v.created_at.replace('T', ' '))}"
        + (f' · evaluate <span title="{e(v.evaluate)}">{e(Path(v.evaluate).name)}</span>'
           if v.evaluate else "")
        + f'</p><div class="controls">{cancel}<span id="cancel-result" class="muted"></span></div>'
        + (f'<ul class="muted">{notes}</ul>' if notes else "")
        + f"{_table(v, keys)}"
        + ('<p class="muted">More points than shown.</p>' if v.points_truncated else "")
        + "</div>"
        + (f'<div class="card"><h2>Metric by parameter</h2><div class="plots">{scatters}'
           "</div></div>" if scatters else "")
        + f'<div class="card"><h2>Loss curves</h2>{controls()}{plots_html(page.curves)}</div>'
        + "</div>"
    )  # fmt: skip
