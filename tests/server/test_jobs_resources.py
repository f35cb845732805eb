"""`jobs://completed` lists recently ended jobs; the static URI wins over the `jobs://{job_id}`
template (which used to answer it as "unknown job"), through a real client."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from mcp import Client

from jobs.jobhelpers import kill_jobs, make_project
from oumi_mcp_server.server.app import build_server


@pytest.fixture(autouse=True)
def _stop_job_processes(isolated_env: Path) -> Iterator[None]:
    yield
    kill_jobs(Path(os.environ["OUMI_MCP_STATE_DIR"]))


async def launch(client: Client, project: Path, name: str, envs: dict[str, str]) -> str:
    args = {
        "command": "train",
        "config": "train.yaml",
        "client_cwd": str(project),
        "job_name": name,
        "envs": envs,
    }
    offer = await client.call_tool("run_oumi_job", args)
    token = offer.structured_content["confirm_token"]  # type: ignore[index]
    done = await client.call_tool("run_oumi_job", args | {"confirm_token": token})
    assert done.structured_content and done.structured_content["launched"], done
    return str(done.structured_content["job"]["job_id"])


async def read_json(client: Client, uri: str) -> dict[str, Any]:
    contents = (await client.read_resource(uri)).contents
    return dict(json.loads(contents[0].text))  # type: ignore[union-attr]


@pytest.mark.anyio
async def test_completed_jobs_resource_lists_ended_jobs_newest_first(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = make_project(tmp_path, monkeypatch)
    async with Client(build_server()) as client:
        listed = {str(r.uri) for r in (await client.list_resources()).resources}
        assert {"jobs://running", "jobs://completed"} <= listed
        assert (await read_json(client, "jobs://completed"))["jobs"] == []
        ok = await launch(client, project, "ok", {"FAKE_STEPS": "2"})
        await client.call_tool("wait_for_job", {"job_id": ok, "timeout_s": 60})
        bad = await launch(client, project, "bad", {"FAKE_STEPS": "1", "FAKE_FAIL": "1"})
        await client.call_tool("wait_for_job", {"job_id": bad, "timeout_s": 60})
        gate = str(tmp_path / "never")
        live = await launch(client, project, "live", {"FAKE_GATE": gate})
        await client.call_tool("wait_for_job", {"job_id": live, "until": "running"})
        completed = await read_json(client, "jobs://completed")
        running = await read_json(client, "jobs://running")
        one = await read_json(client, f"jobs://{ok}")
    assert [(j["job_id"], j["status"]) for j in completed["jobs"]] == [
        (bad, "failed"),
        (ok, "completed"),
    ]
    assert completed["total_stored"] == 3
    assert [j["job_id"] for j in running["jobs"]] == [live]
    assert one["job_id"] == ok and one["status"] == "completed"  # the template still answers
