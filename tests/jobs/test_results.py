"""get_results over fake output folders of the shapes oumi writes: trainer_state.json's
log_history, task_result.json of each evaluation backend, predictions jsonl, checkpoints."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

import pytest

from oumi_mcp_server.core.errors import ServiceError
from oumi_mcp_server.jobs import progress_base as base
from oumi_mcp_server.jobs import results
from oumi_mcp_server.jobs.record import JobRecord
from oumi_mcp_server.jobs.service import JobService

HISTORY = [
    {"loss": 3.0, "step": 1, "epoch": 0.1, "num_tokens": 100.0},
    {"loss": 1.5, "step": 2, "epoch": 0.2, "num_tokens": 200.0},
    {"eval_loss": 1.9, "step": 2, "epoch": 0.2},
    {"loss": 1.7, "step": 3, "epoch": 0.3, "num_tokens": 300.0},
    {
        "train_runtime": 10.0,
        "train_samples_per_second": 4.5,
        "train_steps_per_second": 0.3,
        "train_loss": 2.07,
        "step": 3,
        "epoch": 0.3,
    },
]


def _json(path: Path, data: Any) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data))
    return path


def _record(tmp_path: Path, out: Path, command: str = "train", **kw: Any) -> JobRecord:
    run_dir = tmp_path / "run"
    run_dir.mkdir(exist_ok=True)
    config = run_dir / "config.yaml"
    config.write_text("model:\n  model_name: tiny\ntraining:\n  learning_rate: 0.001\n")
    fields: dict[str, Any] = {
        "id": f"{command}_1",
        "name": command,
        "command": command,
        "backend": "local",
        "backend_job_id": "1",
        "submitted_at": 0.0,
        "run_dir": str(run_dir),
        "output_dir": str(out),
        "config_path": str(config),
        "cwd": str(tmp_path),
    }
    return JobRecord(**(fields | kw))


def _trained(out: Path) -> None:
    _json(
        out / "trainer_state.json",
        {"global_step": 3, "max_steps": 3, "epoch": 0.3, "log_history": HISTORY},
    )
    (out / "model.safetensors").write_bytes(b"w" * 1000)
    (out / "adapter_model.safetensors").write_bytes(b"a" * 10)
    (out / "adapter_config.json").write_text("{}")
    for step in (2, 3):
        ckpt = out / f"checkpoint-{step}"
        _json(ckpt / "trainer_state.json", {"global_step": step, "log_history": HISTORY[:step]})
        (ckpt / "model.safetensors").write_bytes(b"c" * 50)


def test_training_summary_and_artifacts(tmp_path: Path) -> None:
    out = tmp_path / "out"
    _trained(out)
    _json(
        out / "telemetry" / "telemetry_callback_rank0000.json",
        {"gpu_memory": [{"allocated": 10.0, "reserved": 20.0}, {"allocated": 5, "reserved": 99.5}]},
    )
    argv = ["oumi", "train", "--training.max_steps", "3", "--model.model_kwargs.hf_token", "hf_s"]
    got = results.collect(_record(tmp_path, out, argv=argv), "completed", base.Window())
    t = got.training
    assert t is not None
    assert (t.step, t.total_steps, t.epoch) == (3, 3, 0.3)
    assert (t.first_loss, t.final_loss, t.best_loss, t.best_loss_step) == (3.0, 1.7, 1.5, 2)
    assert t.final_eval_loss == 1.9 and t.train_loss == 2.07 and t.wall_time_s == 10.0
    assert t.samples_per_second == 4.5 and t.tokens_seen == 300 and t.tokens_per_second == 30.0
    assert t.peak_memory_mib == 99.5
    kinds = {(a.kind, a.files, a.size_bytes) for a in got.artifacts}
    assert ("model", 1, 1000) in kinds and ("adapter", 2, 12) in kinds
    ckpts = [a.path for a in got.artifacts if a.kind == "checkpoint"]
    assert ckpts == [str(out / "checkpoint-3"), str(out / "checkpoint-2")]
    assert got.config is not None and got.config.values["training.learning_rate"] == "0.001"
    assert got.config.values["training.max_steps"] == "3"  # the override the run was given
    assert "hf_s" not in got.model_dump_json()


def test_only_this_runs_evidence(tmp_path: Path) -> None:
    """Files an earlier run left in the shared output folder are not this run's results."""
    out = tmp_path / "out"
    _trained(out)
    old = time.time() - 3600
    for path in out.rglob("*"):
        os.utime(path, (old, old))
    win = base.Window(since_ns=int((old + 60) * 1e9))
    got = results.collect(_record(tmp_path, out), "completed", win)
    assert got.training is None and got.artifacts == []
    assert any("earlier run" in n for n in got.notes)


def test_evaluation_metrics_of_every_backend(tmp_path: Path) -> None:
    out = tmp_path / "eval"
    _json(
        out / "lm_harness_20260101_120000" / "task_result.json",
        {
            "results": {"mmlu": {"alias": "mmlu", "acc,none": 0.25, "acc_stderr,none": 0.01}},
            "start_time": "20260101_120000",
            "duration_sec": 12.5,
        },
    )
    custom = out / "custom_20260101_130000_1"
    _json(
        custom / "task_result.json",
        {"results": {"prompt_suite": {"exact": 0.8, "by_category": {"math": 1.0}, "n": 10}}},
    )
    _json(custom / "task_params.json", {"evaluation_backend": "custom"})
    _json(out / "odd" / "task_result.json", {"results": {"t": {"score": 1}}})
    (out / "broken_20260101_140000").mkdir()
    (out / "broken_20260101_140000" / "task_result.json").write_text("{not json")
    got = results.collect(_record(tmp_path, out, command="evaluate"), "completed", base.Window())
    by_task = {e.task: e for e in got.evaluation}
    assert by_task["mmlu"].backend == "lm_harness" and by_task["mmlu"].duration_s == 12.5
    assert by_task["mmlu"].metrics == {"acc,none": 0.25, "acc_stderr,none": 0.01}
    suite = by_task["prompt_suite"]
    assert suite.backend == "custom"
    assert suite.metrics == {"exact": 0.8, "by_category.math": 1.0, "n": 10.0}
    assert by_task["t"].backend == "unknown"
    assert any("not an oumi task result" in n for n in got.notes)


def test_a_task_result_linked_from_elsewhere_is_not_this_runs(tmp_path: Path) -> None:
    """A link in the output folder (to a file or a folder outside it) is skipped with a note; a
    linked output folder itself is fine (its contents are the run's)."""
    elsewhere = tmp_path / "elsewhere"
    _json(elsewhere / "task_result.json", {"results": {"stolen": {"score": 1}}})
    real_out = tmp_path / "scratch" / "eval"
    _json(real_out / "custom_1" / "task_result.json", {"results": {"mine": {"score": 2}}})
    (real_out / "custom_2").mkdir()
    (real_out / "custom_2" / "task_result.json").symlink_to(elsewhere / "task_result.json")
    (real_out / "custom_3").symlink_to(elsewhere)
    out = tmp_path / "out"
    out.symlink_to(real_out)
    got = results.collect(_record(tmp_path, out, command="evaluate"), "completed", base.Window())
    assert [e.task for e in got.evaluation] == ["mine"]
    assert sum("links outside the run" in n for n in got.notes) == 2


def test_inference_outputs(tmp_path: Path) -> None:
    out = tmp_path / "preds"
    out.mkdir()
    rows = [json.dumps({"messages": [{"role": "assistant", "content": "x" * 1000}]})] * 10
    (out / "predictions.jsonl").write_text("\n".join(rows) + "\n")
    rec = _record(tmp_path, out, command="infer", argv=["--output_path", "preds/predictions.jsonl"])
    got = results.collect(rec, "completed", base.Window())
    inf = got.inference
    assert inf is not None and inf.lines == 10 and inf.lines_counted_exactly
    assert inf.path == str(out / "predictions.jsonl")
    assert len(inf.examples) == results.MAX_EXAMPLES
    assert all(len(e) <= results.EXAMPLE_CHARS + 40 for e in inf.examples)


@pytest.mark.parametrize(
    ("command", "argv"),
    [
        ("judge", ["judge", "dataset", "-c", "j.yaml", "--output", "preds/judged.jsonl"]),
        ("synth", ["--output_path", "preds/judged.jsonl"]),
    ],
)
def test_judge_and_synth_rows(tmp_path: Path, command: str, argv: list[str]) -> None:
    """A judge run's rows are in its --output file (no config key names it), synth's in
    output_path: get_results shows them as it does an infer run's predictions."""
    out = tmp_path / "preds"
    out.mkdir()
    (out / "judged.jsonl").write_text('{"judgment": "yes"}\n' * 3)
    rec = _record(tmp_path, out, command=command, argv=argv)
    inf = results.collect(rec, "completed", base.Window()).inference
    assert inf is not None and inf.lines == 3 and inf.path == str(out / "judged.jsonl")
    assert inf.examples == ['{"judgment": "yes"}'] * 3


def test_cluster_job_says_fetch_needed(tmp_path: Path) -> None:
    rec = _record(tmp_path, Path("/remote/out"), backend="launcher")
    got = results.collect(rec, "completed", base.Window())
    assert got.fetch_needed and "fetch_outputs" in got.notes[0]
    (Path(rec.run_dir) / "outputs").mkdir()
    _trained(Path(rec.run_dir) / "outputs")
    got = results.collect(rec, "completed", base.Window())
    assert not got.fetch_needed and got.training is not None and got.training.step == 3


def test_answer_bounded(tmp_path: Path) -> None:
    out = tmp_path / "big"
    _trained(out)
    for i in range(40):
        metrics = {f"metric_{j}_{'m' * 60}": j / 7 for j in range(30)}
        _json(
            out / f"custom_20260101_1200{i:02d}" / "task_result.json",
            {"results": {f"task_{i}_{'t' * 70}": metrics}},
        )
    for i in range(30):
        (out / f"checkpoint-{i + 10}").mkdir()
    got = results.collect(_record(tmp_path, out), "completed", base.Window())
    assert len(got.model_dump_json()) <= results.MAX_ANSWER_BYTES
    assert got.evaluation_truncated and got.artifacts_truncated
    assert all(len(e.metrics) <= results.MAX_METRICS for e in got.evaluation)


def test_unknown_job(isolated_env: Path) -> None:
    with pytest.raises(ServiceError) as err:
        results.get_results(JobService(), "train_nope")
    assert err.value.code == "unknown_job"
