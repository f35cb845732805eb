"""run_sweep, get_sweep and cancel_job on a sweep id through a real MCP client (the stand-in
`oumi`): the flow, structured errors, annotations."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anyio
import pytest
from mcp import Client, types

from jobs.jobhelpers import job_pids, kill_jobs, make_project, wait_until
from oumi_mcp_server.jobs.queue import MAX_JOBS_ENV
from oumi_mcp_server.server.app import build_server
from oumi_mcp_server.wiring import job_service

LR = "training.learning_rate"


@pytest.fixture(autouse=True)
def _stop_job_processes(isolated_env: Path) -> Iterator[None]:
    yield
    kill_jobs(Path(os.environ["OUMI_MCP_STATE_DIR"]))


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv(MAX_JOBS_ENV, "1")
    return make_project(tmp_path, monkeypatch)


def _args(project: Path, **kw: Any) -> dict[str, Any]:
    return {
        "config": "train.yaml",
        "client_cwd": str(project),
        "metric": "final_loss",
        "grid": {LR: [1e-4, 1e-3, 1e-2]},
        **kw,
    }


def _error(result: Any) -> dict[str, Any]:
    assert result.is_error, result
    return dict(json.loads(result.content[0].text)["error"])


async def _get(c: Client, sweep_id: str) -> dict[str, Any]:
    view = (await c.call_tool("get_sweep", {"sweep_id": sweep_id})).structured_content
    assert view is not None
    return view


@pytest.mark.anyio
async def test_sweep_then_cancel_it_with_one_approval_each(project: Path, tmp_path: Path) -> None:
    args = _args(project, envs={"FAKE_GATE": str(tmp_path / "never")})
    async with Client(build_server()) as c:
        offer = (await c.call_tool("run_sweep", args)).structured_content
        assert offer is not None and offer["plan"]["jobs"] == 3
        launch = (
            await c.call_tool("run_sweep", {**args, "confirm_token": offer["confirm_token"]})
        ).structured_content
        assert launch is not None and launch["launched"]
        sweep_id = launch["sweep_id"]
        for _ in range(300):
            if (await _get(c, sweep_id))["counts"] == {"running": 1, "queued": 2}:
                break
            await anyio.sleep(0.1)
        assert (await _get(c, sweep_id))["counts"] == {"running": 1, "queued": 2}
        first = (await c.call_tool("cancel_job", {"job_id": sweep_id})).structured_content
        assert first is not None and first["confirm_token"] and not first["cancelled"]
        res = await c.call_tool(
            "cancel_job", {"job_id": sweep_id, "confirm_token": first["confirm_token"]}
        )
        assert res.structured_content and res.structured_content["cancelled"], res
        view = await _get(c, sweep_id)
    assert view["status"] == "cancelled" and view["counts"] == {"cancelled": 3}
    wait_until(
        lambda: job_pids(Path(os.environ["OUMI_MCP_STATE_DIR"])), lambda p: p == [], timeout=15
    )


@pytest.mark.anyio
async def test_errors_are_structured_and_change_nothing(project: Path) -> None:
    async with Client(build_server()) as c:
        big = _args(project, grid={LR: list(range(1, 12)), "peft.lora_r": [4, 8, 16]})
        assert _error(await c.call_tool("run_sweep", big))["code"] == "too_many_points"
        both = _args(project, random={LR: {"low": 1e-5, "high": 1e-3, "log": True}})
        assert _error(await c.call_tool("run_sweep", both))["code"] == "bad_sweep"
        made_up = {**_args(project), "confirm_token": "v1.1.2.3"}
        assert _error(await c.call_tool("run_sweep", made_up))["code"] == "confirm_token_mismatch"
        unknown = await c.call_tool("get_sweep", {"sweep_id": "sweep-20990101T000000-abcdef"})
        assert _error(unknown)["code"] == "unknown_sweep"
        assert _error(await c.call_tool("cancel_job", {"job_id": "sweep-x"}))["code"] == (
            "unknown_sweep"
        )
        tools = {t.name: t for t in (await c.list_tools()).tools}
    assert job_service().store.count() == 0
    assert tools["get_sweep"].annotations and tools["get_sweep"].annotations.read_only_hint
    run = tools["run_sweep"].annotations
    assert run is not None and not run.read_only_hint and not run.destructive_hint
    assert tools["run_sweep"].output_schema and tools["get_sweep"].output_schema


@pytest.mark.anyio
async def test_random_sweep_is_the_same_on_both_calls(project: Path) -> None:
    spec = {LR: {"low": 1e-5, "high": 1e-2, "log": True}, "peft.lora_r": {"choices": [4, 8]}}
    args = {**_args(project), "grid": None, "random": spec, "n": 4, "seed": 3}
    args["envs"] = {"FAKE_STEPS": "1", "FAKE_DELAY": "0"}
    async with Client(build_server()) as c:
        offer = (await c.call_tool("run_sweep", args)).structured_content
        assert offer is not None and len(offer["plan"]["points"]) == 4
        launch = (
            await c.call_tool("run_sweep", {**args, "confirm_token": offer["confirm_token"]})
        ).structured_content
    assert launch is not None and len(launch["jobs"]) == 4
    argv = [job_service().record(j["job_id"]).argv for j in launch["jobs"]]
    for point, cmd in zip(offer["plan"]["points"], argv, strict=True):
        assert cmd[cmd.index(f"--{LR}") + 1] == repr(point["overrides"][LR])


def _answer(action: str, asked: list[str], key: str = "run") -> Any:
    async def callback(context: Any, params: types.ElicitRequestParams) -> types.ElicitResult:
        asked.append(params.message)
        content = {key: True} if action == "accept" else None
        return types.ElicitResult(action=action, content=content)  # type: ignore[arg-type]

    return callback


@pytest.mark.anyio
async def test_a_client_that_can_ask_the_person_gets_one_question_for_the_sweep(
    project: Path,
) -> None:
    args = _args(project, envs={"FAKE_STEPS": "1", "FAKE_DELAY": "0"})
    asked: list[str] = []
    async with Client(build_server(), elicitation_callback=_answer("decline", asked)) as c:
        res = (await c.call_tool("run_sweep", args)).structured_content
    assert res is not None and not res["launched"] and "decline" in res["message"]
    assert job_service().store.count() == 0
    async with Client(build_server(), elicitation_callback=_answer("accept", asked)) as c:
        res = (await c.call_tool("run_sweep", args)).structured_content
    assert res is not None and res["launched"] and len(res["jobs"]) == 3
    assert len(asked) == 2 and "Run a sweep of 3 oumi train jobs" in asked[0]
    assert f"p2: {LR}=0.01" in asked[0] and "queue" in asked[0]
    assert job_service().store.count() == 3


@pytest.mark.anyio
async def test_cancel_job_asks_the_person_about_the_whole_sweep(
    project: Path, tmp_path: Path
) -> None:
    args = _args(project, envs={"FAKE_GATE": str(tmp_path / "never")})
    asked: list[str] = []
    async with Client(build_server(), elicitation_callback=_answer("accept", asked)) as c:
        launch = (await c.call_tool("run_sweep", args)).structured_content
    assert launch is not None and launch["launched"]
    sweep_id = launch["sweep_id"]
    async with Client(build_server(), elicitation_callback=_answer("decline", asked)) as c:
        res = (await c.call_tool("cancel_job", {"job_id": sweep_id})).structured_content
        assert res is not None and not res["cancelled"] and "did not approve" in res["message"]
        assert "cancelled" not in (await _get(c, sweep_id))["counts"]
    async with Client(build_server(), elicitation_callback=_answer("accept", asked, "cancel")) as c:
        res = (await c.call_tool("cancel_job", {"job_id": sweep_id})).structured_content
        view = await _get(c, sweep_id)
    assert res is not None and res["cancelled"], res
    assert view["counts"] == {"cancelled": 3}
    assert f"Cancel sweep {sweep_id}? Stops 3 point job(s)" in asked[-1]
