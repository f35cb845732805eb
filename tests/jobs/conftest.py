"""Job tests: a fake oumi, pre-flight off, and every process a test started is stopped."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from jobs.jobhelpers import kill_jobs, make_project
from oumi_mcp_server.jobs.service import JobService


@pytest.fixture(autouse=True)
def _stop_job_processes(isolated_env: Path) -> Iterator[None]:
    yield
    kill_jobs(Path(os.environ["OUMI_MCP_STATE_DIR"]))


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    return make_project(tmp_path, monkeypatch)


@pytest.fixture
def service() -> JobService:
    return JobService()
