"""compare_runs over fake finished runs in a real job store: config keys that differ, metrics
with deltas and marks, linked evaluate jobs, headline and ranks, refusals that write nothing."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import pytest

from experiments.compare_fakes import fake_run
from jobs.runfiles import write
from oumi_mcp_server.clusters import follow, runstate
from oumi_mcp_server.core.errors import ServiceError
from oumi_mcp_server.core.paths import state_dir
from oumi_mcp_server.experiments import compare, compare_metrics
from oumi_mcp_server.experiments.compare_models import Comparison
from oumi_mcp_server.jobs import runfolder
from oumi_mcp_server.jobs.record import LAUNCHER_BACKEND, JobRecord
from oumi_mcp_server.jobs.service import JobService
from oumi_mcp_server.jobs.states import LaunchPhase
from oumi_mcp_server.wiring import build_job_service


@pytest.fixture
def service() -> JobService:
    return JobService()


def _row(answer: Comparison, metric: str) -> compare_metrics.MetricRow:
    return next(r for r in answer.metrics if r.metric == metric)


def _reports() -> list[Path]:
    folder = state_dir() / "reports"
    return sorted(folder.iterdir()) if folder.is_dir() else []


def test_two_runs_differing_learning_rate(service: JobService, tmp_path: Path) -> None:
    fake_run(service, tmp_path, "train_a", lr=1e-4, overrides={"training.learning_rate": "1e-4"})
    fake_run(
        service,
        tmp_path,
        "train_b",
        lr=2e-4,
        overrides={"training.learning_rate": "2e-4"},
        evals={"suite": {"accuracy": 0.7, "accuracy_stderr": 0.1, "alias": "x"}},
    )
    fake_run(
        service,
        tmp_path,
        "eval_a",
        command="evaluate",
        trained=False,
        model=str(tmp_path / "train_a" / "out"),
        evals={"suite": {"accuracy": 0.5}, "heldout": {"loss": 2.0, "perplexity": 7.4}},
    )
    got = compare.compare_runs(service, ["train_a", "train_b"])
    assert [r.job_id for r in got.runs] == ["train_a", "train_b"]
    diff = {d.key: d.values for d in got.config_diff}
    assert diff["training.learning_rate"] == ["0.0001", "0.0002"]
    assert "model.model_name" not in diff and "training.max_steps" not in diff
    assert got.runs[0].eval_jobs == ["eval_a"] and got.runs[1].eval_jobs == []
    acc = _row(got, "suite/accuracy")
    assert acc.direction == "higher" and acc.values == [0.5, 0.7]
    assert acc.deltas == [0.0, 0.2] and acc.marks == ["baseline", "better"]
    final = _row(got, "final_loss")
    assert final.direction == "lower" and final.marks == ["baseline", "better"]
    assert final.deltas[1] is not None and final.deltas[1] < 0
    held = _row(got, "heldout/loss")
    assert held.values == [2.0, None] and held.marks == ["baseline", "n/a"]
    assert not any("stderr" in r.metric or "alias" in r.metric for r in got.metrics)
    assert got.metric == "suite/accuracy"  # the first eval metric every run has
    assert [r.rank for r in got.runs] == [2, 1] and got.runs[1].headline == 0.7
    assert "Lower is better" in got.direction_rule
    assert got.curve is not None and len(got.curve.steps) == 8
    assert all(len(v) == 8 and None not in v for v in got.curve.values)
    assert got.runs[0].run_time_s == 60.0 and got.runs[0].cost_usd is None
    assert got.report_path is not None and Path(got.report_path).is_file()
    assert Path(got.report_path).parent == state_dir() / "reports"


def test_baseline_metric_and_ranks(service: JobService, tmp_path: Path) -> None:
    for i, acc in enumerate((0.5, 0.9, 0.7)):
        fake_run(service, tmp_path, f"run{i}", evals={"suite": {"accuracy": acc, "f1": 0.1}})
    got = compare.compare_runs(service, ["run0", "run1", "run2"], metric="f1", baseline="run2")
    assert got.baseline == "run2" and got.metric == "suite/f1"
    acc = _row(got, "suite/accuracy")
    assert acc.marks == ["worse", "better", "baseline"]
    assert acc.deltas == [-0.2, 0.2, 0.0]
    assert [r.rank for r in got.runs] == [1, 1, 1]  # a tie shares the rank
    assert _row(got, "suite/f1").marks == ["same", "same", "baseline"]
    again = compare.compare_runs(service, ["run0", "run1", "run2"], metric="suite/accuracy")
    assert [r.rank for r in again.runs] == [3, 1, 2]


@pytest.mark.parametrize(
    ("ids", "kw", "code"),
    [
        (["run0"], {}, "bad_job_ids"),
        ([f"run{i}" for i in range(21)], {}, "bad_job_ids"),
        (["run0", "run1", "run0"], {}, "duplicate_job_ids"),
        (["run0", "nope", "no/pe"], {}, "unknown_job"),
        (["run0", "run1"], {"baseline": "run9"}, "bad_baseline"),
        (["run0", "run1"], {"metric": "bleu"}, "unknown_metric"),
        (["run0", "run1"], {"metric": "loss"}, "ambiguous_metric"),
    ],
)
def test_refusals_write_nothing(
    service: JobService, tmp_path: Path, ids: list[str], kw: dict[str, str], code: str
) -> None:
    for i in range(2):
        fake_run(service, tmp_path, f"run{i}", evals={"a": {"loss": 1.0}, "b": {"loss": 2.0}})
    with pytest.raises(ServiceError) as err:
        compare.compare_runs(service, ids, **kw)
    assert err.value.code == code and err.value.fix
    assert _reports() == []
    if code == "unknown_job":
        assert err.value.details["unknown"] == ["nope", "no/pe"]
    if code == "unknown_metric":
        assert "a/loss" in err.value.details["available"]


@pytest.mark.parametrize(
    ("model", "linked"),
    [
        ("{out}", True),
        ("{out}/", True),
        ("{out}/checkpoint-5", True),
        ("{out}/../out/merged", True),
        ("train_a/out", True),  # relative to the evaluate job's cwd
        ("{out}_old", False),  # a sibling whose name starts the same
        ("{tmp}/train_a", False),  # the folder above
        ("HuggingFaceTB/SmolLM2-135M", False),
    ],
)
def test_linked_evaluate_jobs(
    service: JobService, tmp_path: Path, model: str, linked: bool
) -> None:
    train = fake_run(service, tmp_path, "train_a")
    shown = model.format(out=train.output_dir, tmp=tmp_path)
    fake_run(
        service, tmp_path, "eval_x", command="evaluate", trained=False, model=shown,
        evals={"suite": {"accuracy": 0.5}},
    )  # fmt: skip
    fake_run(service, tmp_path, "train_b")
    got = compare.compare_runs(service, ["train_a", "train_b"])
    assert (got.runs[0].eval_jobs == ["eval_x"]) is linked
    assert any(r.metric == "suite/accuracy" for r in got.metrics) is linked


def test_linked_by_model_override(service: JobService, tmp_path: Path) -> None:
    train = fake_run(service, tmp_path, "train_a")
    fake_run(
        service, tmp_path, "eval_x", command="evaluate", trained=False, model="some/hub-model",
        overrides={"model.model_name": train.output_dir}, evals={"suite": {"accuracy": 0.5}},
    )  # fmt: skip
    fake_run(service, tmp_path, "train_b")
    got = compare.compare_runs(service, ["train_a", "train_b"])
    assert got.runs[0].eval_jobs == ["eval_x"]


@pytest.mark.parametrize(
    ("name", "way"),
    [
        ("final_loss", "lower"),
        ("heldout/perplexity", "lower"),
        ("mmlu/acc", "higher"),
        ("suite/exact_match", "higher"),
        ("asr/wer", "lower"),
        ("x/word_error_rate", "lower"),
        ("x/bits_per_byte", "lower"),
        ("x/eval_runtime", "lower"),
        ("suite/category.math", "higher"),
        ("x/closs_rate", "lower"),
        ("x/concern", "higher"),  # 'cer' only as a word
    ],
)
def test_direction(name: str, way: str) -> None:
    assert compare_metrics.direction(name) == way


def test_secret_config_values_hidden(service: JobService, tmp_path: Path) -> None:
    cfg = "model:\n  model_name: m\n  api_key: {key}\ntraining:\n  learning_rate: {lr}\n"
    fake_run(service, tmp_path, "a", config=cfg.format(key="sk-1", lr=1e-4))
    fake_run(service, tmp_path, "b", config=cfg.format(key="sk-2", lr="1e-4"))
    got = compare.compare_runs(service, ["a", "b"])
    assert got.config_diff == []  # 1e-4 and 0.0001 are one value; the keys are hidden alike
    assert "sk-" not in got.model_dump_json()
    assert "sk-" not in Path(str(got.report_path)).read_text()


def _cluster_job(service: JobService, job_id: str) -> JobRecord:
    """A launched cluster job (launch.json, state.json) whose outputs were fetched."""
    run_dir = runfolder.create_run_dir(service.root, job_id)
    runstate.write_json_atomic(
        run_dir / runstate.LAUNCH, {"cloud": "fake", "cluster": "c1", "fetch_outputs": False}
    )
    now = time.time()
    runstate.update(
        run_dir, launch=LaunchPhase.LAUNCHED, launcher_job_id="7", launched_at=now - 7200
    )
    state = {"global_step": 3, "log_history": [{"loss": 1.0, "step": s} for s in (1, 2, 3)]}
    write(run_dir / runstate.OUTPUTS / "trainer_state.json", json.dumps(state), now - 4000)
    rec = JobRecord(
        id=job_id, name=job_id, command="train", backend=LAUNCHER_BACKEND, backend_job_id=job_id,
        submitted_at=now - 7300, run_dir=str(run_dir), cluster="c1",
        output_dir=str(run_dir / runstate.OUTPUTS), extra={"cloud": "fake"},
    )  # fmt: skip
    service.store.insert(rec)
    return rec


def test_cost_of_a_cluster_job(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The price the launcher reports is kept in the job's final record; compare_runs shows
    price x run time for it, and no cost for a local job."""
    service = build_job_service()
    fake_run(service, tmp_path, "local_a")
    rec = _cluster_job(service, "cloud_b")
    done = follow.Remote(time.time() - 3600, "succeeded", "SUCCEEDED", done=True)
    done.cost_per_hour = 1.25
    monkeypatch.setattr(follow, "_query", lambda ident: done)
    monkeypatch.setattr(follow.logsnap, "refresh_logs", lambda rec: False)  # no oumi import
    assert follow.Follower().reconcile(rec) == "completed"
    final = json.loads((Path(rec.run_dir) / follow.FINAL).read_text())
    assert final["cost_per_hour"] == 1.25
    got = compare.compare_runs(service, ["local_a", "cloud_b"])
    assert got.runs[1].run_time_s == pytest.approx(3600, abs=1)
    assert got.runs[1].cost_usd == pytest.approx(1.25, abs=0.001)
    assert got.runs[0].cost_usd is None and got.runs[1].final_loss == 1.0


def test_twenty_runs_answer_bounded_report_complete(service: JobService, tmp_path: Path) -> None:
    ids = []
    for i in range(20):
        cfg = "".join(f"k{j}:\n  v: {i * j}\n" for j in range(30))
        evals = {f"task{t}": {f"metric_{m}": i + m / 10 for m in range(6)} for t in range(4)}
        ids.append(fake_run(service, tmp_path, f"run{i:02d}", config=cfg, evals=evals).id)
    got = compare.compare_runs(service, ids)
    assert len(got.model_dump_json()) <= compare.MAX_ANSWER_BYTES
    assert got.metrics_truncated and got.config_diff_truncated
    assert len(got.runs) == 20 and any(r.metric == got.metric for r in got.metrics)
    html = Path(str(got.report_path)).read_text()
    assert len(re.findall(r"<tr><th>k\d+\.v</th>", html)) == 29  # k0.v is 0 in every run
    assert "task3/metric_5" in html


def test_runs_without_evidence(service: JobService, tmp_path: Path) -> None:
    fake_run(service, tmp_path, "a", trained=False)
    fake_run(service, tmp_path, "b", trained=False)
    got = compare.compare_runs(service, ["a", "b"])
    assert got.metric is None and got.metrics == [] and got.curve is None
    assert any("no training log" in n for n in got.notes)
    assert compare.compare(service, ["a", "b"]).loss_png() is None


def test_kept_evidence_follows_the_files(service: JobService, tmp_path: Path) -> None:
    """A second comparison reuses what it read only while the files are unchanged: a new
    evaluation, a new linked evaluate job or a rewritten trainer state shows at once."""
    a = fake_run(service, tmp_path, "a")
    fake_run(service, tmp_path, "b")
    first = compare.compare_runs(service, ["a", "b"])
    report = Path(str(first.report_path))
    stamp = report.stat().st_mtime_ns
    assert compare.compare_runs(service, ["a", "b"]) == first
    assert report.stat().st_mtime_ns == stamp  # same answer, same series: not rewritten
    out = Path(a.output_dir)
    task = out / "custom_20261204_130000" / "task_result.json"
    write(task, json.dumps({"results": {"suite": {"accuracy": 0.25}}}), time.time() - 250)
    second = compare.compare_runs(service, ["a", "b"])
    assert _row(second, "suite/accuracy").values == [0.25, None]
    assert "suite/accuracy" in report.read_text()
    fake_run(
        service, tmp_path, "eval_a", command="evaluate", trained=False, model=a.output_dir,
        evals={"held": {"loss": 1.5}},
    )  # fmt: skip
    third = compare.compare_runs(service, ["a", "b"])
    assert third.runs[0].eval_jobs == ["eval_a"] and _row(third, "held/loss").values[0] == 1.5
    state = json.loads((out / "trainer_state.json").read_text())
    state["log_history"][0]["loss"] = 0.125
    write(out / "trainer_state.json", json.dumps(state), time.time() - 250)
    fourth = compare.compare_runs(service, ["a", "b"])
    assert fourth.runs[0].best_loss == 0.125


def test_the_default_headline_is_a_metric_that_tells_the_runs_apart(
    service: JobService, tmp_path: Path
) -> None:
    """A suite every run scores 0 on ranks nothing: the default moves to one that differs."""
    for i, loss in enumerate((2.0, 1.5)):
        fake_run(
            service,
            tmp_path,
            f"run{i}",
            evals={"suite": {"accuracy": 0.0}, "heldout": {"loss": loss}},
        )
    got = compare.compare_runs(service, ["run0", "run1"])
    assert got.metric == "heldout/loss" and [r.rank for r in got.runs] == [2, 1]
