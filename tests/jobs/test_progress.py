"""Progress from trainer_state.json, metrics_rank0000.jsonl, tqdm bars and logged metric dicts."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jobs.odd_values import FILE_TEXT, JSONL_TEXT, assert_sane_number, write_job_files
from oumi_mcp_server.jobs import progress


def test_trainer_state_of_latest_checkpoint(tmp_path: Path) -> None:
    for step in (2, 10):
        ck = tmp_path / f"checkpoint-{step}"
        ck.mkdir()
        (ck / "trainer_state.json").write_text(
            json.dumps(
                {
                    "global_step": step,
                    "max_steps": 20,
                    "epoch": step / 20,
                    "log_history": [
                        {"loss": 3.0, "step": 1},
                        {"loss": 2.0 - step / 100, "step": step},
                    ],
                }
            )
        )
    p = progress.parse(tmp_path, [], time.time() - 10, running=True)
    assert p is not None and p.step == 10 and p.total_steps == 20 and p.fraction == 0.5
    assert p.loss == 1.9 and p.first_loss == 3.0 and p.eta_s is not None and p.eta_s > 0


def test_metrics_jsonl_wins_when_newer(tmp_path: Path) -> None:
    (tmp_path / "trainer_state.json").write_text(json.dumps({"global_step": 4, "max_steps": 8}))
    rows = [
        {"loss": 2.5, "step": 2},
        {"loss": 2.1, "step": 4},
        {"eval_loss": 2.0, "step": 4},
        {"loss": 1.5, "step": 6, "epoch": 0.75},
    ]
    (tmp_path / "metrics_rank0000.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    p = progress.parse(tmp_path, [], None, running=False)
    assert p is not None and p.step == 6 and p.total_steps == 8 and p.loss == 1.5
    assert p.first_loss == 2.5 and p.epoch == 0.75 and "metrics_rank0000.jsonl" in p.sources


def test_tqdm_and_metric_dicts_in_logs(tmp_path: Path) -> None:
    err = tmp_path / "stderr.log"
    err.write_text(
        "Map: 100%|##| 64/64 [00:00<00:00]\n"
        " 30%|###       | 3/10 [00:03<00:07,  1.00it/s]"
        "\r 40%|####      | 4/10 [00:04<00:06,  1.0it/s]"
    )
    out = tmp_path / "stdout.log"
    out.write_text(
        "{'loss': 3.2, 'grad_norm': 1.0, 'epoch': 0.1}\n{'loss': '2.75', 'epoch': 0.4}\n"
    )
    p = progress.parse(None, [err, out], time.time(), running=True)
    assert p is not None and p.step == 4 and p.total_steps == 10 and p.fraction == 0.4
    assert p.eta_s == 6 and p.loss == 2.75 and p.first_loss == 3.2 and p.epoch == 0.4


def test_nothing_to_parse(tmp_path: Path) -> None:
    assert progress.parse(tmp_path, [tmp_path / "missing.log"], None, running=True) is None


def test_labelled_bars_before_training_are_not_steps(tmp_path: Path) -> None:
    """Weight-loading bars print before the trainer's; they must not pass for 20/20 steps."""
    out = tmp_path / "stdout.log"
    out.write_text("Loading weights: 100%|##########| 20/20 [00:00<00:00, 900it/s]\n")
    err = tmp_path / "stderr.log"
    err.write_text(
        "Writing model shards: 100%|##| 1/1 [00:00<00:00]\n"
        "  8%|8         | 5/60 [00:02<00:22,  2.5it/s]\n"
    )
    p = progress.parse(None, [err, out], time.time(), running=True)
    assert p is not None and (p.step, p.total_steps) == (5, 60)


def _check(p: progress.JobProgress | None) -> None:
    if p is None:
        return
    for name in ("step", "total_steps"):
        assert_sane_number(getattr(p, name), integer=True)
    for name in ("loss", "first_loss", "epoch", "eta_s", "fraction"):
        assert_sane_number(getattr(p, name))
    assert p.fraction is None or 0.0 <= p.fraction <= 1.0
    assert len(p.notes) <= progress.MAX_NOTES
    json.dumps(p.model_dump(mode="json"), allow_nan=False)  # what the API and the dashboard send


def test_fuzzed_job_files_never_break_parsing(tmp_path: Path) -> None:
    """Whatever trainer_state.json and the metrics file hold: no exception, finite or None."""
    out = tmp_path / "out"
    log = tmp_path / "stderr.log"

    @settings(max_examples=300, deadline=None, derandomize=True)
    @given(
        state=st.none() | FILE_TEXT,
        metrics=st.none() | JSONL_TEXT,
        checkpoint=st.booleans(),
        log_text=st.sampled_from(["", " 5/10 [00:01<00:02]", "9" * 5000 + "/3 [00:01<00:02]"]),
        running=st.booleans(),
    )
    def check(
        state: str | None, metrics: str | None, checkpoint: bool, log_text: str, running: bool
    ) -> None:
        write_job_files(out, state, metrics, checkpoint)
        log.write_text(log_text + "\n{'loss': " + "9" * 5000 + "}\n")
        _check(progress.parse(out, [log], time.time() - 5, running=running))

    check()


@pytest.mark.parametrize(
    ("state", "note_about"),
    [
        ('{"global_step": "abc", "max_steps": 10}', "global_step"),
        ('{"global_step": 3, "max_steps": 1e400}', "max_steps"),
        ('{"global_step": 3, "max_steps": ' + "9" * 5000 + "}", "not valid JSON"),
        ('{"global_step": {"a": 1}, "max_steps": [1]}', "global_step"),
        ('{"global_step": 2, "log_history": [{"loss": NaN}, {"loss": "x"}]}', "loss"),
    ],
)
def test_one_bad_value_is_unknown_with_a_note(tmp_path: Path, state: str, note_about: str) -> None:
    (tmp_path / "trainer_state.json").write_text(state)
    p = progress.parse(tmp_path, [], None, running=False)
    _check(p)
    assert p is not None and any(note_about in n for n in p.notes), p


def test_special_files_a_job_left_are_not_opened(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "trainer_state.json")
    os.mkfifo(tmp_path / "metrics_rank0000.jsonl")
    os.mkfifo(tmp_path / "stderr.log")
    (tmp_path / "checkpoint-3").mkdir()
    (tmp_path / "checkpoint-3" / "trainer_state.json").mkdir()
    p = progress.parse(tmp_path, [tmp_path / "stderr.log"], None, running=True)  # no hang
    assert p is not None and p.step is None and p.loss is None and not p.sources
    assert any("FIFO" in n for n in p.notes) and any("directory" in n for n in p.notes)
    long_dir = tmp_path / ("d" * 300)
    assert progress.parse(long_dir, [long_dir / "x.log"], None, running=True) is None


def test_steps_and_numbers_are_bounded() -> None:
    assert [progress.count(v) for v in (3, 3.0, "12", True, -1, 2**70, 1e400, "٣", "1" * 20)] == [
        3,
        3,
        12,
        None,
        None,
        None,
        None,
        None,
        None,
    ]
    assert [progress.finite(v) for v in (5e-324, "2.5", 10**400, "nan", [1], False)] == [
        5e-324,
        2.5,
        None,
        None,
        None,
        None,
    ]


def _bar(step: int, total: int) -> str:
    """The trainer's tqdm bar as transformers draws it (no label)."""
    done = step * 10 // total
    left, spent = (total - step) % 60, step % 60
    pct = f"{step * 100 // total:3d}%|{'#' * done:<10}|"
    return f"{pct} {step}/{total} [00:{spent:02d}<00:{left:02d}, 2.00it/s]"


def test_labelled_bars_are_never_training_steps(tmp_path: Path) -> None:
    """Loader bars print before the trainer's: "Loading weights 20/20" read as 100 % before
    step 1 (and as "step 20/2" for infer). Only the trainer's unlabelled bar counts."""
    err, out = tmp_path / "stderr.log", tmp_path / "stdout.log"
    err.write_text(
        "Generating train split: 64 examples [00:00, 6762.11 examples/s]\n"
        "Map (num_proc=4): 100%|##########| 64/64 [00:00<00:00, 900 examples/s]\n"
        "Loading weights:   0%|          | 0/20 [00:00<?, ?it/s]\r"
        "Loading weights: 100%|##########| 20/20 [00:00<00:00, 9942.64it/s]\n"
        "Generating Model Responses: 100%|##########| 2/2 [00:00<00:00, 42.55it/s]\n"
    )
    out.write_text("Loading weights: 100%|##########| 20/20 [00:00<00:00, 900it/s]\n")
    assert progress.parse(None, [err, out], time.time(), running=True) is None
    with err.open("a") as fh:
        fh.write(f"\r{_bar(0, 60)}\r{_bar(1, 60)}\r\x1b[A{_bar(2, 60)}\n")
        fh.write("Writing model shards: 100%|##########| 1/1 [00:00<00:00, 204.00it/s]\n")
    p = progress.parse(None, [err, out], time.time(), running=True)
    assert p is not None and (p.step, p.total_steps) == (2, 60)


def test_an_evaluation_bar_does_not_pass_for_training(tmp_path: Path) -> None:
    """transformers' evaluation bar has no label either: the bar whose total is the trainer
    state's step count wins, and a bar never counts past its own total."""
    (tmp_path / "trainer_state.json").write_text(json.dumps({"global_step": 10, "max_steps": 60}))
    err = tmp_path / "stderr.log"
    err.write_text(f"{_bar(12, 60)}\n{_bar(3, 8)}\r{_bar(4, 8)}\r 5/3 [00:01<00:01]")
    p = progress.parse(tmp_path, [err], time.time() - 5, running=True)
    assert p is not None and (p.step, p.total_steps) == (12, 60)


def test_a_megabyte_progress_bar_line_still_shows_progress(tmp_path: Path) -> None:
    """tqdm redraws one line with \\r: after ~900 redraws it is longer than the 64 KB tail, and
    progress vanished. The line's end (its last state) is what counts."""
    err = tmp_path / "stderr.log"
    redraws = "\r".join(_bar(i // 22 + 1, 1500) for i in range(22 * 1000))  # 22 per step
    err.write_text("Loading weights: 100%|##| 20/20 [00:00<00:00]\n" + redraws)
    assert err.stat().st_size > 1_000_000
    p = progress.parse(None, [err], time.time() - 60, running=True)
    assert p is not None and (p.step, p.total_steps) == (1000, 1500) and p.eta_s is not None


def test_steps_never_exceed_the_total(tmp_path: Path) -> None:
    (tmp_path / "trainer_state.json").write_text(json.dumps({"global_step": 4, "max_steps": 10}))
    rows = [{"loss": 2.0, "step": 12}]
    (tmp_path / "metrics_rank0000.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    p = progress.parse(tmp_path, [], None, running=False)
    assert p is not None and p.step == 12 and p.total_steps is None and p.fraction is None
    assert any("past the total" in n for n in p.notes)


def test_a_large_trainer_state_is_read_by_its_ends(tmp_path: Path) -> None:
    """A long run's trainer state is megabytes (45 MB over 50 checkpoints cost 1.2 s a
    status): a status reads its first and last 64 KB; the numbers are those of a full parse."""
    from jobs.runfiles import trainer_state

    path = tmp_path / "trainer_state.json"
    path.write_text(trainer_state(3000, 4000, run=1))
    assert path.stat().st_size > 2 * progress.FULL_PARSE_BYTES
    whole = progress.read_state(path, [], whole=True)
    ends = progress.read_state(path, [])
    assert whole is not None and ends is not None
    for key in ("global_step", "max_steps", "epoch"):
        assert ends[key] == whole[key]
    history, full = progress.loss_rows(ends), progress.loss_rows(whole)
    assert history[0] == full[0] and history[-1] == full[-1] and len(history) < len(full) // 5
    p = progress.parse(tmp_path, [], None, running=False)
    assert p is not None and (p.step, p.total_steps) == (3000, 4000)
    assert p.first_loss == full[0]["loss"] and p.loss == full[-1]["loss"]
    path.write_text(json.dumps({"x": "y" * 2 * progress.FULL_PARSE_BYTES}))  # compact: unknown
    notes: list[str] = []
    assert progress.read_state(path, notes) == {"log_history": []} and notes
