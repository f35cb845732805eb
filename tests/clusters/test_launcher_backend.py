"""The launcher backend behind the one job model (no oumi import: the detached helper is replaced
by a stand-in that records it was started; a cloud provider cannot be reached from here)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from oumi_mcp_server.clusters import runstate, submit
from oumi_mcp_server.clusters.runstate import Identity, identity
from oumi_mcp_server.core.errors import ServiceError
from oumi_mcp_server.jobs import runfolder
from oumi_mcp_server.jobs.plan import LaunchRequest
from oumi_mcp_server.jobs.states import JobState
from oumi_mcp_server.wiring import build_job_service


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "train.yaml").write_text(
        "model:\n  model_name: m\ntraining:\n  output_dir: out\n  max_steps: 2\n"
    )
    return tmp_path


def _req(project: Path) -> LaunchRequest:
    return LaunchRequest(
        "train", "train.yaml", str(project), cloud="aws", cluster={"accelerators": "A100:1"}
    )


def test_fake_helper_cluster_token_replay_is_refused_and_leaves_nothing(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    started: list[Path] = []
    monkeypatch.setattr(submit, "start_helper", started.append)
    service = build_job_service()
    built = service.plan(_req(project), preflight=False)
    offer = service.offer(built)
    first = service.launch_confirmed(built, offer.confirm_token)
    assert first.launched and first.job is not None and first.job.status == "launching"
    runs = runfolder.runs_dir(service.root)
    before = sorted(p.name for p in runs.iterdir())
    with pytest.raises(ServiceError) as err:
        service.launch_confirmed(service.plan(_req(project), preflight=False), offer.confirm_token)
    assert err.value.code == "confirm_token_used" and err.value.fix
    assert sorted(p.name for p in runs.iterdir()) == before and len(started) == 1
    assert service.store.count() == 1


def test_fake_helper_a_failed_start_leaves_no_record_and_no_folder(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(_run_dir: Path) -> None:
        raise OSError("no fork for you")

    monkeypatch.setattr(submit, "start_helper", broken)
    service = build_job_service()
    built = service.plan(_req(project), preflight=False)
    with pytest.raises(ServiceError) as err:
        service.launch_approved(built)
    assert err.value.code == "launch_failed"
    assert service.store.count() == 0 and not any(runfolder.runs_dir(service.root).iterdir())


def test_legacy_cloud_record_keeps_its_launcher_job_id(isolated_env: Path) -> None:
    legacy = isolated_env / "home" / ".cache" / "oumi-mcp" / "oumi-jobs.json"
    legacy.parent.mkdir(parents=True)
    legacy.write_text(
        json.dumps(
            [
                {
                    "job_id": "sky-3",
                    "command": "train",
                    "config_path": "/x/j.yaml",
                    "cloud": "gcp",
                    "cluster_name": "c1",
                    "model_name": "m",
                    "submit_time": "2025-01-02T12:00:00+00:00",
                    "status": "RUNNING",
                }
            ]
        )
    )
    service = build_job_service()
    rec = service.record("sky-3")
    assert identity(rec) == Identity("gcp", "c1", "sky-3")


def test_reading_a_cluster_status_writes_nothing(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(submit, "start_helper", lambda _run_dir: None)
    service = build_job_service()
    job = service.launch_approved(service.plan(_req(project), preflight=False)).job
    assert job is not None
    run_dir = Path(job.run_dir)
    runstate.update(run_dir, helper_pid=1, helper_start_time=1.0)  # a helper that died
    before = {p.name: p.stat().st_mtime_ns for p in run_dir.iterdir()}
    assert service.status(job.job_id).status == JobState.LOST
    assert {p.name: p.stat().st_mtime_ns for p in run_dir.iterdir()} == before


def test_fetch_outputs_never_writes_outside_the_project(
    project: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from oumi_mcp_server.clusters import service as clusters

    monkeypatch.setattr(submit, "start_helper", lambda _run_dir: None)
    service = build_job_service()
    job = service.launch_approved(service.plan(_req(project), preflight=False)).job
    assert job is not None
    for dest in ("/etc/outputs", str(tmp_path.parent / "elsewhere"), "../escape"):
        with pytest.raises(ServiceError) as err:
            clusters.fetch_outputs(service, job.job_id, dest, str(project))
        assert err.value.code in ("dest_outside_project", "path_outside_workspace"), err.value
    assert not (tmp_path.parent / "elsewhere").exists()


@pytest.mark.parametrize("action", ["stop", "down"])
def test_fake_cloud_cluster_tokens_are_single_use(
    isolated_env: Path, monkeypatch: pytest.MonkeyPatch, action: str
) -> None:
    """A down token once tore down a re-created cluster of the same name; a stop token worked 3x.
    The cloud call is a stand-in (no cloud can be reached here)."""
    from oumi_mcp_server.clusters import inventory
    from oumi_mcp_server.clusters import service as clusters

    applied: list[str] = []
    monkeypatch.setattr(inventory, "apply", lambda a, cloud, name: applied.append(a) or "done")
    service = build_job_service()
    offer = clusters.cluster_action(service, action, "aws", "c1")
    assert not offer.done and offer.confirm_token
    assert clusters.cluster_action(service, action, "aws", "c1", offer.confirm_token).done
    for _ in range(2):
        with pytest.raises(ServiceError) as err:
            clusters.cluster_action(service, action, "aws", "c1", offer.confirm_token)
        assert err.value.code == "confirm_token_used"
    assert applied == [action]
