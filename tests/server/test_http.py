"""Streamable HTTP, always behind a bearer token (loopback too): a real client works with it;
no token, a wrong one or a foreign Host/Origin is refused; sessions are capped per client."""

from __future__ import annotations

import asyncio
import json
import socket
import stat
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx2
import pytest
from click.testing import CliRunner
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

from oumi_mcp_server.cli.main import cli
from oumi_mcp_server.core.http_token import TOKEN_ENV, TOKEN_FILE, HttpToken
from oumi_mcp_server.core.scripts import server_argv
from oumi_mcp_server.server.http_guard import HttpGuard, allowed_hosts_for, split_authority
from oumi_mcp_server.server.http_sessions import MAX_SESSIONS_PER_CLIENT
from testsupport import free_port, stop_process, subprocess_env

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
PING = {"jsonrpc": "2.0", "id": 2, "method": "ping"}
ACCEPT = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json"}


@dataclass
class Server:
    proc: subprocess.Popen[bytes]
    url: str
    port: int
    state: Path
    log: Path  # the server's stdout and stderr

    @property
    def token(self) -> str:
        return (self.state / TOKEN_FILE).read_text().strip()

    def auth(self, token: str | None = None) -> dict[str, str]:
        return {**ACCEPT, "Authorization": f"Bearer {token or self.token}"}


def start_server(root: Path, *args: str, env: dict[str, str] | None = None) -> Server:
    """`serve --http` on a free loopback port with its own state folder under `root`."""
    root.mkdir(parents=True, exist_ok=True)
    state, log = root / "state", root / "server.log"
    port = free_port()
    full_env = subprocess_env(
        {"OUMI_MCP_STATE_DIR": str(state), "OUMI_MCP_CACHE_DIR": str(root / "cache")}
    )
    full_env.pop(TOKEN_ENV, None)
    full_env.update(env or {})
    with log.open("ab") as out:
        proc = subprocess.Popen(
            server_argv("serve", "--http", "--port", str(port), *args),
            env=full_env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    server = Server(proc, f"http://127.0.0.1:{port}/mcp", port, state, log)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"server exited ({proc.returncode}): {log.read_text()[-2000:]}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return server
        except OSError:
            time.sleep(0.1)
    stop_process(proc)
    raise AssertionError("the HTTP server did not start listening within 60 s")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """One server, no token configured: it generates one in its state folder."""
    started = start_server(tmp_path_factory.mktemp("http"))
    try:
        yield started
    finally:
        stop_process(started.proc)


def test_first_start_generates_a_private_token_and_says_where(server: Server) -> None:
    path = server.state / TOKEN_FILE
    assert stat.S_IMODE(path.stat().st_mode) == 0o600 and len(server.token) >= 32
    output = server.log.read_text()
    assert f"Generated a bearer token in the file {path}" in output
    assert server.token not in output
    cmdline = Path(f"/proc/{server.proc.pid}/cmdline")
    if cmdline.exists():  # nothing secret in what `ps` shows
        assert server.token.encode() not in cmdline.read_bytes()


def test_no_token_is_refused_and_told_how_to_get_one(server: Server) -> None:
    answer = httpx2.post(server.url, json=INIT, headers=ACCEPT)
    assert answer.status_code == 401
    assert answer.headers["www-authenticate"].startswith("Bearer")
    error = answer.json()["error"]
    assert error["code"] == "unauthorized"
    assert (
        str(server.state / TOKEN_FILE) in error["fix"] and "Authorization: Bearer" in error["fix"]
    )
    assert "init <client> --http" in error["fix"]


def test_wrong_tokens_are_refused(server: Server) -> None:
    for wrong in ("not-the-token", server.token[:-1], server.token + "x", server.token.upper()):
        answer = httpx2.post(server.url, json=INIT, headers=server.auth(wrong))
        assert answer.status_code == 401, wrong
        assert server.token not in answer.text and wrong not in answer.text
    basic = httpx2.post(server.url, json=INIT, headers={**ACCEPT, "Authorization": server.token})
    assert basic.status_code == 401


@pytest.mark.anyio
async def test_a_real_client_with_the_token_lists_tools(server: Server) -> None:
    http = httpx2.AsyncClient(headers={"Authorization": f"Bearer {server.token}"})
    async with http, Client(streamable_http_client(server.url, http_client=http)) as client:
        tools = (await client.list_tools()).tools
        resources = (await client.list_resources()).resources
    assert tools
    assert any(str(r.uri) == "guidance://workflow" for r in resources)


def test_origin_must_match_scheme_host_and_port(server: Server) -> None:
    def status(origin: str) -> int:
        headers = {**server.auth(), "Origin": origin}
        return httpx2.post(server.url, json=INIT, headers=headers).status_code

    port = server.port
    assert status(f"http://localhost:{port}") == 200
    assert status(f"http://127.0.0.1:{port}") == 200
    for origin in (
        f"https://127.0.0.1:{port}",  # another scheme
        f"http://127.0.0.1:{port + 1}",  # another port (another local web app)
        "http://127.0.0.1",  # port 80
        f"http://evil.example:{port}",
        "null",
        f"http://127.0.0.1:{port}@evil.example",
    ):
        assert status(origin) == 403, origin


def test_foreign_host_is_refused(server: Server) -> None:
    headers = {**server.auth(), "Host": "evil.example:80"}
    assert httpx2.post(server.url, json=INIT, headers=headers).status_code == 403


def test_sessions_per_client_stay_capped_under_a_burst(server: Server) -> None:
    """Bounded, loopback only: opening 3x the cap keeps the newest ones; a client still gets in."""
    assert MAX_SESSIONS_PER_CLIENT <= 64  # keeps this burst small
    burst = 3 * MAX_SESSIONS_PER_CLIENT
    with httpx2.Client(timeout=30) as http:
        opened = []
        for _ in range(burst):
            answer = http.post(server.url, json=INIT, headers=server.auth())
            assert answer.status_code == 200
            opened.append(answer.headers["mcp-session-id"])

        def alive(session_id: str) -> bool:
            headers = {
                **server.auth(),
                "Mcp-Session-Id": session_id,
                "Mcp-Protocol-Version": "2025-06-18",
            }
            code = http.post(server.url, json=PING, headers=headers).status_code
            assert code in (200, 404)
            return code == 200

        states = [alive(s) for s in opened]
    assert states == [False] * (burst - MAX_SESSIONS_PER_CLIENT) + [True] * MAX_SESSIONS_PER_CLIENT


def test_a_concurrent_burst_gets_sessions_or_a_structured_429(server: Server) -> None:
    async def burst() -> list[httpx2.Response]:
        async with httpx2.AsyncClient(timeout=60) as http:
            posts = [
                http.post(server.url, json=INIT, headers=server.auth())
                for _ in range(2 * MAX_SESSIONS_PER_CLIENT)
            ]
            return list(await asyncio.gather(*posts))

    answers = asyncio.run(burst())
    assert {a.status_code for a in answers} <= {200, 429}
    assert sum(a.status_code == 200 for a in answers) >= MAX_SESSIONS_PER_CLIENT // 2
    for refused in (a for a in answers if a.status_code == 429):
        assert refused.json()["error"]["code"] == "too_many_sessions"
        assert refused.json()["error"]["fix"]
    after = httpx2.post(server.url, json=INIT, headers=server.auth())
    assert after.status_code == 200  # idle sessions make room


@pytest.mark.anyio
async def test_init_http_writes_a_config_that_connects(
    server: Server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OUMI_MCP_STATE_DIR", str(server.state))
    done = CliRunner().invoke(
        cli, ["init", "claude-code", "--project", str(tmp_path), "--http", "--url", server.url]
    )
    assert done.exit_code == 0, done.output
    entry = json.loads((tmp_path / ".mcp.json").read_text())["mcpServers"]["oumi"]
    assert entry["type"] == "http" and entry["url"] == server.url
    http = httpx2.AsyncClient(headers=entry["headers"])
    async with http, Client(streamable_http_client(entry["url"], http_client=http)) as client:
        assert (await client.list_tools()).tools


def test_the_token_survives_a_restart_and_env_or_file_tokens_work(tmp_path: Path) -> None:
    first = start_server(tmp_path)
    try:
        token = first.token
    finally:
        stop_process(first.proc)
    again = start_server(tmp_path)
    try:
        assert again.token == token
        assert "Bearer token from the file" in again.log.read_text()
        assert httpx2.post(again.url, json=INIT, headers=again.auth(token)).status_code == 200
    finally:
        stop_process(again.proc)
    token_file = tmp_path / "my.token"
    token_file.write_text("f" * 48 + "\n")
    token_file.chmod(0o600)
    chosen = start_server(tmp_path / "b", "--token-file", str(token_file))
    try:
        assert httpx2.post(chosen.url, json=INIT, headers=chosen.auth("f" * 48)).status_code == 200
        assert httpx2.post(chosen.url, json=INIT, headers=chosen.auth(token)).status_code == 401
        assert not (chosen.state / TOKEN_FILE).exists()
    finally:
        stop_process(chosen.proc)


# --- the command line: cheap, in-process ---


def run_cli(*args: str, env: dict[str, str] | None = None) -> tuple[int, str, BaseException | None]:
    result = CliRunner().invoke(cli, list(args), env=env)
    return result.exit_code, result.output, result.exception


def test_a_token_on_the_command_line_is_refused() -> None:
    code, output, _ = run_cli("serve", "--http", "--token", "s3cret-" + "x" * 40)
    assert code == 2
    assert "visible to every user in `ps`" in output and "--token-file" in output
    assert TOKEN_ENV in output and "s3cret-" not in output


def test_a_short_token_is_refused_before_serving(tmp_path: Path) -> None:
    code, output, _ = run_cli("serve", "--http", env={TOKEN_ENV: "too-short"})
    assert code == 1 and "at least 32" in output and "too-short" not in output
    short = tmp_path / "short.token"
    short.write_text("abc")
    short.chmod(0o600)
    code, output, _ = run_cli("serve", "--http", "--token-file", str(short))
    assert code == 1 and "at least 32" in output
    code, output, _ = run_cli("serve", "--token-file", str(short))
    assert code == 2 and "--http only" in output


@pytest.mark.parametrize(
    ("args", "env"),
    [
        (("serve", "--log-level", "LOUD"), None),
        (("serve", "--http", "--log-level", "verbose"), None),
        (("serve",), {"OUMI_MCP_LOG_LEVEL": "LOUD"}),
        ((), {"OUMI_MCP_LOG_LEVEL": "LOUD"}),  # bare command: serve stdio
    ],
)
def test_an_unknown_log_level_is_a_clean_usage_error(
    args: tuple[str, ...], env: dict[str, str] | None
) -> None:
    code, output, exc = run_cli(*args, env=env)
    assert code == 2 and isinstance(exc, SystemExit), output
    assert "DEBUG" in output and "Traceback" not in output


def test_log_levels_are_case_insensitive(monkeypatch: pytest.MonkeyPatch) -> None:
    from oumi_mcp_server.cli.main import _log_level

    monkeypatch.delenv("OUMI_MCP_LOG_LEVEL", raising=False)
    assert _log_level("debug") == "DEBUG" and _log_level(None) is None
    monkeypatch.setenv("OUMI_MCP_LOG_LEVEL", "warning")
    assert _log_level(None) == "WARNING"


# --- the guard's rules, without a server ---


def test_authority_parsing_keeps_the_port_and_refuses_junk() -> None:
    assert split_authority("LOCALHOST:8765") == ("localhost", 8765)
    assert split_authority("[::1]:8765") == ("[::1]", 8765)
    assert split_authority("127.0.0.1") == ("127.0.0.1", None)
    for junk in ("", "::1", "[::1", "[::1]x", "host:", "host:99999", "host:8a", ":80", "[]:80"):
        assert split_authority(junk) is None, junk


def test_allowed_hosts_follow_the_bind_address() -> None:
    assert allowed_hosts_for("127.0.0.1") == ("127.0.0.1", "localhost", "[::1]")
    assert allowed_hosts_for("0.0.0.0") is None
    assert allowed_hosts_for("10.1.2.3") == ("127.0.0.1", "localhost", "[::1]", "10.1.2.3")


def test_wildcard_guard_accepts_any_host_but_still_checks_origin_and_token() -> None:
    token = HttpToken("w" * 40, "/state/http.token")
    guard = HttpGuard(app=lambda *a: None, token=token, allowed_hosts=None)  # type: ignore[arg-type]
    good = {"host": "gpu-box.lan:8765", "authorization": f"Bearer {token.value}"}

    def status(headers: dict[str, str], scheme: str = "http") -> int:
        problem = guard.foreign(scheme, headers) or guard.unauthorized(headers)
        return problem[0] if problem else 200

    assert status(good) == 200
    assert status({**good, "origin": "http://gpu-box.lan:8765"}) == 200
    assert status({**good, "origin": "https://gpu-box.lan:8765"}, scheme="https") == 200
    assert status({**good, "origin": "http://gpu-box.lan:8766"}) == 403
    assert status({**good, "origin": "https://gpu-box.lan:8765"}) == 403
    assert status({**good, "origin": "http://evil.example:8765"}) == 403
    assert status({"host": "gpu-box.lan"}) == 401
    cookie = f"oumi_mcp_dashboard={token.cookie_value()}"
    assert status({"host": "gpu-box.lan", "cookie": cookie}) == 401  # cookies: dashboard only
    assert "/state/http.token" in guard.fix
