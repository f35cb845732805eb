"""Streamable HTTP: a real client works; foreign Host/Origin get 403; the bearer token gates it."""

from __future__ import annotations

import socket
import subprocess
import time
from collections.abc import Iterator

import httpx2
import pytest
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

from oumi_mcp_server.core.scripts import server_argv
from oumi_mcp_server.server.http_guard import HttpGuard, _host_only
from oumi_mcp_server.server.transports import allowed_hosts_for
from testsupport import free_port, stop_process, subprocess_env

TOKEN = "test-token-0123456789abcdef"
INIT = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {
        "protocolVersion": "2025-06-18",
        "capabilities": {},
        "clientInfo": {"name": "http-test", "version": "0"},
    },
}
ACCEPT = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json"}


def serve_command(*args: str) -> list[str]:
    return server_argv("serve", "--http", *args)


def start_server(*args: str, port: int) -> subprocess.Popen[bytes]:
    env = subprocess_env()
    env.pop("OUMI_MCP_TOKEN", None)
    proc = subprocess.Popen(
        serve_command("--port", str(port), *args),
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
            raise AssertionError(f"server exited early ({proc.returncode}): {err[-2000:]}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return proc
        except OSError:
            time.sleep(0.1)
    stop(proc)
    raise AssertionError("the HTTP server did not start listening within 60 s")


def stop(proc: subprocess.Popen[bytes]) -> None:
    stop_process(proc)
    if proc.stderr:
        proc.stderr.close()


@pytest.fixture(scope="module")
def open_server() -> Iterator[str]:
    port = free_port()
    proc = start_server(port=port)
    try:
        yield f"http://127.0.0.1:{port}/mcp"
    finally:
        stop(proc)


@pytest.fixture(scope="module")
def token_server() -> Iterator[str]:
    port = free_port()
    proc = start_server("--token", TOKEN, port=port)
    try:
        yield f"http://127.0.0.1:{port}/mcp"
    finally:
        stop(proc)


@pytest.mark.anyio
async def test_a_real_client_lists_tools_over_http(open_server: str) -> None:
    async with Client(open_server) as client:
        tools = (await client.list_tools()).tools
        resources = (await client.list_resources()).resources
    assert tools
    assert any(str(r.uri) == "guidance://workflow" for r in resources)


def test_loopback_origin_is_accepted(open_server: str) -> None:
    port = open_server.split(":")[2].split("/")[0]
    answer = httpx2.post(
        open_server, json=INIT, headers={**ACCEPT, "Origin": f"http://localhost:{port}"}
    )
    assert answer.status_code == 200


def test_foreign_origin_is_refused(open_server: str) -> None:
    answer = httpx2.post(
        open_server, json=INIT, headers={**ACCEPT, "Origin": "http://evil.example"}
    )
    assert answer.status_code == 403
    assert answer.json()["error"]["code"] == "forbidden"


def test_foreign_host_is_refused(open_server: str) -> None:
    answer = httpx2.post(open_server, json=INIT, headers={**ACCEPT, "Host": "evil.example:80"})
    assert answer.status_code == 403


def test_wildcard_bind_without_token_refuses_to_start() -> None:
    env = subprocess_env()
    env.pop("OUMI_MCP_TOKEN", None)
    done = subprocess.run(
        serve_command("--host", "0.0.0.0", "--port", str(free_port())),
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert done.returncode != 0
    assert "Refusing to bind 0.0.0.0 without a bearer token" in done.stderr
    assert "--token" in done.stderr


def test_token_server_refuses_missing_and_wrong_tokens(token_server: str) -> None:
    missing = httpx2.post(token_server, json=INIT, headers=ACCEPT)
    assert missing.status_code == 401
    assert missing.headers["www-authenticate"].startswith("Bearer")
    wrong = httpx2.post(
        token_server, json=INIT, headers={**ACCEPT, "Authorization": "Bearer not-the-token"}
    )
    assert wrong.status_code == 401
    assert TOKEN not in wrong.text


@pytest.mark.anyio
async def test_token_server_serves_a_client_with_the_right_token(token_server: str) -> None:
    http = httpx2.AsyncClient(headers={"Authorization": f"Bearer {TOKEN}"})
    async with http, Client(streamable_http_client(token_server, http_client=http)) as client:
        tools = (await client.list_tools()).tools
    assert tools


# --- the guard's rules, without a server ---


def test_host_parsing_drops_port_and_case() -> None:
    assert _host_only("LOCALHOST:8765") == "localhost"
    assert _host_only("[::1]:8765") == "[::1]"
    assert _host_only("127.0.0.1") == "127.0.0.1"


def test_allowed_hosts_follow_the_bind_address() -> None:
    assert allowed_hosts_for("127.0.0.1") == ("127.0.0.1", "localhost", "[::1]")
    assert allowed_hosts_for("0.0.0.0") is None
    assert allowed_hosts_for("10.1.2.3") == ("127.0.0.1", "localhost", "[::1]", "10.1.2.3")
    with pytest.raises(ValueError, match="token"):
        HttpGuard(app=lambda *a: None, allowed_hosts=None, token=None)  # type: ignore[arg-type]


def test_wildcard_guard_accepts_any_host_but_still_checks_origin_and_token() -> None:
    guard = HttpGuard(app=lambda *a: None, allowed_hosts=None, token=TOKEN)  # type: ignore[arg-type]
    good = {"host": "gpu-box.lan:8765", "authorization": f"Bearer {TOKEN}"}
    assert guard._check(good) is None
    assert guard._check({**good, "origin": "http://gpu-box.lan:8765"}) is None
    assert guard._check({**good, "origin": "http://evil.example"}) == (
        403,
        "Origin not allowed (DNS rebinding protection).",
    )
    assert guard._check({"host": "gpu-box.lan"})[0] == 401  # type: ignore[index]
