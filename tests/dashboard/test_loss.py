"""Loss series from trainer_state.json, metrics_rank0000.jsonl or log lines; the SVG curve."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jobs.odd_values import FILE_TEXT, JSONL_TEXT, assert_sane_number, write_job_files
from jobs.runfiles import METRICS, TRAINER_STATE, Run, launch, rows, trainer_state, write
from oumi_mcp_server.dashboard.chart import loss_svg
from oumi_mcp_server.dashboard.loss import LossSeries, loss_series, thin


def write_trainer_state(
    out: Path,
    losses: list[float],
    evals: dict[int, float] | None = None,
    checkpoint: str | None = None,
) -> None:
    history: list[dict[str, object]] = [
        {"loss": loss, "step": i + 1, "epoch": (i + 1) / len(losses)}
        for i, loss in enumerate(losses)
    ]
    history += [{"eval_loss": v, "step": s} for s, v in (evals or {}).items()]
    history.append({"train_loss": 9.9, "step": len(losses), "train_runtime": 1.0})
    folder = out / checkpoint if checkpoint else out
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "trainer_state.json").write_text(
        json.dumps({"global_step": len(losses), "max_steps": len(losses), "log_history": history})
    )


def test_trainer_state_history_with_eval_points(tmp_path: Path) -> None:
    write_trainer_state(tmp_path, [3.0, 2.5, 2.0, 1.5], evals={2: 2.7, 4: 1.9})
    series = loss_series(tmp_path, [])
    assert series.source == "trainer_state.json"
    assert series.points == [(1, 3.0), (2, 2.5), (3, 2.0), (4, 1.5)]  # no train_loss summary
    assert series.eval_points == [(2, 2.7), (4, 1.9)]
    assert series.total_points == 4 and not series.truncated


def test_fresher_metrics_jsonl_wins_over_an_older_checkpoint(tmp_path: Path) -> None:
    write_trainer_state(tmp_path, [3.0, 2.0], checkpoint="checkpoint-2")
    rows = [{"loss": 3.0 - i * 0.1, "step": i, "learning_rate": 1e-4} for i in range(1, 8)]
    text = "\n".join(json.dumps(r) for r in rows) + "\n{not json\n"
    (tmp_path / "metrics_rank0000.jsonl").write_text(text)
    series = loss_series(tmp_path, [])
    assert series.source == "metrics_rank0000.jsonl"
    assert [s for s, _ in series.points] == list(range(1, 8))


def test_log_lines_are_the_fallback(tmp_path: Path) -> None:
    log = tmp_path / "stdout.log"
    log.write_text(
        "\n".join(
            ["starting"]
            + [
                f"{{'loss': '{4 - i * 0.5}', 'eval_loss': 9, 'step': {i * 10}}}"
                for i in range(1, 5)
            ]
            + ["{'train_loss': 1.0}"]
        )
    )
    series = loss_series(tmp_path / "missing", [tmp_path / "none.log", log])
    assert series.source == "stdout.log"
    assert series.points == [(10, 3.5), (20, 3.0), (30, 2.5), (40, 2.0)]
    assert loss_series(None, [tmp_path / "none.log"]).points == []


def test_thinning_keeps_the_ends_and_is_flagged(tmp_path: Path) -> None:
    points = [(i, float(i)) for i in range(1, 1001)]
    assert thin(points, 10)[0] == (1, 1.0) and thin(points, 10)[-1] == (1000, 1000.0)
    assert len(thin(points, 10)) == 10 and thin(points[:5], 10) == points[:5]
    write_trainer_state(tmp_path, [5.0 - i / 1000 for i in range(1000)])
    series = loss_series(tmp_path, [], max_points=50)
    assert len(series.points) == 50 and series.total_points == 1000 and series.truncated


def test_svg_draws_every_point_inside_the_viewbox() -> None:
    svg = loss_svg([(1, 3.0), (2, 2.0), (3, 1.0)], [(3, 1.5)])
    assert svg.startswith("<svg") and svg.endswith("</svg>")
    line = re.search(r'<polyline class="line" points="([^"]+)"', svg)
    assert line is not None
    coords = [tuple(map(float, p.split(","))) for p in line.group(1).split()]
    assert len(coords) == 3
    assert all(0 <= x <= 900 and 0 <= y <= 260 for x, y in coords)
    assert coords[0][0] < coords[2][0] and coords[0][1] < coords[2][1]  # higher loss drawn higher
    assert 'class="line eval"' in svg
    ticks = re.findall(r'text-anchor="end">([^<]+)</text>', svg)
    assert ticks == ["1", "1.5", "2", "2.5", "3"]  # round values covering 1..3
    assert "No loss logged yet" in loss_svg([], [])
    assert "<polyline" in loss_svg([(5, 2.0)])  # a single point (flat, one step) still draws


def test_fuzzed_job_files_give_finite_series_and_a_chart(tmp_path: Path) -> None:
    out = tmp_path / "out"
    log = tmp_path / "stdout.log"

    @settings(max_examples=200, deadline=None, derandomize=True)
    @given(
        state=st.none() | FILE_TEXT,
        metrics=st.none() | JSONL_TEXT,
        checkpoint=st.booleans(),
        log_text=JSONL_TEXT,
    )
    def check(state: str | None, metrics: str | None, checkpoint: bool, log_text: str) -> None:
        write_job_files(out, state, metrics, checkpoint)
        log.write_text(log_text.replace('"', "'"), encoding="utf-8", errors="surrogatepass")
        series = loss_series(out, [log])
        for step, value in series.points + series.eval_points:
            assert_sane_number(step, integer=True)
            assert_sane_number(value)
        json.dumps(series.model_dump(mode="json"), allow_nan=False)
        assert loss_svg(series.points, series.eval_points)

    check()


@pytest.mark.parametrize(
    "values",
    [
        [5e-324],
        [5e-324, 0.0],
        [1e308, -1e308],
        [1.7976931348623157e308, -1.7976931348623157e308, 0.0],
        [2.2250738585072014e-308, 5e-324],
        [1.0, 1.0 + 2**-52],
        [0.0, 0.0],
        [-3.0, 1e-300],
    ],
)
def test_svg_of_extreme_values_stays_in_the_viewbox(values: list[float]) -> None:
    svg = loss_svg([(i * 10**11, v) for i, v in enumerate(values)])
    line = re.search(r'<polyline class="line" points="([^"]+)"', svg)
    assert line is not None
    for point in line.group(1).split():
        x, y = map(float, point.split(","))
        assert 0 <= x <= 900 and 0 <= y <= 260
    assert "inf" not in svg and "nan" not in svg


def test_odd_steps_fall_back_to_the_row_index(tmp_path: Path) -> None:
    rows = [{"loss": 1.0, "step": s} for s in (2**80, -5, True, "x", None)]
    rows.append({"loss": 0.5, "step": 1e3})
    (tmp_path / "metrics_rank0000.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    series = loss_series(tmp_path, [])
    assert series.points == [(1, 1.0), (2, 1.0), (3, 1.0), (4, 1.0), (5, 1.0), (1000, 0.5)]


def series_of(run: Run) -> LossSeries:
    """The dashboard's curve of a fake run, asked for as the app asks (stdout first)."""
    return loss_series(run.out, [run.run_dir / "stdout.log", run.run_dir / "stderr.log"])


def test_two_runs_in_one_folder_are_two_curves(tmp_path: Path) -> None:
    """The dashboard drew two runs of one folder as one zig-zag: each curve is now its own
    run's, and ends where that run's progress says it is."""
    out, root, t0 = tmp_path / "out", tmp_path / "jobs", time.time() - 1000
    write(out / METRICS, rows(range(1, 61), run=1, summary=True), t0)
    write(out / TRAINER_STATE, trainer_state(60, 60, run=1), t0)
    run = launch(root, out, "train-b", t0 + 100)
    assert series_of(run).points == []
    write(out / METRICS, rows(range(1, 26), run=2), t0 + 150, append=True)
    series = series_of(run)
    steps = [s for s, _ in series.points]
    assert steps == list(range(1, 26)) and series.source == METRICS
    p = run.progress()
    assert p is not None and series.points[-1] == (p.step, p.loss)
