"""The eval page reads a task's examples only from a regular file inside the run's own output
folder: a task_result.json (or its folder) that is a symlink to a file elsewhere is not read,
whatever that file holds, nor one that is not a regular file; the real examples still show."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.applications import Starlette
from starlette.testclient import TestClient

from dashboard.fakeruns import HOSTILE, suite
from jobs.jobhelpers import wait_until
from oumi_mcp_server.dashboard import eval_view
from oumi_mcp_server.dashboard.app import build_routes
from oumi_mcp_server.jobs.record import JobRecord
from oumi_mcp_server.jobs.results import get_results
from oumi_mcp_server.jobs.results_models import JobResults
from oumi_mcp_server.jobs.service import JobService
from oumi_mcp_server.wiring import job_service

SECRET = "outside-the-run-secret"


@pytest.fixture
def client() -> Iterator[TestClient]:
    with TestClient(Starlette(routes=build_routes(job_service))) as c:
        yield c


@pytest.fixture
def running(tmp_path: Path) -> JobRecord:
    """A running job (files written now are its own) with an output dir."""
    svc = job_service()
    job = svc.submit_argv(
        [sys.executable, "-c", "import time; time.sleep(120)"],
        cwd=str(tmp_path),
        command="evaluate",
        name="links",
        output_dir=str(tmp_path / "out"),
    )
    wait_until(lambda: svc.status(job.id).status, lambda s: s == "running")
    return job


def _task_result(folder: Path, prompt: str) -> Path:
    result = suite(0.5, "n")
    result["prompt_suite"]["examples"][0]["prompt"] = prompt
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "task_result.json"
    path.write_text(json.dumps({"results": result}))
    return path


@pytest.mark.parametrize("link", ["file", "folder", "fifo"])
def test_examples_outside_the_output_folder_are_not_read(
    client: TestClient, running: JobRecord, tmp_path: Path, link: str
) -> None:
    elsewhere = _task_result(tmp_path / "elsewhere" / "custom_20260101_000000", SECRET)
    out = tmp_path / "out"
    out.mkdir()
    if link == "fifo":  # never opened: reading it would hang the page
        (out / "custom_20260101_000001").mkdir()
        os.mkfifo(out / "custom_20260101_000001" / "task_result.json")
    elif link == "file":
        (out / "custom_20260101_000001").mkdir()
        (out / "custom_20260101_000001" / "task_result.json").symlink_to(elsewhere)
    else:
        (out / "custom_20260101_000001").symlink_to(elsewhere.parent)
    _task_result(out / "custom_20260101_000002", "an own prompt")
    page = client.get(f"/jobs/{running.id}/eval")
    assert page.status_code == 200
    assert "an own prompt" in page.text and SECRET not in page.text


def test_a_task_file_rewritten_since_get_results_read_it(
    client: TestClient, running: JobRecord, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The job may rewrite its task file between `get_results` and the examples' read: whatever
    it holds then, the page still answers (without examples)."""
    path = _task_result(tmp_path / "out" / "custom_20260101_000001", "an own prompt")

    def then_rewritten(svc: JobService, job_id: str) -> JobResults:
        found = get_results(svc, job_id)
        path.write_text(json.dumps({"results": [HOSTILE]}))
        return found

    monkeypatch.setattr(eval_view, "get_results", then_rewritten)
    page = client.get(f"/jobs/{running.id}/eval")
    assert page.status_code == 200 and "prompt_suite" in page.text
    assert "an own prompt" not in page.text and "<img" not in page.text
