"""A job whose files hold odd values: every dashboard page and JSON answer is still a 200.

The app is built from the dashboard's own routes over the real jobs service (the auth and host
guard in front of them is tested in test_app.py); one running job's output folder is rewritten
with each fuzzed example.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from starlette.applications import Starlette
from starlette.testclient import TestClient

from jobs.jobhelpers import wait_until
from jobs.odd_values import FILE_TEXT, JSONL_TEXT, write_job_files
from oumi_mcp_server.dashboard.app import build_routes
from oumi_mcp_server.jobs.record import JobRecord
from oumi_mcp_server.wiring import job_service


@pytest.fixture
def client() -> Iterator[TestClient]:
    with TestClient(Starlette(routes=build_routes(job_service))) as c:
        yield c


@pytest.fixture
def running(tmp_path: Path) -> JobRecord:
    """A job that runs (so its view is resolved afresh on each request) with an output dir."""
    svc = job_service()
    job = svc.submit_argv(
        [sys.executable, "-c", "import time; time.sleep(120)"],
        cwd=str(tmp_path),
        command="train",
        name="odd",
        output_dir=str(tmp_path / "out"),
    )
    wait_until(lambda: svc.status(job.id).status, lambda s: s == "running")
    return job


def test_pages_and_json_answer_200_whatever_the_job_wrote(
    client: TestClient, running: JobRecord, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    paths = ["/", f"/jobs/{running.id}", f"/jobs/{running.id}/eval", "/api/jobs"]
    paths.append(f"/api/jobs/{running.id}")
    paths.append(f"/api/jobs/{running.id}/loss")

    @settings(max_examples=40, deadline=None, derandomize=True)
    @given(state=st.none() | FILE_TEXT, metrics=st.none() | JSONL_TEXT, checkpoint=st.booleans())
    def check(state: str | None, metrics: str | None, checkpoint: bool) -> None:
        write_job_files(out, state, metrics, checkpoint)
        for path in paths:
            answer = client.get(path)
            assert answer.status_code == 200, (path, answer.text[-500:])
            if path.startswith("/api/"):
                json.loads(answer.text)  # strict JSON: no NaN or Infinity
            else:
                assert "</html>" in answer.text

    check()


@pytest.mark.parametrize(
    "state",
    [
        '{"global_step": "abc", "max_steps": 10}',
        '{"global_step": 5, "max_steps": 1e400, "log_history": [{"loss": 5e-324, "step": 1}]}',
        '{"global_step": 2, "log_history": [{"loss": 1e308, "step": 1}, {"loss": -1e308}]}',
        '{"global_step": 2, "log_history": [{"loss": NaN, "step": 1}, {"loss": {"a": 1}}]}',
    ],
)
def test_issue_examples(client: TestClient, running: JobRecord, tmp_path: Path, state: str) -> None:
    write_job_files(tmp_path / "out", state, None, checkpoint=False)
    for path in ("/", f"/jobs/{running.id}", "/api/jobs", f"/api/jobs/{running.id}/loss"):
        assert client.get(path).status_code == 200, path
    view = client.get(f"/api/jobs/{running.id}").json()
    assert view["status"] == "running"
    assert view["progress"] is None or view["progress"]["notes"] or view["progress"]["loss"]
