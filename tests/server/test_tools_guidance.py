"""Prompts through a real client: bad arguments get a structured INVALID_PARAMS error naming
them (never "Internal server error"), good ones render."""

from __future__ import annotations

import json

import pytest
from mcp import Client
from mcp.shared.exceptions import MCPError
from mcp.types import INVALID_PARAMS

from oumi_mcp_server.server.app import build_server
from oumi_mcp_server.server.tools_guidance import MAX_ARGUMENT_BYTES


async def prompt_error(name: str, arguments: dict[str, str]) -> dict[str, str]:
    async with Client(build_server()) as client:
        with pytest.raises(MCPError) as err:
            await client.get_prompt(name, arguments)
    assert err.value.code == INVALID_PARAMS, err.value.message
    error: dict[str, str] = json.loads(err.value.message)["error"]
    assert error["message"] and error["fix"]
    return error


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("name", "arguments", "missing"),
    [
        ("fine_tune", {}, "goal"),
        ("fine_tune", {"base_model": "llama"}, "goal"),
        ("fine_tune", {"goal": "   "}, "goal"),
        ("wrap_up_run", {}, "job_id"),
    ],
)
async def test_a_missing_argument_is_named(
    name: str, arguments: dict[str, str], missing: str
) -> None:
    error = await prompt_error(name, arguments)
    assert error["code"] == "missing_prompt_argument"
    assert missing in error["message"] and f"{missing} (required)" in error["fix"]


@pytest.mark.anyio
async def test_unknown_and_oversized_arguments_are_refused_without_echoing_them() -> None:
    unknown = await prompt_error("wrap_up_run", {"job_id": "x", "n" * 5000: "v"})
    assert unknown["code"] == "unknown_prompt_argument" and len(json.dumps(unknown)) < 1000
    big = "g" * (MAX_ARGUMENT_BYTES + 1)
    oversized = await prompt_error("fine_tune", {"goal": big})
    assert oversized["code"] == "prompt_argument_too_long" and big not in json.dumps(oversized)


@pytest.mark.anyio
async def test_prompts_list_required_arguments_and_render() -> None:
    async with Client(build_server()) as client:
        listed = {p.name: p for p in (await client.list_prompts()).prompts}
        result = await client.get_prompt(
            "fine_tune", {"goal": "answer in French", "data": "d.jsonl"}
        )
    goal = next(a for a in listed["fine_tune"].arguments or [] if a.name == "goal")
    assert goal.required and goal.description
    text = result.messages[0].content.text  # type: ignore[union-attr]
    assert "Goal: answer in French" in text and "Data: d.jsonl" in text
