"""An error in a tool's argument-resolve step (the launch plan, the consent questions) reaches the
client as pure `{"error": {...}}` JSON, like any other tool error: never prefixed with the SDK's
"Error executing tool run_oumi_job: ". Checked on a bare MCPServer too, so it does not hang on
the server class that maps the SDK's own errors."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from mcp import Client
from mcp.server.mcpserver import MCPServer
from mcp.types import ElicitResult

from oumi_mcp_server.server import tools_jobs
from oumi_mcp_server.server.app import build_server


def bare_server() -> MCPServer:
    app = MCPServer(name="jobs-only")
    tools_jobs.register(app)
    return app


SERVERS = {"app": build_server, "bare": bare_server}


async def accept_all(context: Any, params: Any) -> ElicitResult:
    return ElicitResult(action="accept", content={"launch": True, "cancel": True})


def pure_error(result: Any) -> dict[str, Any]:
    """The error object of an isError result whose whole text is the error JSON."""
    assert result.is_error
    text = result.content[0].text
    assert text.startswith('{"error"'), text[:120]
    error: dict[str, Any] = json.loads(text)["error"]
    assert error["message"] and error["fix"]
    return error


def launch_args(project: Path, **changes: Any) -> dict[str, Any]:
    (project / "train.yaml").write_text("model:\n  model_name: gpt2\n")
    return {"command": "train", "config": "train.yaml", "client_cwd": str(project)} | changes


# Each one is refused while the plan is built, inside the resolver.
PLAN_REFUSALS = {
    "config_not_found": {"config": "missing.yaml"},
    "bad_client_cwd": {"client_cwd": "relative/folder"},
    "bad_override": {"overrides": {"training.max_steps": "1; rm -rf /"}},
    "bad_job_name": {"job_name": "no spaces or $hell"},
    "bad_env": {"envs": {"BAD NAME": "x"}},
}


@pytest.mark.anyio
@pytest.mark.parametrize("server", sorted(SERVERS))
@pytest.mark.parametrize("elicits", [False, True], ids=["token-flow", "elicitation"])
async def test_launch_plan_refusals_are_pure_json(
    server: str, elicits: bool, tmp_path: Path
) -> None:
    options: dict[str, Any] = {"elicitation_callback": accept_all} if elicits else {}
    codes = {}
    async with Client(SERVERS[server](), **options) as client:
        for expected, change in PLAN_REFUSALS.items():
            result = await client.call_tool("run_oumi_job", launch_args(tmp_path, **change))
            codes[expected] = pure_error(result)["code"]
    assert codes == {code: code for code in PLAN_REFUSALS}


@pytest.mark.anyio
@pytest.mark.parametrize("server", sorted(SERVERS))
async def test_cancel_question_for_an_unknown_job_is_pure_json(server: str) -> None:
    async with Client(SERVERS[server](), elicitation_callback=accept_all) as client:
        result = await client.call_tool("cancel_job", {"job_id": "no-such-job"})
    assert pure_error(result)["code"] == "unknown_job"
