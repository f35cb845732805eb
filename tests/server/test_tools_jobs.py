"""The job tools through a real MCP client: consent, bad input, progress, cancel, restarts."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psutil
import pytest
from mcp import Client, StdioServerParameters, types

from jobs.jobhelpers import kill_jobs, make_project
from oumi_mcp_server.server import tools_jobs
from oumi_mcp_server.server.app import build_server
from testsupport import subprocess_env

JOB_TOOLS = (
    "run_oumi_job",
    "get_job_status",
    "get_job_logs",
    "list_jobs",
    "wait_for_job",
    "cancel_job",
)


@pytest.fixture(autouse=True)
def _stop_job_processes(isolated_env: Path) -> Iterator[None]:
    yield
    kill_jobs(Path(os.environ["OUMI_MCP_STATE_DIR"]))


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    return make_project(tmp_path, monkeypatch)


def _error(result: types.CallToolResult) -> dict[str, Any]:
    assert result.is_error
    text = result.content[0].text  # type: ignore[union-attr]
    return json.loads(text[text.index("{") :])["error"]  # type: ignore[no-any-return]


def _runs() -> list[Path]:
    runs = Path(os.environ["OUMI_MCP_STATE_DIR"]) / "jobs" / "runs"
    return sorted(runs.iterdir()) if runs.exists() else []


def _args(project: Path, **kw: Any) -> dict[str, Any]:
    return {"command": "train", "config": "train.yaml", "client_cwd": str(project), **kw}


async def _launch(c: Client, project: Path, **kw: Any) -> dict[str, Any]:
    offer = await c.call_tool("run_oumi_job", _args(project, **kw))
    token = offer.structured_content["confirm_token"]  # type: ignore[index]
    done = await c.call_tool("run_oumi_job", _args(project, confirm_token=token, **kw))
    assert done.structured_content and done.structured_content["launched"], done
    return done.structured_content["job"]  # type: ignore[no-any-return]


@pytest.mark.anyio
async def test_plan_then_confirm_then_follow(project: Path) -> None:
    async with Client(build_server()) as c:
        offer = await c.call_tool(
            "run_oumi_job",
            _args(project, job_name="first-run", overrides={"training.max_steps": 5}),
        )
        plan = offer.structured_content
        assert plan is not None and not plan["launched"] and plan["confirm_token"]
        assert plan["plan"]["argv"][1:] == [
            "train",
            "-c",
            str(project / "train.yaml"),
            "--training.max_steps",
            "5",
        ]
        assert plan["plan"]["output_dir"] == str(project / "out") and _runs() == []
        done = await c.call_tool(
            "run_oumi_job",
            _args(
                project,
                job_name="first-run",
                overrides={"training.max_steps": 5},
                confirm_token=plan["confirm_token"],
            ),
        )
        job = done.structured_content["job"]  # type: ignore[index]
        assert job["name"] == "first-run" and job["status"] in ("queued", "running")
        ticks: list[tuple[float, float | None, str | None]] = []

        async def on_progress(progress: float, total: float | None, message: str | None) -> None:
            ticks.append((progress, total, message))

        final = await c.call_tool(
            "wait_for_job",
            {"job_id": job["job_id"], "timeout_s": 120},
            progress_callback=on_progress,
        )
        view = final.structured_content
        assert view is not None and view["status"] == "completed" and view["exit_code"] == 0
        assert view["progress"]["step"] == 5 and view["progress"]["loss"] == 1.75
        assert ticks and [t[0] for t in ticks] == sorted({t[0] for t in ticks})
        assert ticks[-1][1] == 5.0 and "completed" in (ticks[-1][2] or "")
        logs = await c.call_tool(
            "get_job_logs", {"job_id": job["job_id"], "stream": "stdout", "grep": "loss", "tail": 2}
        )
        assert logs.structured_content["streams"][0]["text"].count("loss") == 2  # type: ignore[index]
        listing = await c.call_tool("list_jobs", {})
        assert listing.structured_content["jobs"][0]["job_id"] == job["job_id"]  # type: ignore[index]
        res = await c.read_resource(f"jobs://{job['job_id']}")
        assert json.loads(res.contents[0].text)["status"] == "completed"  # type: ignore[union-attr]
        res = await c.read_resource(f"jobs://{job['job_id']}/logs")
        assert "fake oumi" in res.contents[0].text  # type: ignore[union-attr]
        res = await c.read_resource("jobs://running")
        assert json.loads(res.contents[0].text)["jobs"] == []  # type: ignore[union-attr]
        for answer in (final, logs, listing):
            assert len(answer.content[0].text.encode()) < 8192  # type: ignore[union-attr]


@pytest.mark.anyio
async def test_bad_input_changes_nothing_and_spawns_nothing(project: Path) -> None:
    before = {p.pid for p in psutil.Process().children(recursive=True)}
    async with Client(build_server()) as c:
        offer = await c.call_tool("run_oumi_job", _args(project))
        token = offer.structured_content["confirm_token"]  # type: ignore[index]
        other = await c.call_tool("run_oumi_job", _args(project, job_name="other"))
        other_token = other.structured_content["confirm_token"]  # type: ignore[index]
        bad_calls: list[tuple[dict[str, Any], str | None]] = [
            (_args(project, command="rm"), None),
            (_args(project, confirm_token="v1.99999999999.00.forged"), "confirm_token_mismatch"),
            (_args(project, confirm_token="yes"), "confirm_token_malformed"),
            (_args(project, confirm_token=other_token), "confirm_token_mismatch"),
            (
                _args(project, overrides={"training.max_steps": 9}, confirm_token=token),
                "confirm_token_mismatch",
            ),
            (_args(project, job_name="a/b", confirm_token=token), "bad_job_name"),
            (_args(project, job_name="..", confirm_token=token), "bad_job_name"),
            (_args(project, job_name="x;rm -rf ~", confirm_token=token), "bad_job_name"),
            (_args(project, job_name="$(reboot)"), "bad_job_name"),
            (_args(project, job_name="n" * 10_240), "bad_job_name"),
            (_args(project, envs={"A": "1\nB=2"}, confirm_token=token), "bad_env"),
            (_args(project, envs={"A": "1\x002"}), "bad_env"),
            (_args(project, overrides={"training.max_steps": "1; rm -rf ~"}), "bad_override"),
            (_args(project, overrides={"x; touch /tmp/pwned": 1}), "bad_override"),
            (_args(project, config="../../etc/passwd"), "path_outside_workspace"),
        ]
        for args, code in bad_calls:
            result = await c.call_tool("run_oumi_job", args)
            if code is None:
                assert result.is_error
            else:
                assert _error(result)["code"] == code, args
        for tail in (-1, 0, 10**9):
            assert (
                _error(await c.call_tool("get_job_logs", {"job_id": "x", "tail": tail}))["code"]
                == "bad_tail"
            )
        # A flag the model sets is not consent: extra booleans are ignored, only a plan comes back.
        for flag in ({"confirm": True}, {"confirmed": True}, {"yes": True}, {"dry_run": False}):
            result = await c.call_tool("run_oumi_job", _args(project, **flag))
            assert result.structured_content is not None, result
            assert not result.structured_content["launched"]
        wait = await c.call_tool("wait_for_job", {"job_id": "x", "timeout_s": -5})
        assert _error(wait)["code"] == "bad_timeout"
        for tool in ("get_job_status", "get_job_logs", "wait_for_job", "cancel_job"):
            result = await c.call_tool(tool, {"job_id": "no-such-job"})
            assert _error(result)["code"] == "unknown_job", tool
        listing = await c.call_tool("list_jobs", {})
        assert listing.structured_content["total_stored"] == 0  # type: ignore[index]
    assert _runs() == []
    assert {p.pid for p in psutil.Process().children(recursive=True)} <= before


@pytest.mark.anyio
async def test_wait_sends_heartbeats_while_nothing_moves(
    project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tools_jobs, "HEARTBEAT_S", 0.0)
    ticks: list[float] = []

    async def on_progress(progress: float, total: float | None, message: str | None) -> None:
        ticks.append(progress)

    async with Client(build_server()) as c:
        job = await _launch(c, project, envs={"FAKE_GATE": str(tmp_path / "never")})
        result = await c.call_tool(
            "wait_for_job", {"job_id": job["job_id"], "timeout_s": 3}, progress_callback=on_progress
        )
        assert result.structured_content["status"] == "running"  # type: ignore[index]
    assert len(ticks) >= 2 and ticks == sorted(set(ticks))


@pytest.mark.anyio
async def test_a_token_launches_once(project: Path) -> None:
    async with Client(build_server()) as c:
        offer = await c.call_tool("run_oumi_job", _args(project))
        token = offer.structured_content["confirm_token"]  # type: ignore[index]
        first = await c.call_tool("run_oumi_job", _args(project, confirm_token=token))
        assert first.structured_content["launched"]  # type: ignore[index]
        assert (
            _error(await c.call_tool("run_oumi_job", _args(project, confirm_token=token)))["code"]
            == "confirm_token_used"
        )
    assert len(_runs()) == 1


def _answer(action: str, key: str, asked: list[str]) -> Any:
    async def callback(context: Any, params: types.ElicitRequestParams) -> types.ElicitResult:
        asked.append(params.message)
        return types.ElicitResult(
            action=action, content={key: True} if action == "accept" else None
        )

    return callback


@pytest.mark.anyio
@pytest.mark.parametrize("mode", ["auto", "legacy"])
async def test_elicitation_accept_launches_decline_does_not(project: Path, mode: str) -> None:
    asked: list[str] = []
    async with Client(
        build_server(),
        mode=mode,  # type: ignore[arg-type]
        elicitation_callback=_answer("decline", "launch", asked),
    ) as c:
        result = await c.call_tool("run_oumi_job", _args(project))
        assert result.structured_content is not None and not result.structured_content["launched"]
        assert "decline" in result.structured_content["message"]
    assert asked and "Launch oumi train" in asked[0] and str(project / "train.yaml") in asked[0]
    assert _runs() == []
    async with Client(
        build_server(),
        mode=mode,  # type: ignore[arg-type]
        elicitation_callback=_answer("accept", "launch", asked),
    ) as c:
        result = await c.call_tool("run_oumi_job", _args(project))
        job = result.structured_content["job"]  # type: ignore[index]
        assert result.structured_content["launched"] and job["job_id"]  # type: ignore[index]
        done = await c.call_tool("wait_for_job", {"job_id": job["job_id"], "timeout_s": 60})
        assert done.structured_content["status"] == "completed"  # type: ignore[index]
    assert len(_runs()) == 1


@pytest.mark.anyio
async def test_cancel_through_the_client(project: Path) -> None:
    async with Client(build_server()) as c:
        job = await _launch(c, project, envs={"FAKE_STEPS": "600", "FAKE_DELAY": "0.1"})
        await c.call_tool(
            "wait_for_job", {"job_id": job["job_id"], "until": "running", "timeout_s": 30}
        )
        offer = await c.call_tool("cancel_job", {"job_id": job["job_id"], "force": True})
        token = offer.structured_content["confirm_token"]  # type: ignore[index]
        assert token and offer.structured_content["status"] == "running"  # type: ignore[index]
        result = await c.call_tool(
            "cancel_job", {"job_id": job["job_id"], "force": True, "confirm_token": token}
        )
        assert result.structured_content["status"] == "cancelled"  # type: ignore[index]
        assert result.structured_content["remaining_pids"] == []  # type: ignore[index]
        again = await c.call_tool("cancel_job", {"job_id": job["job_id"]})
        assert "already ended" in again.structured_content["message"]  # type: ignore[index]
    asked: list[str] = []
    async with Client(build_server()) as c:
        job = await _launch(c, project, envs={"FAKE_STEPS": "600", "FAKE_DELAY": "0.1"})
    async with Client(build_server(), elicitation_callback=_answer("accept", "cancel", asked)) as c:
        result = await c.call_tool("cancel_job", {"job_id": job["job_id"], "force": True})
        assert result.structured_content["status"] == "cancelled", result  # type: ignore[index]
    assert asked and job["job_id"] in asked[-1]


@pytest.mark.anyio
async def test_tool_list_stays_small() -> None:
    async with Client(build_server()) as c:
        tools = [t for t in (await c.list_tools()).tools if t.name in JOB_TOOLS]
    assert {t.name for t in tools} == set(JOB_TOOLS)
    sizes = {t.name: len(t.model_dump_json(exclude_none=True, by_alias=True)) for t in tools}
    assert sum(sizes.values()) / len(sizes) < 1150, sizes
    for tool in tools:
        assert tool.annotations is not None and tool.annotations.read_only_hint is not None
        assert tool.output_schema is not None


def _server_cmd() -> list[str]:
    return [sys.executable, "-c", "from oumi_mcp_server.cli.main import main; main()", "serve"]


class RawServer:
    """A stdio server we can SIGKILL: raw JSON-RPC over its pipes."""

    def __init__(self, env: dict[str, str]) -> None:
        self.proc = subprocess.Popen(
            _server_cmd(),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env=env,
            text=True,
        )
        self.next_id = 0
        self.request(
            "initialize",
            {
                "protocolVersion": "2025-06-18",
                "capabilities": {},
                "clientInfo": {"name": "t", "version": "0"},
            },
        )
        self.notify("notifications/initialized")

    def notify(self, method: str) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(json.dumps({"jsonrpc": "2.0", "method": method}) + "\n")
        self.proc.stdin.flush()

    def request(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.next_id += 1
        self.proc.stdin.write(
            json.dumps({"jsonrpc": "2.0", "id": self.next_id, "method": method, "params": params})
            + "\n"
        )
        self.proc.stdin.flush()
        while True:
            line = self.proc.stdout.readline()
            assert line, "server closed stdout"
            message = json.loads(line)
            if message.get("id") == self.next_id:
                return message["result"]  # type: ignore[no-any-return]

    def call(self, tool: str, args: dict[str, Any]) -> dict[str, Any]:
        return self.request("tools/call", {"name": tool, "arguments": args})["structuredContent"]  # type: ignore[no-any-return]


def _stdio_params() -> StdioServerParameters:
    return StdioServerParameters(
        command=_server_cmd()[0], args=_server_cmd()[1:], env=subprocess_env()
    )


@pytest.mark.anyio
@pytest.mark.parametrize("fail", [False, True])
@pytest.mark.slow
async def test_sigkilled_server_then_a_new_one_reports_the_job(
    project: Path, tmp_path: Path, fail: bool
) -> None:
    gate = tmp_path / "gate"
    envs = {"FAKE_GATE": str(gate)} | ({"FAKE_FAIL": "1"} if fail else {})
    server = RawServer(subprocess_env())
    try:
        offer = server.call("run_oumi_job", _args(project, envs=envs))
        launched = server.call(
            "run_oumi_job", _args(project, envs=envs, confirm_token=offer["confirm_token"])
        )
        job_id = launched["job"]["job_id"]
    finally:
        server.proc.send_signal(signal.SIGKILL)
        server.proc.wait()
    async with Client(_stdio_params()) as c:
        first = (await c.call_tool("get_job_status", {"job_id": job_id})).structured_content
        assert first is not None and first["status"] in ("queued", "running"), first
        gate.touch()
        final = (
            await c.call_tool("wait_for_job", {"job_id": job_id, "timeout_s": 120})
        ).structured_content
        logs = (await c.call_tool("get_job_logs", {"job_id": job_id})).structured_content
    assert final is not None and logs is not None
    stdout = logs["streams"][0]["text"]
    assert "fake oumi" in stdout and "'loss': 1.75" in stdout
    if fail:
        assert final["status"] == "failed" and final["exit_code"] == 2
        assert any("ValueError: dataset not found" in ln for ln in final["error_lines"])
    else:
        assert final["status"] == "completed" and final["exit_code"] == 0
        assert final["progress"]["step"] == 5


@pytest.mark.oumi
@pytest.mark.anyio
async def test_real_tiny_train_then_infer(
    tiny_assets: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("OUMI_MCP_OUMI_BIN", raising=False)
    out = tmp_path / "trained"
    root = tiny_assets.root
    ticks: list[float] = []

    async def on_progress(progress: float, total: float | None, message: str | None) -> None:
        ticks.append(progress)

    async with Client(build_server()) as c:
        plan = await c.call_tool(
            "run_oumi_job", _args(root, config=str(tiny_assets.train_config.relative_to(root)))
        )
        assert plan.structured_content is not None
        assert plan.structured_content["plan"]["preflight_ready"] is True, plan.structured_content
        train = await _launch(
            c,
            root,
            config=str(tiny_assets.train_config.relative_to(root)),
            overrides={"training.output_dir": str(out)},
            job_name="tiny-train",
        )
        done = await c.call_tool(
            "wait_for_job",
            {"job_id": train["job_id"], "timeout_s": 300},
            progress_callback=on_progress,
        )
        view = done.structured_content
        assert view is not None and view["status"] == "completed", view
        assert view["exit_code"] == 0
        prog = view["progress"]
        assert (
            prog["step"] == prog["total_steps"] == tiny_assets.train_steps
            and prog["fraction"] == 1.0
        )
        assert prog["loss"] < prog["first_loss"]
        assert (out / "model.safetensors").exists() and (out / "config.json").exists()
        assert ticks and ticks == sorted(ticks)
        logs = await c.call_tool(
            "get_job_logs", {"job_id": train["job_id"], "grep": "loss", "tail": 3}
        )
        assert "loss" in logs.structured_content["streams"][0]["text"]  # type: ignore[index]
        predictions = tmp_path / "predictions.jsonl"
        infer = await _launch(
            c,
            root,
            command="infer",
            config=str(tiny_assets.infer_config.relative_to(root)),
            overrides={
                "model.model_name": str(out),
                "input_path": str(tiny_assets.prompts_jsonl),
                "output_path": str(predictions),
            },
        )
        done = await c.call_tool("wait_for_job", {"job_id": infer["job_id"], "timeout_s": 300})
        assert done.structured_content["status"] == "completed", done  # type: ignore[index]
    rows = [json.loads(line) for line in predictions.read_text().splitlines()]
    assert len(rows) == 2 and rows[0]["messages"][-1]["role"] == "assistant"
