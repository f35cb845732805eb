"""Cluster launches against `fake-cloud`, a test cloud registered through oumi's launcher registry.

SkyPilot clouds cannot be reached from here: these tests prove the wrapping (the job config loads
with oumi's JobConfig and SkyPilot's own task parser, and its run script finds the config), the
failed-launch path, the cancel-during-launch race and the log time bound, with the real detached
helper process and oumi's real launcher on the other side of the registry.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import time
from pathlib import Path
from typing import Any

import psutil
import pytest
import yaml

from oumi_mcp_server.clusters import follow, logsnap, runstate, submit
from oumi_mcp_server.clusters import service as clusters
from oumi_mcp_server.clusters.wrap import REMOTE_CONFIG, ClusterArgs
from oumi_mcp_server.core.errors import ServiceError
from oumi_mcp_server.jobs.plan import LaunchRequest
from oumi_mcp_server.jobs.states import LaunchPhase, RunState
from oumi_mcp_server.wiring import job_service as get_service


def _plan(project: Path, cloud: str = "fake-cloud", **kw: Any) -> submit.ClusterBuiltPlan:
    req = LaunchRequest(
        "train",
        "configs/train.yaml",
        str(project),
        {"training.max_steps": 2},
        "fake",
        {"HF_TOKEN": "hf_abcdefghijklmnopqrstuvwxyz123456"},
        1,
    )
    return submit.plan_with_args(req, ClusterArgs(cloud=cloud, **kw), preflight=False)


def _launch(project: Path, **kw: Any) -> str:
    built = _plan(project, **kw)
    offer = get_service().offer(built)
    res = get_service().launch_confirmed(built, offer.confirm_token)
    assert res.launched and res.job is not None
    return res.job.job_id


def _wait_helper(job_id: str, timeout: float = 240) -> RunState:
    run_dir = Path(get_service().record(job_id).run_dir)
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        st = runstate.state(run_dir)
        if st.launch not in (None, LaunchPhase.LAUNCHING):
            pid = st.helper_pid
            while pid and psutil.pid_exists(pid) and time.monotonic() < end:
                try:
                    if psutil.Process(pid).status() == psutil.STATUS_ZOMBIE:
                        break
                except psutil.NoSuchProcess:
                    break
                time.sleep(0.2)
            return st
        time.sleep(0.5)
    raise AssertionError(f"helper never finished: {(run_dir / 'helper.log').read_text()[-2000:]}")


@pytest.mark.oumi
def test_fake_cloud_wrapped_job_config_loads_in_oumi_and_skypilot(fake_cloud: Path) -> None:
    from oumi.core.configs import JobConfig
    from oumi.launcher.clients.sky_client import _convert_job_to_task

    built = _plan(fake_cloud, cloud="aws", accelerators="A100:4", num_nodes=2, use_spot=True)
    shown = built.plan.model_dump()["cluster"]
    assert shown["autostop_minutes"] == 30  # on by default for SkyPilot clouds
    assert shown["job_config"]["envs"]["HF_TOKEN"] == "<redacted>"
    assert "hf_abcdefghij" not in str(built.plan.model_dump())
    path = fake_cloud / "job.yaml"
    path.write_text(yaml.safe_dump(built.job))
    job = JobConfig.from_yaml(str(path))
    assert job.resources.cloud == "aws" and job.num_nodes == 2
    assert job.working_dir == f"{fake_cloud}/"
    assert "oumi distributed torchrun -m oumi train -c .oumi_mcp/config.yaml" in job.run
    task = _convert_job_to_task(job)  # oumi's own conversion, then SkyPilot's own parser
    import sky

    parsed = sky.Task.from_yaml_config(task.to_yaml_config())
    assert parsed.num_nodes == 2 and parsed.run == job.run


@pytest.mark.slow
def test_fake_cloud_run_script_finds_its_config(fake_cloud: Path, tmp_path: Path) -> None:
    """Run the generated script in an empty 'remote' working dir with a stand-in `oumi`."""
    built = _plan(fake_cloud)
    remote = tmp_path / "remote_workdir"
    remote.mkdir()
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "oumi").write_text('#!/bin/sh\necho "ARGS $*"\ncat "$3"\n')
    (bin_dir / "oumi").chmod(0o755)
    env = {**os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}"}
    out = subprocess.run(
        ["bash", "-c", built.job["run"]],
        cwd=remote,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert f"ARGS train -c {REMOTE_CONFIG} --training.max_steps 2" in out.stdout
    assert (remote / REMOTE_CONFIG).read_bytes() == (fake_cloud / "configs/train.yaml").read_bytes()
    assert out.stdout.splitlines()[0] == f"OUMI_MCP_REMOTE_DIR={remote}"


def test_fake_cloud_job_config_passes_through(fake_cloud: Path) -> None:
    job_cfg = {
        "name": "mine",
        "resources": {"cloud": "gcp", "accelerators": "L4"},
        "setup": "pip install oumi",
        "run": "oumi train -c my.yaml",
        "working_dir": ".",
    }
    (fake_cloud / "configs" / "job.yaml").write_text(yaml.safe_dump(job_cfg))
    req = LaunchRequest("train", "configs/job.yaml", str(fake_cloud), None, None, None, 1)
    built = submit.plan_with_args(req, ClusterArgs(cloud="gcp", disk_size=200), preflight=False)
    assert built.job["run"] == "oumi train -c my.yaml"
    assert built.job["resources"] == {"cloud": "gcp", "accelerators": "L4", "disk_size": 200}
    assert built.job["setup"] == "pip install oumi"


def test_fake_cloud_plan_token_is_bound_to_cluster_arguments(fake_cloud: Path) -> None:
    from oumi_mcp_server.core.errors import ServiceError

    offer = get_service().offer(_plan(fake_cloud, accelerators="A100:1"))
    with pytest.raises(ServiceError) as err:
        get_service().launch_confirmed(
            _plan(fake_cloud, accelerators="A100:8"), offer.confirm_token
        )
    assert err.value.code == "confirm_token_mismatch"
    assert get_service().store.count() == 0


@pytest.mark.oumi
def test_fake_cloud_failed_launch_is_terminal_with_the_error(
    fake_cloud: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FAKE_CLOUD_FAIL", "quota exceeded for A100 in us-east-1")
    job_id = _launch(fake_cloud)
    st = _wait_helper(job_id)
    assert st.launch is LaunchPhase.FAILED
    view = get_service().status(job_id)
    assert view.status == "failed"
    assert "quota exceeded for A100" in (view.reason or "")
    assert view.status_source == "launch helper"


@pytest.mark.oumi
def test_fake_cloud_cancel_during_launch_leaves_no_cluster_unaccounted(
    fake_cloud: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import fake_cloud as fc

    monkeypatch.setenv("FAKE_CLOUD_UP_DELAY", "4")
    job_id = _launch(fake_cloud)
    rec = get_service().record(job_id)
    end = time.monotonic() + 240
    while not fc.up_started(rec.cluster):  # provisioning has begun: the race window
        assert time.monotonic() < end and _helper_running(job_id)
        time.sleep(0.1)
    res = get_service().cancel(job_id, approved=True)
    assert not res.cancelled and "Cancel recorded" in res.message
    st = _wait_helper(job_id)
    assert st.launch is LaunchPhase.LAUNCHED and st.cancel_applied is True
    # The one cluster that exists is the one our record named before `up` started ...
    assert fc.all_clusters() == [rec.cluster]
    # ... its job was cancelled the moment the launch completed ...
    assert fc.cluster_record(rec.cluster)["jobs"] == {st.launcher_job_id: "cancelled"}
    view = get_service().status(job_id)
    assert view.status == "cancelled"
    # ... and list_clusters shows it with our job, so down_cluster can remove it.
    listed = clusters.list_clusters(get_service(), "fake-cloud")
    assert [(c.name, c.jobs) for c in listed.clusters] == [(rec.cluster, [job_id])]
    offer = clusters.cluster_action(get_service(), "down", "fake-cloud", rec.cluster)
    assert not offer.done and "lost" in (offer.plan or "")
    done = clusters.cluster_action(
        get_service(), "down", "fake-cloud", rec.cluster, offer.confirm_token
    )
    assert done.done and fc.all_clusters() == []
    with pytest.raises(ServiceError) as used:  # a down token is single-use
        clusters.cluster_action(
            get_service(), "down", "fake-cloud", rec.cluster, offer.confirm_token
        )
    assert used.value.code == "confirm_token_used"


def _helper_running(job_id: str) -> bool:
    return (
        runstate.state(Path(get_service().record(job_id).run_dir)).launch is LaunchPhase.LAUNCHING
    )


@pytest.mark.oumi
def test_fake_cloud_cancel_before_provisioning_launches_nothing(fake_cloud: Path) -> None:
    import fake_cloud as fc

    job_id = _launch(fake_cloud)
    assert "Cancel recorded" in get_service().cancel(job_id, approved=True).message
    assert _wait_helper(job_id).launch is LaunchPhase.CANCELLED
    assert fc.all_clusters() == []
    assert get_service().status(job_id).status == "cancelled"


@pytest.mark.oumi
def test_fake_cloud_status_follows_launcher_then_is_final(fake_cloud: Path) -> None:
    import fake_cloud as fc

    job_id = _launch(fake_cloud)
    st = _wait_helper(job_id)
    assert st.launch is LaunchPhase.LAUNCHED, st
    assert get_service().status(job_id).status == "running"
    fc.finish_job(st.cluster, st.launcher_job_id)
    time.sleep(follow.CACHE_S + 0.1)
    view = get_service().status(job_id)
    assert view.status == "completed" and view.status_source.startswith("launcher (fake-cloud")
    assert not (Path(view.run_dir) / follow.FINAL).exists()  # reading never writes
    assert get_service().reconcile() == {job_id: "completed"}
    fc.finish_job(st.cluster, st.launcher_job_id, "failed")  # recorded, finished is final
    time.sleep(follow.CACHE_S + 0.1)
    assert get_service().status(job_id).status == "completed"


@pytest.mark.oumi
def test_fake_cloud_log_snapshot_is_bounded_and_leaves_no_process(
    fake_cloud: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(logsnap, "OTHER_LOG_TIMEOUT_S", 5.0)
    job_id = _launch(fake_cloud)
    assert _wait_helper(job_id).launch is LaunchPhase.LAUNCHED
    rec = get_service().record(job_id)
    before = {p.pid for p in psutil.Process().children(recursive=True)}
    # The fake stream never ends: returning at all means the time bound ended the read.
    assert logsnap.refresh_logs(rec, timeout_s=45)
    left = [p for p in psutil.Process().children(recursive=True) if p.pid not in before]
    assert left == []
    assert _log_readers(rec.cluster) == []
    logs = get_service().logs(job_id, tail=10, stream="stdout")
    assert "{'loss': 2.0, 'step': 2}" in logs.streams[0].text
    # A reconcile pass starts a background reader that ends itself at its own bound.
    (Path(rec.run_dir) / logsnap.LOGSNAP).unlink(missing_ok=True)
    get_service().reconcile()
    assert _log_readers(rec.cluster) != []
    end = time.monotonic() + 120
    while _log_readers(rec.cluster) and time.monotonic() < end:
        time.sleep(0.5)
    assert _log_readers(rec.cluster) == []
    assert "{'loss': 2.0, 'step': 2}" in get_service().logs(job_id, tail=10).streams[0].text


def _log_readers(cluster: str) -> list[psutil.Process]:
    found = []
    for p in psutil.process_iter(["cmdline", "status"]):
        line = shlex.join(p.info["cmdline"] or [])
        if "clusters.logstream" in line and cluster in line and p.info["status"] != "zombie":
            found.append(p)
    return found
