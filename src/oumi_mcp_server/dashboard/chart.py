"""The loss curve as inline SVG: no script, no external asset, readable at any width."""

from __future__ import annotations

import math
import sys

from oumi_mcp_server.dashboard.loss import Point

WIDTH, HEIGHT = 900, 260
_LEFT, _RIGHT, _TOP, _BOTTOM = 56, 16, 14, 30
_FLAT = 1e-6
"""A relative spread below this is drawn as a flat line (and keeps tick steps representable)."""


def _fmt(value: float) -> str:
    return f"{value:.4g}"


def _ticks(lo: float, hi: float, count: int = 4) -> list[float]:
    """Round tick values (1, 2 or 5 times a power of ten apart) covering [lo, hi] (lo < hi)."""
    raw = (hi - lo) / count
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= raw)
    first = math.floor(lo / step)
    return [(first + i) * step for i in range(math.ceil(hi / step) - first + 1)]


def _y_axis(values: list[float]) -> tuple[float, list[float]]:
    """(scale, ticks): ticks cover every value divided by `scale`, a power of ten, so that the
    arithmetic stays finite from 5e-324 to ±1.8e308 and labels (tick * scale) stay round."""
    lo, hi = min(values), max(values)
    biggest = max(abs(lo), abs(hi))
    scale = 10.0 ** min(300, max(-300, math.floor(math.log10(biggest)))) if biggest else 1.0
    lo, hi = lo / scale, hi / scale
    if hi - lo <= _FLAT * max(abs(lo), abs(hi)):  # a flat line gets a band around it
        pad = abs(hi) * 0.05 or 1.0
        lo, hi = lo - pad, hi + pad
    return scale, _ticks(lo, hi)


def _label(tick: float, scale: float) -> str:
    value = tick * scale
    return _fmt(value if math.isfinite(value) else math.copysign(sys.float_info.max, value))


def loss_svg(points: list[Point], eval_points: list[Point] | None = None) -> str:
    """A line chart of `points` (and dashed `eval_points`); a short note when there are none.

    Total over finite numbers, whatever their range; non-finite points are left out."""
    points = [(s, v) for s, v in points if math.isfinite(v) and math.isfinite(s)]
    evals = [(s, v) for s, v in eval_points or [] if math.isfinite(v) and math.isfinite(s)]
    if not points and not evals:
        return '<p class="muted">No loss logged yet.</p>'
    every = points + evals
    x_lo, x_hi = min(p[0] for p in every), max(p[0] for p in every)
    scale, ticks = _y_axis([p[1] for p in every])
    y_lo, y_hi = ticks[0], ticks[-1]
    x_span = (x_hi - x_lo) or 1
    plot_w, plot_h = WIDTH - _LEFT - _RIGHT, HEIGHT - _TOP - _BOTTOM

    def xy(step: float, loss: float, scaled: bool = False) -> tuple[float, float]:
        x = _LEFT + (step - x_lo) / x_span * plot_w
        y = _TOP + (y_hi - (loss if scaled else loss / scale)) / (y_hi - y_lo) * plot_h
        return round(x, 1), round(y, 1)

    parts = [
        f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-label="Training loss by step" xmlns="http://www.w3.org/2000/svg">'
    ]
    for tick in ticks:
        _, y = xy(x_lo, tick, scaled=True)
        parts.append(
            f'<line class="grid" x1="{_LEFT}" y1="{y}" x2="{WIDTH - _RIGHT}" y2="{y}"/>'
            f'<text class="axis" x="{_LEFT - 6}" y="{y + 4}" text-anchor="end">'
            f"{_label(tick, scale)}</text>"
        )
    for i, step in enumerate(sorted({x_lo, (x_lo + x_hi) // 2, x_hi})):
        x, _ = xy(step, y_lo, scaled=True)
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
