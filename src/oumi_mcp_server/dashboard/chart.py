"""The loss curve as inline SVG: no script, no external asset, readable at any width."""

from __future__ import annotations

import math

from oumi_mcp_server.dashboard.loss import Point

WIDTH, HEIGHT = 900, 260
_LEFT, _RIGHT, _TOP, _BOTTOM = 56, 16, 14, 30


def _fmt(value: float) -> str:
    return f"{value:.4g}"


def _ticks(lo: float, hi: float, count: int = 4) -> list[float]:
    """Round tick values (1, 2 or 5 times a power of ten apart) covering [lo, hi]."""
    raw = (hi - lo) / count
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= raw)
    first = math.floor(lo / step)
    return [round((first + i) * step, 10) for i in range(math.ceil(hi / step) - first + 1)]


def loss_svg(points: list[Point], eval_points: list[Point] | None = None) -> str:
    """A line chart of `points` (and dashed `eval_points`); a short note when there are none."""
    evals = eval_points or []
    if not points and not evals:
        return '<p class="muted">No loss logged yet.</p>'
    every = points + evals
    x_lo, x_hi = min(p[0] for p in every), max(p[0] for p in every)
    y_lo, y_hi = min(p[1] for p in every), max(p[1] for p in every)
    pad = 0.0 if y_hi > y_lo else abs(y_hi) * 0.05 or 1.0  # a flat line gets a band around it
    ticks = _ticks(y_lo - pad, y_hi + pad)
    y_lo, y_hi = ticks[0], ticks[-1]
    x_span = (x_hi - x_lo) or 1
    plot_w, plot_h = WIDTH - _LEFT - _RIGHT, HEIGHT - _TOP - _BOTTOM

    def xy(step: float, loss: float) -> tuple[float, float]:
        x = _LEFT + (step - x_lo) / x_span * plot_w
        y = _TOP + (y_hi - loss) / (y_hi - y_lo) * plot_h
        return round(x, 1), round(y, 1)

    parts = [
        f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-label="Training loss by step" xmlns="http://www.w3.org/2000/svg">'
    ]
    for tick in ticks:
        _, y = xy(x_lo, tick)
        parts.append(
            f'<line class="grid" x1="{_LEFT}" y1="{y}" x2="{WIDTH - _RIGHT}" y2="{y}"/>'
            f'<text class="axis" x="{_LEFT - 6}" y="{y + 4}" text-anchor="end">{_fmt(tick)}</text>'
        )
    for i, step in enumerate(sorted({x_lo, (x_lo + x_hi) // 2, x_hi})):
        x, _ = xy(step, y_lo)
        label = f"step {step}" if i == 0 else str(step)
        anchor = "start" if i == 0 else "middle"
        parts.append(
            f'<text class="axis" x="{x}" y="{HEIGHT - 10}" text-anchor="{anchor}">{label}</text>'
        )
    for cls, series in (("line", points), ("line eval", evals)):
        if not series:
            continue
        coords = " ".join(f"{x},{y}" for x, y in (xy(s, v) for s, v in series))
        parts.append(f'<polyline class="{cls}" points="{coords}"/>')
        x, y = xy(*series[-1])
        parts.append(
            f'<circle class="{cls}" cx="{x}" cy="{y}" r="3"><title>step {series[-1][0]}: '
            f"{_fmt(series[-1][1])}</title></circle>"
        )
    parts.append("</svg>")
    return "".join(parts)
