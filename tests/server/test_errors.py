"""Every failure at the MCP surface reaches the client as `{"error": {code, message, fix}}` JSON."""

from __future__ import annotations

import errno
import json
from typing import Any

import pytest
from mcp import Client
from mcp.server.mcpserver.exceptions import ToolError
from mcp.shared.exceptions import MCPError
from mcp.types import CallToolResult, TextContent

from oumi_mcp_server.core.errors import ServiceError
from oumi_mcp_server.server.app import build_server
from oumi_mcp_server.server.errors import StructuredServer

HUGE = "q" * 1_000_000


def error_of(result: CallToolResult) -> dict[str, Any]:
    assert result.is_error
    (content,) = result.content
    assert isinstance(content, TextContent)
    assert len(content.text) < 2000, content.text[:300]
    error: dict[str, Any] = json.loads(content.text)["error"]
    assert error["code"] and error["message"] and error["fix"], error
    return error


def protocol_error_of(exc: pytest.ExceptionInfo[MCPError]) -> dict[str, Any]:
    assert len(exc.value.error.message) < 2000
    error: dict[str, Any] = json.loads(exc.value.error.message)["error"]
    assert error["code"] and error["message"] and error["fix"], error
    return error


@pytest.mark.anyio
async def test_schema_invalid_arguments_name_the_argument_and_what_is_expected() -> None:
    async with Client(build_server()) as client:
        wrong = error_of(await client.call_tool("get_config", {"path": "x", "max_chars": HUGE}))
        missing = error_of(await client.call_tool("get_config", {"include_content": False}))
        huge_int = error_of(await client.call_tool("search_configs", {"limit": 10**5000}))
    assert wrong["code"] == "bad_argument"
    assert "'max_chars'" in wrong["message"] and "integer" in wrong["fix"]
    assert "Cut the YAML" in wrong["fix"]  # the parameter's own description
    assert "pydantic" not in json.dumps(wrong) and "qqqq" * 30 not in wrong["message"]
    assert missing["code"] == "bad_argument" and "'path' is missing" in missing["message"]
    assert "Required: path" in missing["fix"]
    assert huge_int["code"] == "bad_argument" and "bits" in huge_int["message"]


@pytest.mark.anyio
async def test_unknown_tools_resources_and_prompts_are_structured_and_short() -> None:
    async with Client(build_server()) as client:
        tool = error_of(await client.call_tool(HUGE, {}))
        with pytest.raises(MCPError) as resource:
            await client.read_resource("jobs://" + HUGE + "/x/y")
        with pytest.raises(MCPError) as prompt:
            await client.get_prompt(HUGE, {})
    assert tool["code"] == "unknown_tool"
    assert protocol_error_of(resource)["code"] == "unknown_resource"
    assert protocol_error_of(prompt)["code"] == "unknown_prompt"


def _faulty_server() -> StructuredServer:
    app = StructuredServer(name="faulty")

    @app.tool()
    async def crash() -> str:
        raise RuntimeError("internal detail 12345")

    @app.tool()
    async def refuse_in_resolver_style() -> str:
        raise ToolError(ServiceError("bad_plan", "The plan is bad.", "Fix it.").to_json())

    @app.tool()
    async def undecorated() -> str:
        raise ServiceError("nope", "Refused.", "Do the other thing.")

    @app.tool()
    async def long_name() -> str:
        raise OSError(errno.ENAMETOOLONG, "File name too long", "x" * 5000)

    @app.tool()
    async def secret(api_token: int) -> int:
        return api_token

    @app.resource("things://{name}")
    async def thing(name: str) -> str:
        if name == "crash":
            raise RuntimeError("internal detail 12345")
        raise ServiceError("unknown_thing", f"No thing {name}.", "List the things.")

    return app


@pytest.mark.anyio
async def test_crashes_refusals_and_os_errors_all_reach_the_client_structured() -> None:
    async with Client(_faulty_server()) as client:
        crash = error_of(await client.call_tool("crash", {}))
        resolver = error_of(await client.call_tool("refuse_in_resolver_style", {}))
        undecorated = error_of(await client.call_tool("undecorated", {}))
        long_name = error_of(await client.call_tool("long_name", {}))
        secret = error_of(await client.call_tool("secret", {"api_token": "hunter2-value"}))
        with pytest.raises(MCPError) as unknown_thing:
            await client.read_resource("things://other")
        with pytest.raises(MCPError) as crashed_thing:
            await client.read_resource("things://crash")
    assert crash["code"] == "internal_error" and "12345" not in json.dumps(crash)
    assert resolver == {"code": "bad_plan", "message": "The plan is bad.", "fix": "Fix it."}
    assert undecorated["code"] == "nope"
    assert long_name["code"] == "path_too_long"
    assert secret["code"] == "bad_argument" and "hunter2" not in json.dumps(secret)
    assert protocol_error_of(unknown_thing)["code"] == "unknown_thing"
    crashed = protocol_error_of(crashed_thing)
    assert crashed["code"] == "internal_error" and "12345" not in json.dumps(crashed)
