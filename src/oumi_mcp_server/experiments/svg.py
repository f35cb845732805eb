"""Overlaid line charts as inline SVG (no script, no external asset): one polyline per run.
Only numbers are drawn from the data; every text (title, run label, tick) is escaped."""

from __future__ import annotations

import math
from html import escape

from oumi_mcp_server.experiments.curves import Point, thin

PALETTE = (
    "#1f77b4",
    "#d62728",
    "#2ca02c",
    "#ff7f0e",
    "#9467bd",
    "#8c564b",
    "#e377c2",
    "#17becf",
    "#7f7f7f",
    "#bcbd22",
)
WIDTH, HEIGHT = 640, 260
LEFT, RIGHT, TOP, BOTTOM = 64, 12, 12, 30
MAX_POINTS = 200
"""Per line: plenty for a 640-unit-wide chart, and the report stays small."""
TICKS = 5


def color(index: int) -> str:
    return PALETTE[index % len(PALETTE)]


def _fmt(value: float) -> str:
    return f"{value:.4g}"


def _range(values: list[float]) -> tuple[float, float]:
    lo, hi = min(values), max(values)
    if hi == lo:
        pad = abs(lo) * 0.05 or 1.0
        return lo - pad, hi + pad
    pad = (hi - lo) * 0.05
    return lo - pad, hi + pad


def overlay(title: str, lines: list[tuple[str, list[Point]]]) -> str:
    """An SVG chart of every (label, points) line on shared axes; '' when no line has points.
    Line i is drawn in `color(i)` (the legend beside it uses the same)."""
    drawn = [(i, label, thin(pts, MAX_POINTS)) for i, (label, pts) in enumerate(lines) if pts]
    if not drawn:
        return ""
    xs = [float(s) for _, _, pts in drawn for s, _ in pts]
    ys = [v for _, _, pts in drawn for _, v in pts]
    x0, x1 = min(xs), max(xs)
    if x1 == x0:
        x0, x1 = x0 - 1, x1 + 1
    y0, y1 = _range(ys)
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def px(step: float) -> float:
        return LEFT + (step - x0) / (x1 - x0) * plot_w

    def py(value: float) -> float:
        return TOP + (y1 - value) / (y1 - y0) * plot_h

    parts = [
        f'<svg class="curve" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'role="img" aria-label="{escape(title)}">',
        f"<title>{escape(title)}</title>",
        f'<rect x="{LEFT}" y="{TOP}" width="{plot_w}" height="{plot_h}" class="frame"/>',
    ]
    for k in range(TICKS):
        value = y0 + (y1 - y0) * k / (TICKS - 1)
        y = py(value)
        parts.append(
            f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}" class="grid"/>'
        )
        parts.append(f'<text x="{LEFT - 4}" y="{y + 4:.1f}" class="ytick">{_fmt(value)}</text>')
        step = x0 + (x1 - x0) * k / (TICKS - 1)
        label = str(round(step)) if math.isfinite(step) else ""
        parts.append(f'<text x="{px(step):.1f}" y="{HEIGHT - 10}" class="xtick">{label}</text>')
    for i, label, pts in drawn:
        coords = " ".join(f"{px(s):.1f},{py(v):.1f}" for s, v in pts)
        parts.append(
            f'<polyline data-run="{i}" points="{coords}" fill="none" stroke="{color(i)}" '
            f'stroke-width="1.6"><title>{escape(label)}</title></polyline>'
        )
    parts.append("</svg>")
    return "".join(parts)
