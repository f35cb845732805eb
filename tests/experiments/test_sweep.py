"""SweepService on real local jobs running a fast stand-in `oumi`: one plan and one token for
every point, replay and tampering refused with nothing started, a crash mid-launch keeps track,
cancel mid-way stops everything (pids checked) and marks unfinished points cancelled."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from jobs.jobhelpers import alive_in_group, job_pids, kill_jobs, make_project, wait_until
from oumi_mcp_server.core.errors import ServiceError
from oumi_mcp_server.experiments import sweep_plan
from oumi_mcp_server.experiments.sweep import SweepService
from oumi_mcp_server.experiments.sweep_models import Distribution, RandomSearch
from oumi_mcp_server.experiments.sweep_plan import PLAN_ID, SweepRequest, binding, build_sweep
from oumi_mcp_server.experiments.sweep_store import PointState
from oumi_mcp_server.jobs.queue import MAX_JOBS_ENV
from oumi_mcp_server.wiring import build_job_service

LR = "training.learning_rate"


@pytest.fixture(autouse=True)
def _stop_job_processes(isolated_env: Path) -> Iterator[None]:
    yield
    kill_jobs(Path(os.environ["OUMI_MCP_STATE_DIR"]))


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv(MAX_JOBS_ENV, "1")
    return make_project(tmp_path, monkeypatch)


@pytest.fixture
def sweeps() -> SweepService:
    return SweepService(build_job_service())


def _req(project: Path, **kw: Any) -> SweepRequest:
    base: dict[str, Any] = {
        "config": "train.yaml",
        "client_cwd": str(project),
        "metric": "final_loss",
        "grid": {LR: [1e-4, 3e-4, 1e-3]},
    }
    return SweepRequest(**(base | kw))


def _bind(sweeps: SweepService, req: SweepRequest) -> dict[str, Any]:
    built = build_sweep(sweeps.jobs, req, PLAN_ID, sweeps.store.root / PLAN_ID, preflight=False)
    return binding(sweeps.jobs, built)


def _code(fn: Any, *args: Any) -> str:
    with pytest.raises(ServiceError) as err:
        fn(*args)
    return err.value.code


def test_one_plan_names_every_point_and_starts_nothing(sweeps: SweepService, project: Path) -> None:
    offer = sweeps.run(_req(project, job_name="lr"), None)
    assert not offer.launched and offer.confirm_token and offer.plan is not None
    plan = offer.plan
    assert plan.jobs == 3 and [p.overrides for p in plan.points] == [
        {LR: 1e-4},
        {LR: 3e-4},
        {LR: 1e-3},
    ]
    assert plan.output_dir == str(project / "out" / "<sweep_id>" / "p<i>")
    assert plan.job_name == "lr-<sweep_id>-p<i>"
    assert "queue" in plan.placement and plan.mode == "min"
    assert not any("metric" in n for n in plan.notes)
    typo = sweeps.run(_req(project, metric="final_los"), None).plan
    assert typo is not None and any("'final_los' is not a training metric" in n for n in typo.notes)
    assert sweeps.jobs.store.count() == 0 and not sweeps.store.root.exists()


def test_binding_changes_when_any_point_or_the_job_count_changes(
    sweeps: SweepService, project: Path
) -> None:
    first = _bind(sweeps, _req(project))
    assert first == _bind(sweeps, _req(project))  # deterministic: the second call matches
    changed = [
        _req(project, grid={LR: [1e-4, 3e-4, 2e-3]}),  # one point's value
        _req(project, grid={LR: [1e-4, 3e-4]}),  # the job count
        _req(project, grid={LR: [1e-4, 3e-4, 1e-3], "training.max_steps": [5]}),
        _req(project, overrides={"training.max_steps": 7}),
        _req(project, job_name="other"),
        _req(project, envs={"FAKE_STEPS": "3"}),
        _req(project, metric="best_loss"),  # the plan showed, and the record keeps, the metric
        _req(project, mode="max"),
    ]
    for req in changed:
        assert _bind(sweeps, req) != first, req
    (project / "train.yaml").write_text((project / "train.yaml").read_text() + "# edit\n")
    assert _bind(sweeps, _req(project)) != first


def test_binding_covers_the_eval_config_and_what_each_point_evaluates(
    sweeps: SweepService, project: Path
) -> None:
    (project / "eval.yaml").write_text(yaml.safe_dump({"tasks": [{"task_name": "a"}]}))
    first = _bind(sweeps, _req(project, evaluate="eval.yaml"))
    assert first != _bind(sweeps, _req(project))
    assert all("runner" in p for p in first["points"])
    (project / "eval.yaml").write_text(yaml.safe_dump({"tasks": [{"task_name": "b"}]}))
    assert _bind(sweeps, _req(project, evaluate="eval.yaml")) != first


def test_replayed_or_altered_token_starts_nothing(sweeps: SweepService, project: Path) -> None:
    req = _req(project, envs={"FAKE_STEPS": "1"})
    token = sweeps.run(req, None).confirm_token
    altered = _req(project, grid={LR: [1e-4, 3e-4, 2e-3]}, envs={"FAKE_STEPS": "1"})
    assert _code(sweeps.run, altered, token) == "confirm_token_mismatch"
    assert sweeps.jobs.store.count() == 0
    done = sweeps.run(req, token)
    assert done.launched and done.sweep_id and done.sweep_id.startswith("sweep-")
    assert [j.status for j in done.jobs] == [PointState.SUBMITTED] * 3
    assert _code(sweeps.run, req, token) == "confirm_token_used"
    assert sweeps.jobs.store.count() == 3
    assert len(list(sweeps.store.root.iterdir())) == 1


def test_sweep_runs_and_ranks_by_the_metric(sweeps: SweepService, project: Path) -> None:
    req = _req(project, envs={"FAKE_STEPS": "2", "FAKE_DELAY": "0"}, job_name="rank")
    done = sweeps.run(req, sweeps.run(req, None).confirm_token)
    assert done.sweep_id is not None
    for job in done.jobs:
        rec = sweeps.jobs.record(str(job.job_id))
        assert rec.name == f"rank-{done.sweep_id}-p{job.index}"
        assert rec.output_dir == str(project / "out" / done.sweep_id / f"p{job.index}")
        assert f"--{LR}" in rec.argv
    view = wait_until(lambda: sweeps.get(str(done.sweep_id)), lambda v: v.status != "running")
    assert view.status == "completed" and view.counts == {"completed": 3}
    # The stand-in oumi writes no trainer_state.json: nothing to rank by, each point says so.
    assert all(p.rank is None and p.note for p in view.points)


def test_crash_mid_launch_keeps_track_of_every_point(
    sweeps: SweepService, project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    req = _req(project, envs={"FAKE_STEPS": "1", "FAKE_DELAY": "0"})
    token = sweeps.run(req, None).confirm_token
    real = sweeps.jobs.launch_approved
    calls: list[int] = []

    def crash_on_second(built: Any) -> Any:
        calls.append(1)
        if len(calls) == 2:
            real(built)  # the job is stored, then the server dies before noting it
            raise KeyboardInterrupt
        return real(built)

    monkeypatch.setattr(sweeps.jobs, "launch_approved", crash_on_second)
    with pytest.raises(KeyboardInterrupt):
        sweeps.run(req, token)
    (sweep_id,) = [p.name for p in sweeps.store.root.iterdir()]
    stored = sweeps.store.get(sweep_id)
    assert [p.state for p in stored.points] == [PointState.SUBMITTED, "not_started", "not_started"]
    view = sweeps.get(sweep_id)
    by_index = {p.index: p for p in view.points}
    assert by_index[1].job_id is not None  # found again by its job name
    assert by_index[2].job_id is None and by_index[2].status == "not_started"
    assert view.status == "running" and "being submitted" in view.notes[0]  # we still live
    sweeps.store.update(sweep_id, lambda r: setattr(r, "launcher_pid", 2**22 + 1))
    after = sweeps.get(sweep_id)
    assert "interrupted" in after.notes[0] and after.counts["not_started"] == 1
    wait_until(lambda: sweeps.get(sweep_id).status, lambda s: s == "partial")  # 2 of 3 ran
    assert sweeps.cancel(sweep_id).confirm_token  # the point never started can be cancelled


def test_cancel_mid_way_stops_every_point_and_leaves_no_process(
    sweeps: SweepService, project: Path, tmp_path: Path
) -> None:
    gate = tmp_path / "never"
    req = _req(project, envs={"FAKE_GATE": str(gate)})
    done = sweeps.run(req, sweeps.run(req, None).confirm_token)
    sweep_id = str(done.sweep_id)
    wait_until(lambda: sweeps.get(sweep_id).counts, lambda c: c == {"running": 1, "queued": 2})
    state_root = Path(os.environ["OUMI_MCP_STATE_DIR"])
    running = next(p for p in sweeps.get(sweep_id).points if p.status == "running")
    state = json.loads(
        (Path(sweeps.jobs.record(str(running.job_id)).run_dir) / "state.json").read_text()
    )
    job_group = int(state["pgid"])
    assert job_pids(state_root) and alive_in_group(job_group)
    offer = sweeps.cancel(sweep_id)
    assert offer.confirm_token and not offer.cancelled and "3 point job(s)" in offer.message
    assert sweeps.get(sweep_id).counts == {"running": 1, "queued": 2}  # nothing stopped yet
    assert _code(sweeps.cancel, sweep_id, True, offer.confirm_token) == "confirm_token_mismatch"
    res = sweeps.cancel(sweep_id, False, offer.confirm_token)
    assert res.cancelled and res.status == "cancelled" and res.remaining_pids == []
    view = sweeps.get(sweep_id)
    assert view.status == "cancelled" and view.counts == {"cancelled": 3}
    assert alive_in_group(job_group) == []  # the job and its children: gone at once
    # The supervisors record the outcome, then exit: nothing of the sweep is left running.
    wait_until(lambda: job_pids(state_root), lambda left: left == [], timeout=15)
    again = sweeps.cancel(sweep_id)
    assert not again.cancelled and "already ended" in again.message


def test_unknown_and_malformed_sweep_ids(sweeps: SweepService) -> None:
    assert _code(sweeps.get, "sweep-nope") == "unknown_sweep"
    assert _code(sweeps.get, "sweep-../../etc") == "unknown_sweep"
    assert _code(sweeps.cancel, "train-123") == "unknown_sweep"


@pytest.mark.parametrize(
    ("kw", "code"),
    [
        ({"command": "tune"}, "use_tune"),
        ({"command": "infer"}, "bad_sweep_command"),
        ({"command": "evaluate", "evaluate": "train.yaml"}, "bad_sweep"),
        ({"evaluate": "train.yaml", "cloud": "slurm"}, "evaluate_on_cluster_unsupported"),
        ({"job_name": "x" * 25}, "bad_job_name"),
        ({"config": "missing.yaml"}, "config_not_found"),
        ({"evaluate": "missing.yaml"}, "config_not_found"),
        ({"cloud": "nowhere"}, "unknown_cloud"),
        (
            {"random": RandomSearch(n=2, params={LR: Distribution(low=1e-5, high=1e-3, log=True)})},
            "bad_sweep",
        ),
    ],
)
def test_bad_requests_change_nothing(
    sweeps: SweepService, project: Path, kw: dict[str, Any], code: str
) -> None:
    assert _code(sweeps.run, _req(project, **kw), None) == code
    assert sweeps.jobs.store.count() == 0 and not sweeps.store.root.exists()


def test_eval_after_train_points_run_the_point_runner_with_the_trained_model(
    sweeps: SweepService, project: Path
) -> None:
    (project / "eval.yaml").write_text(
        yaml.safe_dump({"tasks": [{"evaluation_backend": "custom"}]})
    )
    cfg = yaml.safe_load((project / "train.yaml").read_text())
    cfg["training"]["use_peft"] = True
    (project / "lora.yaml").write_text(yaml.safe_dump(cfg))
    for config, model in (("train.yaml", "{out}"), ("lora.yaml", "tiny-model")):
        req = _req(project, config=config, evaluate="eval.yaml")
        built = build_sweep(
            sweeps.jobs, req, "sweep-x", sweeps.store.root / "sweep-x", preflight=False
        )
        point = built.points[1]
        out = str(project / "out" / "sweep-x" / "p1")
        assert point.eval_overrides is not None and point.runner_argv is not None
        assert point.eval_overrides["model.model_name"] == model.format(out=out)
        assert point.eval_overrides["output_dir"] == out
        argv = point.runner_argv
        assert argv[1:5] == ["-m", sweep_plan.POINT_MODULE, "--sweep-train", "{config}"]
        assert argv[argv.index("--sweep-evaluate") + 1] == str(
            sweeps.store.root / "sweep-x" / "evaluate.yaml"
        )
        assert argv[argv.index(f"--{LR}") + 1] == "0.0003"
    assert built.points[1].eval_overrides["model.adapter_model"] == out  # type: ignore[index]


def test_the_plan_of_a_big_sweep_stays_under_8_kb(sweeps: SweepService, project: Path) -> None:
    keys = {f"training.a_rather_long_setting_name_{i}": [1, 2] for i in range(5)}
    offer = sweeps.run(_req(project, grid=keys), None)
    assert len(offer.model_dump_json()) <= 8000 and offer.plan is not None
    assert offer.plan.jobs == 32 and 1 < len(offer.plan.points) < 32
    assert "not listed here" in offer.plan.notes[-1]
    assert "training.a_rather_long_setting_name_4: [1, 2]" in offer.plan.notes[-1]  # all values
    hidden = {LR: [1e-4, 2e-4], "training.x": ["a" * 150 + str(i) for i in range(16)]}
    big = sweeps.run(_req(project, grid=hidden), None)
    cut = big.plan
    assert len(big.model_dump_json()) <= 8000 and cut is not None and len(cut.points) < 32
    assert "a" * 150 + "15" in cut.notes[-1]
    # The plan alone (the answer when the person declines) is bounded too, not only the offer.
    assert len(sweep_plan.shown(sweeps.plan(_req(project, grid=keys))).model_dump_json()) <= 8000


def test_a_plan_too_big_to_show_is_refused_before_anything(
    sweeps: SweepService, project: Path
) -> None:
    """Fixed overrides are the same for every point and never cut: over 8 KB, no plan."""
    fixed = {f"training.fixed_{i}": "v" * 400 for i in range(20)}
    assert _code(sweeps.run, _req(project, overrides=fixed), None) == "sweep_plan_too_large"
    assert sweeps.jobs.store.count() == 0 and not sweeps.store.root.exists()


_RECORD = {
    "id": "sweep-x",
    "created_at": 1.0,
    "command": "train",
    "config": "c.yaml",
    "metric": "final_loss",
    "mode": "min",
    "backend": "local",
    "points": [{"index": 0, "overrides": {}, "job_name": "n", "output_dir": "o"}],
}


@pytest.mark.parametrize(
    "text",
    [
        '"a string"',
        "null",
        "[]",
        '{"points": 3}',
        json.dumps(_RECORD)[:60],  # cut short
        json.dumps(_RECORD | {"points": [1]}),
        json.dumps(_RECORD | {"created_at": "yesterday"}),
        json.dumps(_RECORD | {"created_at": 1e300}),
        json.dumps(_RECORD | {"mode": "sideways"}),
        json.dumps(_RECORD | {"launcher_pid": 2**70}),
        json.dumps(_RECORD | {"points": [_RECORD["points"][0] | {"overrides": [1]}]}),  # type: ignore[index]
    ],
)
def test_a_damaged_sweep_record_is_a_structured_error(sweeps: SweepService, text: str) -> None:
    folder = sweeps.store.root / "sweep-x"
    folder.mkdir(parents=True)
    (folder / "sweep.json").write_text(text)
    for call in (sweeps.get, sweeps.cancel, sweeps.describe_cancel):
        assert _code(call, "sweep-x") == "sweep_record_unreadable"
    assert (folder / "sweep.json").read_text() == text  # nothing rewritten


def test_a_record_that_is_a_folder_and_odd_ids_are_structured_errors(sweeps: SweepService) -> None:
    (sweeps.store.root / "sweep-x" / "sweep.json").mkdir(parents=True)
    assert _code(sweeps.get, "sweep-x") == "sweep_record_unreadable"
    for odd in ("sweep-x\n", "sweep-x/../x", "sweep-" + "a" * 200, "", "sweep-\x00"):
        assert _code(sweeps.get, odd) == "unknown_sweep"
        assert _code(sweeps.cancel, odd) == "unknown_sweep"


def test_a_point_that_would_launch_other_than_signed_is_refused(
    sweeps: SweepService, project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Built again for the real id, the sweep must be the one the token signed: here the
    environment a point gets changes between the approval and the launch."""
    req = _req(project, envs={"FAKE_STEPS": "1"})
    token = sweeps.run(req, None).confirm_token
    real_plan = sweeps.jobs.plan

    def drifting(launch: Any, *, preflight: bool) -> Any:
        if PLAN_ID not in str(launch.job_name):
            launch.envs = {**(launch.envs or {}), "FAKE_STEPS": "999"}
        return real_plan(launch, preflight=preflight)

    monkeypatch.setattr(sweeps.jobs, "plan", drifting)
    assert _code(sweeps.run, req, token) == "config_changed"
    assert sweeps.jobs.store.count() == 0 and not sweeps.store.root.exists()


def test_an_error_mid_launch_that_the_server_survives_leaves_an_honest_record(
    sweeps: SweepService, project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Not a crash: the process (launcher_pid) lives on, so the points left must not read as
    'being submitted' (status running) forever."""
    req = _req(project, envs={"FAKE_STEPS": "1", "FAKE_DELAY": "0"})
    token = sweeps.run(req, None).confirm_token
    real = sweeps.jobs.launch_approved
    calls: list[int] = []

    def disk_full_on_second(built: Any) -> Any:
        calls.append(1)
        if len(calls) == 2:
            raise OSError(28, "No space left on device")
        return real(built)

    monkeypatch.setattr(sweeps.jobs, "launch_approved", disk_full_on_second)
    with pytest.raises(OSError):
        sweeps.run(req, token)
    (sweep_id,) = [p.name for p in sweeps.store.root.iterdir()]
    states = [p.state for p in sweeps.store.get(sweep_id).points]
    assert states == [PointState.SUBMITTED, PointState.SUBMIT_FAILED, PointState.SUBMIT_FAILED]
    view = wait_until(lambda: sweeps.get(sweep_id), lambda v: v.status != "running")
    assert view.status == "partial" and not view.notes
    assert all("No space left" in str(p.note) for p in view.points if p.index > 0)


def test_the_question_to_the_person_lists_every_point(sweeps: SweepService, project: Path) -> None:
    keys = {f"training.a_rather_long_setting_name_{i}": [1, 2] for i in range(5)}
    text = sweep_plan.render(sweeps.plan(_req(project, grid=keys)))
    assert "  p31: " in text and text.count("\n  p") == 32


def test_cancel_during_launch_stops_what_was_submitted_and_starts_nothing_after(
    sweeps: SweepService, project: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """cancel_job (another worker thread) while run_sweep is still submitting points."""
    import threading

    req = _req(project, envs={"FAKE_GATE": str(tmp_path / "never")})
    token = sweeps.run(req, None).confirm_token
    real = sweeps.jobs.launch_approved
    threads: list[threading.Thread] = []

    def cancel_while_submitting(built: Any) -> Any:
        out = real(built)
        if not threads:  # after the first point: a cancel arrives, waits for the sweep's lock
            sweep_id = Path(built.plan.output_dir).parent.name
            threads.append(
                threading.Thread(target=sweeps.cancel, args=(sweep_id,), kwargs={"approved": True})
            )
            threads[0].start()
        return out

    monkeypatch.setattr(sweeps.jobs, "launch_approved", cancel_while_submitting)
    done = sweeps.run(req, token)
    threads[0].join(timeout=30)
    sweep_id = str(done.sweep_id)
    view = wait_until(lambda: sweeps.get(sweep_id), lambda v: v.status != "running", timeout=15)
    assert view.status == "cancelled" and set(view.counts) == {"cancelled"}, view.counts
    submitted = [p.job_id for p in sweeps.store.get(sweep_id).points if p.job_id]
    assert all(sweeps.jobs.status(j).status == "cancelled" for j in submitted)


def test_a_cluster_sweep_shows_what_each_point_asks_of_the_cluster(
    sweeps: SweepService, project: Path
) -> None:
    """The token binds each point's cluster job (resources, setup script): the plan and the
    question must show them, not only where and how many."""
    cluster = {"cluster_name": "root@localhost", "accelerators": "H100:8", "setup": "echo hi"}
    built = sweeps.plan(_req(project, cloud="slurm", cluster=cluster))
    for text in ("\n".join(sweep_plan.shown(built).notes), sweep_plan.render(built)):
        assert '"accelerators": "H100:8"' in text and '"setup": "echo hi"' in text
        assert "<sweep_id>-p<i>" in text and PLAN_ID not in text
