"""Fuzz every tool, resource template and prompt of the live server from its own schema.

Seeded hypothesis runs, several thousand calls in all, through the in-memory client, plus a
smaller pass over a real `oumi-mcp-server serve` subprocess. Every answer: no exception escapes
the client, every error is `{"error": {"code", "message", "fix"}}` JSON and not a crash, no
answer over 8 KB unless the caller asked for more, and nothing written outside the state and
cache folders and client_cwd. Nothing launches: the only confirm_tokens passed are made up,
except in the one test that launches on purpose.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import anyio
import pytest
from anyio.from_thread import start_blocking_portal
from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st
from mcp import Client
from mcp.shared.exceptions import MCPError
from mcp.types import CallToolResult, TextContent

from jobs.jobhelpers import kill_jobs, wait_until
from oumi_mcp_server.preflight import warmup
from oumi_mcp_server.server.app import build_server
from server.fuzzcheck import (
    ANSWER_LIMIT,
    CALL_TIMEOUT_S,
    MARKER,
    VIEW_LIMIT,
    Harness,
    World,
    answer_text,
    assert_error_json,
    build_world,
    check_answer,
    short,
)
from server.fuzzing import FAKE_TOKENS, arguments, json_values, texts
from server.test_stdio import RawStdioServer, _assert_all_jsonrpc

pytestmark = pytest.mark.slow  # the module's server imports oumi once (~20 s), then ~90 s of calls
SEED = 20_251_204
PENDING_JOB_MODEL: set[str] = set()
"""Tools whose fuzz findings wait for the job-model refactor (listed in the report): skipped."""
BUDGET = {"validate_config": 120, "pre_flight_check": 120, "list_clusters": 60}
DEFAULT_BUDGET = 260
TOOL_NAMES = [t.name for t in anyio.run(build_server().list_tools)]
LAUNCH = {"command": "train", "config": "train.yaml"}


def fuzz_settings(examples: int) -> Callable[[Any], Any]:
    return settings(
        max_examples=examples,
        deadline=None,
        database=None,
        derandomize=False,
        suppress_health_check=list(HealthCheck),
        print_blob=True,
    )


def enter(world: World, env: dict[str, str], patch: pytest.MonkeyPatch) -> None:
    for key, value in env.items():
        patch.setenv(key, value)
    patch.setattr(tempfile, "tempdir", str(world.tmp))
    patch.chdir(world.cwd)


@pytest.fixture(scope="module")
def world_env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[World, dict[str, str]]]:
    """One world for the module (its server keeps one state folder), entered while it lives."""
    world, env = build_world(tmp_path_factory.mktemp("fuzz"))
    with pytest.MonkeyPatch.context() as patch:
        enter(world, env, patch)
        yield world, env


@pytest.fixture
def world(
    world_env: tuple[World, dict[str, str]],
    isolated_env: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> World:
    """The module's world again, over the private env conftest gives each test."""
    enter(*world_env, monkeypatch)
    return world_env[0]


@pytest.fixture(scope="module")
def harness(world_env: tuple[World, dict[str, str]]) -> Iterator[Harness]:
    world, _ = world_env
    with (
        start_blocking_portal() as portal,
        portal.wrap_async_context_manager(Client(build_server())) as client,
    ):
        h = Harness(portal, client, world)
        h.schemas = {t.name: t.input_schema for t in h.run(client.list_tools).tools}
        train = {"config": "train.yaml", "client_cwd": str(world.project)}
        # The first validate_config answers at once and imports oumi in the background: wait
        # for it, then once more for oumi's own loader, so no import lands in a later call.
        h.warm_up("validate_config", train, lambda: warmup.wait(CALL_TIMEOUT_S))
        for name, args in (
            ("validate_config", train),
            ("pre_flight_check", train),
            ("run_oumi_job", {**LAUNCH, **train, "cloud": "fuzzcloud"}),
            ("list_clusters", {}),
        ):
            if name not in PENDING_JOB_MODEL:
                h.warm_up(name, args)
        yield h


@pytest.mark.parametrize("tool", TOOL_NAMES)
def test_tool_answers_stay_structured_small_and_contained(
    tool: str, harness: Harness, world: World
) -> None:
    if tool in PENDING_JOB_MODEL:
        pytest.skip(f"{tool}: fuzz findings pending the job-model refactor")
    writes = harness.warm_up_writes.get(tool)
    assert not writes, f"{tool}'s first call wrote outside its folders: {writes[:10]}"

    @seed(SEED)
    @fuzz_settings(BUDGET.get(tool, DEFAULT_BUDGET))
    @given(args=arguments(harness.schemas[tool], world))
    def fuzz(args: dict[str, Any]) -> None:
        harness.check_tool(tool, args)

    fuzz()


def test_unknown_tools_answer_structured(harness: Harness, world: World) -> None:
    @seed(SEED)
    @fuzz_settings(60)
    @given(name=texts(world), args=st.dictionaries(st.text(max_size=8), json_values, max_size=3))
    def fuzz(name: str, args: dict[str, Any]) -> None:
        if name not in harness.schemas:
            result = harness.check_tool(name, args)
            assert result.is_error, f"unknown tool {short(name)} did not fail"

    fuzz()


def _uri_parts(world: World) -> st.SearchStrategy[str]:
    return st.one_of(
        texts(world),
        st.sampled_from(["running", "index", "workflow", "%2e%2e", "a%00b", "..%2F..", "?x=1#y"]),
    )


def test_resources_answer_structured_and_small(harness: Harness, world: World) -> None:
    listed = [r.uri for r in harness.run(harness.client.list_resources).resources]
    templates = [
        t.uri_template
        for t in harness.run(harness.client.list_resource_templates).resource_templates
    ]
    assert listed and templates
    uris = st.one_of(
        st.sampled_from(listed),
        st.builds(
            lambda tpl, value: tpl.replace("{job_id}", value).replace("{name}", value),
            st.sampled_from(templates),
            _uri_parts(world),
        ),
        st.builds(
            lambda scheme, rest: f"{scheme}://{rest}",
            st.sampled_from(["jobs", "guidance", "file", "http", "fuzz", ""]),
            _uri_parts(world),
        ),
        texts(world),
    )

    @seed(SEED)
    @fuzz_settings(400)
    @given(uri=uris)
    def fuzz(uri: str) -> None:
        def act() -> None:
            try:
                result = harness.run(lambda: harness.client.read_resource(uri, cache_mode="bypass"))
            except MCPError as exc:
                assert_error_json(exc.error.message, f"resources/read {short(uri)}")
                return
            except Exception as exc:
                raise AssertionError(f"resources/read {short(uri)} raised {exc!r}") from exc
            size = sum(
                len(getattr(c, "text", "") or getattr(c, "blob", "")) for c in result.contents
            )
            limit = VIEW_LIMIT if uri.startswith("ui://") else ANSWER_LIMIT
            assert size <= limit, f"resources/read {short(uri)}: {size:,} bytes"

        harness.watch("resources/read", uri, act)

    fuzz()


def test_prompts_answer_structured_and_small(harness: Harness, world: World) -> None:
    prompts = {p.name: p for p in harness.run(harness.client.list_prompts).prompts}
    assert prompts

    @st.composite
    def prompt_call(draw: st.DrawFn) -> tuple[str, dict[str, str]]:
        name = draw(st.sampled_from(sorted(prompts)) | texts(world))
        declared = [a.name for a in (prompts[name].arguments or [])] if name in prompts else []
        keys = draw(st.lists(st.sampled_from(declared) if declared else st.nothing(), unique=True))
        args = {k: draw(texts(world)) for k in keys}
        if draw(st.integers(0, 4)) == 0:
            args.update(draw(st.dictionaries(st.text(max_size=10), texts(world), max_size=2)))
        return name, args

    @seed(SEED)
    @fuzz_settings(300)
    @given(call=prompt_call())
    def fuzz(call: tuple[str, dict[str, str]]) -> None:
        name, args = call

        def act() -> None:
            try:
                result = harness.run(lambda: harness.client.get_prompt(name, args))
            except MCPError as exc:
                assert_error_json(exc.error.message, f"prompts/get {short(name)}{short(args)}")
                return
            except Exception as exc:
                raise AssertionError(f"prompts/get {short(name)} raised {exc!r}") from exc
            size = len(result.model_dump_json(by_alias=True))
            assert size <= ANSWER_LIMIT, f"prompts/get {short(name)}{short(args)}: {size:,} bytes"

        harness.watch("prompts/get", args, act)

    fuzz()


def test_stdio_server_survives_the_fuzz_with_pure_stdout(
    world_env: tuple[World, dict[str, str]], world: World
) -> None:
    _, env = world_env
    server = RawStdioServer({**os.environ, **env, "PYTHONUNBUFFERED": "1"}, cwd=world.cwd)
    try:
        assert "result" in server.initialize()
        tools = server.request("tools/list")["result"]["tools"]
        schemas = {t["name"]: t["inputSchema"] for t in tools if t["name"] not in PENDING_JOB_MODEL}
        calls = st.sampled_from(sorted(schemas)).flatmap(
            lambda n: st.tuples(st.just(n), arguments(schemas[n], world))
        )

        @seed(SEED)
        @fuzz_settings(200)
        @given(call=calls)
        def fuzz(call: tuple[str, dict[str, Any]]) -> None:
            name, args = call
            try:
                json.dumps(args, allow_nan=False)
            except ValueError:
                return  # NaN and 4,300+ digit integers have no JSON spelling to send
            answer = server.request(
                "tools/call", {"name": name, "arguments": args}, timeout=CALL_TIMEOUT_S
            )
            assert server.proc.poll() is None, f"server died on {name}{short(args)}"
            if "error" in answer:
                assert_error_json(answer["error"]["message"], f"{name}{short(args)} (protocol)")
                return
            result = CallToolResult.model_validate(answer["result"])
            check_answer(name, args, result)

        fuzz()
        assert server.proc.poll() is None, "the server exited"
    finally:
        server.close()
    _assert_all_jsonrpc(server.raw_lines)


def test_a_real_confirm_token_launches_and_the_job_answers_stay_structured(
    harness: Harness, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The one place a real token is passed: in a state folder of its own, then fuzz that job."""
    if "run_oumi_job" in PENDING_JOB_MODEL:
        pytest.skip("run_oumi_job: pending the job-model refactor")
    state = world.root / "state-launch"
    monkeypatch.setenv("OUMI_MCP_STATE_DIR", str(state))
    request = {**LAUNCH, "client_cwd": str(world.project)}
    try:
        plan = harness.check_tool("run_oumi_job", request)
        assert not plan.is_error, answer_text(plan)
        token = (plan.structured_content or {})["confirm_token"]
        for fake in [*FAKE_TOKENS, token[:-1], token + "0", token.replace(".", "..", 1)]:
            refused = harness.check_tool("run_oumi_job", {**request, "confirm_token": fake})
            assert refused.is_error, f"run_oumi_job accepted the made-up token {fake!r}"
        launched = harness.check_tool("run_oumi_job", {**request, "confirm_token": token})
        assert not launched.is_error, answer_text(launched)
        job_id = (launched.structured_content or {})["job"]["job_id"]
        again = harness.check_tool("run_oumi_job", {**request, "confirm_token": token})
        assert again.is_error, "a confirm_token was accepted twice"
        wait_until(
            lambda: harness.check_tool("get_job_status", {"job_id": job_id}).structured_content,
            lambda view: (view or {}).get("status") in ("completed", "failed"),
            timeout=120,
        )
        job_tools = ["get_job_status", "get_job_logs", "wait_for_job", "cancel_job"]

        @seed(SEED)
        @fuzz_settings(120)
        @given(name=st.sampled_from(job_tools), data=st.data())
        def fuzz(name: str, data: st.DataObject) -> None:
            args = data.draw(arguments(harness.schemas[name], world))
            if "job_id" in args and data.draw(st.booleans()):
                args["job_id"] = job_id
            if name == "wait_for_job":
                args["timeout_s"] = 1
            harness.check_tool(name, args)

        fuzz()
    finally:
        kill_jobs(state)


def test_the_checks_catch_what_they_look_for(harness: Harness, world: World) -> None:
    """Each check fails on its kind of bug: prose errors, crashes, big answers, leaked files."""
    prose = CallToolResult(
        content=[TextContent(type="text", text="Error executing tool x")], is_error=True
    )
    with pytest.raises(AssertionError, match="not JSON"):
        check_answer("x", {}, prose)
    crash = '{"error": {"code": "internal_error", "message": "m", "fix": "f"}}'
    with pytest.raises(AssertionError, match="crashed"):
        assert_error_json(crash, "x")
    with pytest.raises(AssertionError, match="no fix"):
        assert_error_json('{"error": {"code": "c", "message": "m"}}', "x")
    big = CallToolResult(content=[TextContent(type="text", text="x" * (ANSWER_LIMIT + 1))])
    with pytest.raises(AssertionError, match="answer of"):
        check_answer("search_configs", {}, big)
    leak = world.home / f"{MARKER}-selftest"
    with pytest.raises(AssertionError, match="wrote outside"):
        harness.watch("x", {}, lambda: leak.write_text("x"))
    leak.unlink()
    tmp_leak = Path("/tmp") / f"{MARKER}-selftest-{os.getpid()}"
    with pytest.raises(AssertionError, match="wrote outside"):
        harness.watch("x", {}, lambda: tmp_leak.write_text("x"))
    tmp_leak.unlink()
