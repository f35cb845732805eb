"""The runs' loss curves overlaid, as a small PNG (for MCP image content). matplotlib is imported
here, inside the function, with the Agg backend: it costs most of a second, and the server must
start without it."""

from __future__ import annotations

import io

from oumi_mcp_server.experiments import svg
from oumi_mcp_server.experiments.curves import Point, thin

MAX_POINTS = 400


def overlay_png(title: str, lines: list[tuple[str, list[Point]]]) -> bytes | None:
    """PNG bytes of the (label, points) lines on shared axes; None when no line has a point."""
    if not any(points for _, points in lines):
        return None
    import matplotlib

    matplotlib.use("Agg")
    # Run names are literal text: with math parsing on, `$...$` in a name is a formula (or raises).
    with matplotlib.rc_context({"text.parse_math": False, "text.usetex": False}):
        return _draw(title, lines)


def _draw(title: str, lines: list[tuple[str, list[Point]]]) -> bytes:
    from matplotlib.figure import Figure

    fig = Figure(figsize=(6.4, 3.2), dpi=80)
    ax = fig.add_subplot()
    for i, (label, points) in enumerate(lines):
        if points:
            shown = thin(points, MAX_POINTS)
            ax.plot(
                [s for s, _ in shown],
                [v for _, v in shown],
                color=svg.color(i),
                linewidth=1.4,
                label=f"{i + 1}. {label[:40]}",
            )
    ax.set_title(title[:80])
    ax.set_xlabel("step")
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=7, loc="best")
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return buf.getvalue()
