"""Progress from trainer_state.json, metrics_rank0000.jsonl, tqdm bars and logged metric dicts."""

from __future__ import annotations

import json
import time
from pathlib import Path

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
