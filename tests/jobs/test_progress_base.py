"""Progress of a re-used output folder comes only from this run's evidence (fake runs, real
baselines): stale trainer states and checkpoints, appended metrics, later runs, queued runs."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest

from dashboard.test_loss import series_of
from jobs.runfiles import METRICS, TRAINER_STATE, checkpoint, launch, loss_at, rows, write
from jobs.runfiles import trainer_state as state_text
from oumi_mcp_server.jobs import progress, progress_base
from oumi_mcp_server.jobs.plan import LaunchRequest, build_plan
from oumi_mcp_server.jobs.states import LaunchPhase

T0 = time.time() - 10_000  # every fake run below happened after T0, in order


@pytest.fixture
def root(tmp_path: Path) -> Path:
    return tmp_path / "jobs"


@pytest.fixture
def out(tmp_path: Path) -> Path:
    """An output folder a first, 60-step run filled (trainer state, checkpoints, metrics)."""
    folder = tmp_path / "out"
    write(folder / TRAINER_STATE, state_text(60, 60, run=1), T0 + 10)
    for step in range(10, 61, 10):
        checkpoint(folder, step, 60, run=1, at=T0 + 10)
    write(folder / METRICS, rows(range(1, 61), run=1, summary=True), T0 + 10)
    return folder


def numbers(p: progress.JobProgress) -> dict[str, Any]:
    return p.model_dump(exclude={"sources"})


def test_the_baseline_records_the_folder_and_the_ledger(root: Path, out: Path) -> None:
    run = launch(root, out, "train-b", T0 + 100)
    base = json.loads((run.run_dir / progress_base.BASE).read_text())
    assert set(base["files"]) == {TRAINER_STATE, METRICS} | {
        f"checkpoint-{s}/{TRAINER_STATE}" for s in range(10, 61, 10)
    }
    assert base["files"][METRICS][0] == (out / METRICS).stat().st_size
    ledger = root / progress_base.LEDGER_DIR / f"{base['ledger']}.jsonl"
    (entry,) = [json.loads(line) for line in ledger.read_text().splitlines()]
    assert entry["job"] == "train-b" and entry["metrics"][0] == base["files"][METRICS][0]
    empty = launch(root, out / "missing", "train-c", T0 + 100)
    assert json.loads((empty.run_dir / progress_base.BASE).read_text())["files"] == {}


def test_a_new_run_never_shows_the_earlier_runs_numbers(root: Path, out: Path) -> None:
    """The issue's 1,500-step run that reported 60/60: stale trainer state, checkpoints and
    metrics rows are the first run's; only this run's rows, checkpoint and bar count."""
    run = launch(root, out, "train-b", T0 + 100)
    assert run.progress() is None  # nothing of its own yet (was: 60/60, fraction 1.0, eta 0)
    write(out / METRICS, rows(range(1, 59), run=2), T0 + 150, append=True)
    checkpoint(out, 50, 1500, run=2, at=T0 + 140)
    run.write_log("stderr.log", "  4%|4         | 58/1500 [00:58<24:02,  1.00it/s]")
    p = run.progress()
    assert p is not None and (p.step, p.total_steps) == (58, 1500), p
    assert p.loss == loss_at(58, run=2) and p.first_loss == loss_at(1, run=2)
    assert p.fraction == round(58 / 1500, 4) and p.eta_s == 24 * 60 + 2
    assert series_of(run).points == [(s, loss_at(s, run=2)) for s in range(1, 59)]


def test_a_run_that_failed_early_shows_nothing_of_later_runs(root: Path, out: Path) -> None:
    failed = launch(root, out, "train-f", T0 + 100)
    failed.write_log("stderr.log", "Error: dataset_path '/nonexistent.jsonl' does not exist.\n")
    failed.end(T0 + 110, exit_code=1)
    later = launch(root, out, "train-g", T0 + 200)
    write(out / METRICS, rows(range(1, 31), run=3, summary=True), T0 + 250, append=True)
    write(out / TRAINER_STATE, state_text(30, 30, run=3), T0 + 260)
    checkpoint(out, 30, 30, run=3, at=T0 + 255)
    later.end(T0 + 270)
    assert failed.progress() is None  # was: 100 % and the later run's whole loss curve
    assert series_of(failed).points == []
    p = later.progress()
    assert p is not None and (p.step, p.total_steps, p.fraction) == (30, 30, 1.0)
    assert p.loss == loss_at(30, run=3) and p.first_loss == loss_at(1, run=3)


def test_a_finished_runs_numbers_never_change(root: Path, out: Path) -> None:
    """Later runs append to the metrics, rewrite checkpoints of the same steps and the trainer
    state: the finished run's progress and curve stay what they were when it ended."""
    first = launch(root, out, "train-a", T0 + 100)
    write(out / METRICS, rows(range(1, 21), run=2, summary=True), T0 + 150, append=True)
    for step in (10, 20):
        checkpoint(out, step, 20, run=2, at=T0 + 140 + step)
    write(out / TRAINER_STATE, state_text(20, 20, run=2), T0 + 165)
    first.write_log("stderr.log", "100%|##########| 20/20 [00:20<00:00,  1.00it/s]\n")
    first.end(T0 + 170)
    before, curve = first.progress(), series_of(first)
    assert before is not None and (before.step, before.total_steps) == (20, 20)
    assert before.loss == loss_at(20, run=2) and curve.points[-1] == (20, loss_at(20, run=2))
    for n, name in enumerate(("train-b", "train-c")):
        run = launch(root, out, name, T0 + 300 + 100 * n)
        write(out / METRICS, rows(range(1, 31), run=3 + n), T0 + 350 + 100 * n, append=True)
        for step in (10, 20, 30):
            checkpoint(out, step, 30, run=3 + n, at=T0 + 340 + 100 * n)
        write(out / TRAINER_STATE, state_text(30, 30, run=3 + n), T0 + 360 + 100 * n)
        run.end(T0 + 370 + 100 * n)
        after = first.progress()  # was: 200/60; only `sources` may change (files overwritten)
        assert after is not None and numbers(after) == numbers(before)
        assert series_of(first) == curve
        assert series_of(run).points == [(s, loss_at(s, run=3 + n)) for s in range(1, 31)]


def test_rows_of_a_run_queued_behind_this_one_are_cut_where_steps_start_over(
    root: Path, out: Path
) -> None:
    """The next run was launched while this one ran (so the ledger gives no bound): its rows
    begin where the steps start over."""
    now = time.time()
    first = launch(root, out, "train-a", now - 100)
    queued = launch(root, out, "train-b", now + 5)
    write(out / METRICS, rows(range(1, 16), run=2), now - 50, append=True)
    first.end(now + 1)
    write(out / METRICS, rows(range(1, 41), run=3), now + 100, append=True)
    p = first.progress()
    assert p is not None and p.step == 15 and p.loss == loss_at(15, run=2)
    assert series_of(first).points == [(s, loss_at(s, run=2)) for s in range(1, 16)]
    q = queued.progress()
    assert q is not None and q.step == 40 and q.first_loss == loss_at(1, run=3)


def test_an_earlier_run_still_writing_when_this_one_started(root: Path, out: Path) -> None:
    """Rows the earlier run appended after this one's launch (it waited in the queue) are cut
    off at the restart; the first loss is this run's."""
    run = launch(root, out, "train-b", T0 + 100)
    write(out / METRICS, rows(range(61, 66), run=1), T0 + 90, append=True)
    write(out / METRICS, rows(range(1, 6), run=2), T0 + 150, append=True)
    p = run.progress()
    assert p is not None and p.step == 5 and p.first_loss == loss_at(1, run=2)
    assert series_of(run).points == [(s, loss_at(s, run=2)) for s in range(1, 6)]


def test_fifty_checkpoints_cost_one_trainer_state_read(
    root: Path, out: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for step in range(70, 510, 10):  # the first run's 50 checkpoints, up to checkpoint-500
        checkpoint(out, step, 500, run=1, at=T0 + 10)
    run = launch(root, out, "train-b", T0 + 100)
    for step in (10, 20, 30):  # this run rewrites the lower ones
        checkpoint(out, step, 1500, run=2, at=T0 + 140 + step)
    read: list[Path] = []
    real = progress.read_state

    def spy(path: Path, notes: list[str], whole: bool = False) -> dict[str, Any] | None:
        read.append(path)
        return real(path, notes, whole)

    monkeypatch.setattr(progress, "read_state", spy)
    p = run.progress()
    assert read == [out / "checkpoint-30" / TRAINER_STATE]
    assert p is not None and (p.step, p.total_steps, p.loss) == (30, 1500, loss_at(30, run=2))


def test_jobs_without_a_baseline(root: Path, out: Path) -> None:
    """A cluster job's output folder is its own fetched copy (no window); a local job launched
    before baselines existed is bounded by its start and end times."""
    cluster = launch(root, out, "train-cloud", T0 + 100)
    (cluster.run_dir / progress_base.BASE).unlink()
    progress_base.runfolder.update_state(cluster.run_dir, phase=None, launch=LaunchPhase.LAUNCHED)
    p = cluster.progress()
    assert p is not None and (p.step, p.total_steps) == (60, 60)
    legacy = launch(root, out, "train-old", T0 + 100)
    (legacy.run_dir / progress_base.BASE).unlink()
    assert legacy.progress() is None
    write(out / TRAINER_STATE, state_text(7, 9, run=2), T0 + 150)
    p = legacy.progress()
    assert p is not None and (p.step, p.total_steps) == (7, 9)


def test_the_plan_warns_of_another_runs_outputs_with_the_fix(project: Path) -> None:
    req = LaunchRequest("train", "train.yaml", str(project))
    assert not any("Warning" in n for n in build_plan(req, preflight=False).plan.notes)
    out = project / "out"  # the config's training.output_dir
    write(out / TRAINER_STATE, state_text(5, 5, run=1), T0)
    checkpoint(out, 5, 5, run=1, at=T0)
    (warning,) = [n for n in build_plan(req, preflight=False).plan.notes if "Warning" in n]
    assert f"{out} already holds another run's outputs" in warning
    assert "trainer_state.json, 1 checkpoint folder(s)" in warning
    fix = json.loads(warning[warning.index("{") : warning.rindex("}") + 1])
    (fresh,) = fix.values()
    assert list(fix) == ["training.output_dir"] and fresh.startswith(f"{out}_")
    req.overrides = fix
    again = build_plan(req, preflight=False).plan
    assert again.output_dir == fresh and not any("Warning" in n for n in again.notes)
    assert progress_base.reuse_notes(str(out), ("output_path",)) == []


def test_odd_baselines_and_ledgers_read_as_none(root: Path, out: Path) -> None:
    run = launch(root, out, "train-b", T0 + 100)
    for text in ("", "[]", '{"launched_at": "x", "files": {}}', '{"launched_at": 5}'):
        (run.run_dir / progress_base.BASE).write_text(text)
        assert progress_base.read_baseline(run.run_dir) is None
    (run.run_dir / progress_base.BASE).write_text(
        json.dumps({"launched_at": T0, "files": {"a": [1, 2], "b": [1, 2, -3], "c": [1, 2, 3]}})
    )
    base = progress_base.read_baseline(run.run_dir)
    assert base is not None and base.files == {"c": (1, 2, 3)} and base.ledger == ""
    ledger = next((root / progress_base.LEDGER_DIR).iterdir())
    later = T0 + 200
    ledger.write_text(
        f'\n{{"at": "x"}}\n[1]\n{{"at": 1e300, "metrics": null}}\nnot json\n'
        f'{{"at": {later}, "metrics": [10, 2, 99]}}\n{{"at": {later}, "metrics": [1, 2]}}\n'
    )
    (run.run_dir / progress_base.BASE).write_text(
        json.dumps({"launched_at": T0, "files": {}, "ledger": ledger.stem})
    )
    win = progress_base.Window(int(T0 * 1e9), int((T0 + 100) * 1e9), None, root)
    win = progress_base.Window(
        win.since_ns, win.until_ns, progress_base.read_baseline(run.run_dir), root
    )
    assert win.size_at_next_launch(7) is None  # no entry for this inode
    assert win.size_at_next_launch(99) == 10
