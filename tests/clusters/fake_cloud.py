"""A test-only cloud, `fake-cloud`, registered through oumi's launcher registry.

SkyPilot clouds cannot be reached from the test machine; this stands in for one. Its state lives
in files under `$FAKE_CLOUD_DIR` so the launch helper (another process) and the test agree:
`clusters/<name>.json` = {"status", "jobs": {id: state}, "job": the JobConfig it got,
"up_kwargs"}. Behaviour knobs (env): FAKE_CLOUD_UP_DELAY (seconds `up` takes),
FAKE_CLOUD_FAIL (message `up` raises). Its log stream prints a few lines, then blocks forever,
like a tail on a running job.
"""

from __future__ import annotations

import dataclasses
import json
import os
import time
from pathlib import Path
from typing import Any

from oumi.core.configs import JobConfig
from oumi.core.launcher import BaseCloud, BaseCluster, JobState, JobStatus
from oumi.core.registry import register_cloud_builder

NAME = "fake-cloud"
LOG_LINES = ["starting", "{'loss': 2.5, 'step': 1}", "{'loss': 2.0, 'step': 2}"]


def _dir() -> Path:
    path = Path(os.environ["FAKE_CLOUD_DIR"]) / "clusters"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _read(name: str) -> dict[str, Any] | None:
    path = _dir() / f"{name}.json"
    return json.loads(path.read_text()) if path.exists() else None


def _write(name: str, data: dict[str, Any]) -> None:
    tmp = _dir() / f".{name}.tmp"
    tmp.write_text(json.dumps(data))
    tmp.replace(_dir() / f"{name}.json")


def _status(cluster: str, job_id: str, state: str) -> JobStatus:
    js = JobState(state)
    done = js in (JobState.SUCCEEDED, JobState.FAILED, JobState.CANCELLED)
    return JobStatus(
        name="job",
        id=job_id,
        status=state.upper(),
        cluster=cluster,
        metadata="",
        done=done,
        state=js,
        cost_per_hour=1.25,
    )


class _BlockingStream:
    def __init__(self) -> None:
        self._lines = [line + "\n" for line in LOG_LINES]

    def readline(self) -> str:
        if self._lines:
            return self._lines.pop(0)
        while True:  # a running job's tail: nothing more, never the end
            time.sleep(3600)

    def close(self) -> None:
        pass


class FakeCluster(BaseCluster):
    def __init__(self, name: str) -> None:
        self._name = name

    def name(self) -> str:
        return self._name

    def get_job(self, job_id: str) -> JobStatus | None:  # type: ignore[override]
        data = _read(self._name)
        if not data or job_id not in data["jobs"]:
            return None
        return _status(self._name, job_id, data["jobs"][job_id])

    def get_jobs(self) -> list[JobStatus]:
        data = _read(self._name) or {"jobs": {}}
        return [_status(self._name, i, s) for i, s in data["jobs"].items()]

    def cancel_job(self, job_id: str) -> JobStatus:
        data = _read(self._name)
        assert data is not None
        data["jobs"][job_id] = "cancelled"
        _write(self._name, data)
        return _status(self._name, job_id, "cancelled")

    def run_job(self, job: JobConfig) -> JobStatus:
        raise NotImplementedError

    def stop(self) -> None:
        data = _read(self._name)
        assert data is not None
        data["status"] = "STOPPED"
        _write(self._name, data)

    def down(self) -> None:
        (_dir() / f"{self._name}.json").unlink()

    def get_logs_stream(self, cluster_name: str, job_id: str | None = None) -> Any:
        return _BlockingStream()


class FakeCloud(BaseCloud):
    def up_cluster(self, job: JobConfig, name: str | None, **kwargs: Any) -> JobStatus:
        assert name, "the MCP server always names the cluster before launching"
        (_dir().parent / f"up_started-{name}").touch()
        time.sleep(float(os.environ.get("FAKE_CLOUD_UP_DELAY", "0")))
        if os.environ.get("FAKE_CLOUD_FAIL"):
            raise RuntimeError(os.environ["FAKE_CLOUD_FAIL"])
        data = _read(name) or {"status": "UP", "jobs": {}}
        job_id = str(len(data["jobs"]) + 1)
        data["jobs"][job_id] = "running"
        data["job"] = dataclasses.asdict(job)
        data["up_kwargs"] = kwargs
        _write(name, data)
        return _status(name, job_id, "running")

    def get_cluster(self, name: str) -> BaseCluster | None:
        return FakeCluster(name) if _read(name) is not None else None

    def list_clusters(self) -> list[BaseCluster]:
        return [FakeCluster(p.stem) for p in sorted(_dir().glob("*.json"))]


@register_cloud_builder(NAME)
def _build() -> FakeCloud:
    return FakeCloud()


def finish_job(cluster: str, job_id: str, state: str = "succeeded") -> None:
    """Test control: the job ends on the fake cluster."""
    data = _read(cluster)
    assert data is not None
    data["jobs"][job_id] = state
    _write(cluster, data)


def make_cluster(name: str, status: str = "UP") -> None:
    """Test control: a cluster that exists on the fake cloud, with no jobs."""
    _write(name, {"status": status, "jobs": {}})


def up_started(cluster: str) -> bool:
    return (_dir().parent / f"up_started-{cluster}").exists()


def cluster_record(cluster: str) -> dict[str, Any] | None:
    return _read(cluster)


def all_clusters() -> list[str]:
    return [p.stem for p in sorted(_dir().glob("*.json"))]
