"""wait_for_job's progress notifications: strictly increasing, never above the total, real
steps reported as they are (not clamped to a stale loader bar's 20), a heartbeat when idle."""

from __future__ import annotations

import itertools
import math

from hypothesis import given, settings
from hypothesis import strategies as st

from oumi_mcp_server.jobs.models import JobProgress, JobStatusView
from oumi_mcp_server.jobs.progress import Notifier


def view(status: str, step: int | None = None, total: int | None = None) -> JobStatusView:
    prog = None
    if step is not None or total is not None:
        prog = JobProgress(step=step, total_steps=total, loss=1.5 if step else None)
    return JobStatusView(
        job_id="j",
        name="j",
        command="train",
        status=status,
        backend="local",
        cluster="",
        error_lines=[],
        submitted_at="",
        progress=prog,
        run_dir="",
        output_dir="",
        model="",
        observed_at="",
        status_source="",
    )


def _sent(views: list[JobStatusView], every_s: float = 1.0) -> list[tuple[float, float | None]]:
    notifier = Notifier(heartbeat_s=15.0)
    sent = []
    for i, v in enumerate(views):
        out = notifier.next(v, now=i * every_s)
        if out is not None:
            sent.append((out[0], out[1]))
    return sent


def _check(sent: list[tuple[float, float | None]]) -> None:
    values = [v for v, _ in sent]
    assert all(b > a for a, b in itertools.pairwise(values)), values
    assert all(t is None or v <= t for v, t in sent), sent
    assert all(math.isfinite(v) and v >= 0 for v in values)


def test_a_real_training_run() -> None:
    views = [view("queued"), view("running")]
    views += [view("running", s, 60) for s in range(1, 61)]
    views += [view("running", 60, 60)] * 40  # saving the model: heartbeats every 15 s
    views.append(view("completed", 60, 60))
    sent = _sent(views)
    _check(sent)
    steps = [v for v, _ in sent[2:61]]
    assert steps[:59] == [float(s) for s in range(1, 60)]  # steps 1-19 were a stale 20
    assert 59.99 < sent[61][0] < 60 and sent[-1] == (60.0, 60.0)
    assert len(sent) == 2 + 60 + 2 + 1  # two heartbeats in 40 idle seconds


def test_totals_that_change_and_steps_past_them() -> None:
    views = [view("running", 100, 1500), view("running", 50, 60), view("running", 70, 60)]
    views += [view("running"), view("failed", 3, None), view("completed", 5, 5)]
    sent = _sent(views)
    _check(sent)
    assert sent[1][1] is None  # no room under the new total: sent without one
    assert len(sent) == len(views)


@settings(max_examples=300, deadline=None, derandomize=True)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["queued", "running", "completed", "failed", "cancelled"]),
            st.none() | st.integers(0, 10**12),
            st.none() | st.integers(1, 10**12),
        ),
        max_size=40,
    ),
    st.sampled_from([0.5, 7.0, 20.0]),
)
def test_any_sequence_of_views(
    steps: list[tuple[str, int | None, int | None]], every: float
) -> None:
    _check(_sent([view(s, n, t) for s, n, t in steps], every))
