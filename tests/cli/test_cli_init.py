"""`oumi-mcp-server init`: the right file per client, merged, never clobbering invalid JSON."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest
from click.testing import CliRunner
from mcp import Client, StdioServerParameters

from oumi_mcp_server.cli.init import DEFAULT_HTTP_URL
from oumi_mcp_server.cli.main import cli
from oumi_mcp_server.core import http_token
from testsupport import subprocess_env

EXPECTED = {
    "claude-code": (".mcp.json", "mcpServers"),
    "cursor": (".cursor/mcp.json", "mcpServers"),
    "vscode": (".vscode/mcp.json", "servers"),
}


def runner() -> CliRunner:
    """Separate stdout and stderr on click 8.1 (`mix_stderr`) and 8.2+ (always separate)."""
    try:
        return CliRunner(mix_stderr=False)  # type: ignore[call-arg]
    except TypeError:
        return CliRunner()


def run_init(*args: str) -> tuple[int, str, str]:
    result = runner().invoke(cli, ["init", *args])
    return result.exit_code, result.stdout, result.stderr


@pytest.mark.parametrize("client", sorted(EXPECTED))
def test_project_clients_get_their_file_and_key(client: str, tmp_path: Path) -> None:
    code, out, _ = run_init(client, "--project", str(tmp_path))
    assert code == 0, out
    relative, key = EXPECTED[client]
    config = json.loads((tmp_path / relative).read_text())
    entry = config[key]["oumi"]
    assert Path(entry["command"]).is_absolute() and Path(entry["command"]).exists()
    assert entry["args"][-1] == "serve"
    assert ("type" in entry) == (client != "cursor")
    assert "Added server 'oumi'" in out


def test_claude_desktop_uses_its_platform_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, isolated_env: Path
) -> None:
    monkeypatch.delenv("XDG_CONFIG_HOME", raising=False)
    code, out, _ = run_init("claude-desktop")
    assert code == 0, out
    path = isolated_env / "home" / ".config" / "Claude" / "claude_desktop_config.json"
    assert "oumi" in json.loads(path.read_text())["mcpServers"]


def test_merge_keeps_other_servers_and_keys(tmp_path: Path) -> None:
    path = tmp_path / ".mcp.json"
    path.write_text(
        json.dumps({"mcpServers": {"other": {"command": "/bin/other"}}, "theme": "dark"})
    )
    assert run_init("claude-code", "--project", str(tmp_path))[0] == 0
    config = json.loads(path.read_text())
    assert config["mcpServers"]["other"] == {"command": "/bin/other"}
    assert config["theme"] == "dark"
    assert "oumi" in config["mcpServers"]

    code, out, _ = run_init("claude-code", "--project", str(tmp_path))
    assert code == 0 and "Unchanged" in out
    code, out, _ = run_init(
        "claude-code", "--project", str(tmp_path), "--env", "OUMI_MCP_CONFIGS_DIR=/data/configs"
    )
    assert code == 0 and "Updated" in out
    config = json.loads(path.read_text())
    assert config["mcpServers"]["oumi"]["env"] == {"OUMI_MCP_CONFIGS_DIR": "/data/configs"}
    assert config["mcpServers"]["other"] == {"command": "/bin/other"}


def test_invalid_json_is_refused_and_left_alone(tmp_path: Path) -> None:
    path = tmp_path / ".vscode" / "mcp.json"
    path.parent.mkdir()
    broken = '{"servers": {"x": {"command": "y"},}  // trailing comma\n'
    path.write_text(broken)
    code, _, err = run_init("vscode", "--project", str(tmp_path))
    assert code != 0
    assert "not valid JSON" in err and "left unchanged" in err
    assert path.read_text() == broken


def test_servers_key_of_the_wrong_type_is_refused(tmp_path: Path) -> None:
    path = tmp_path / ".mcp.json"
    path.write_text('{"mcpServers": ["not", "an", "object"]}')
    code, _, err = run_init("claude-code", "--project", str(tmp_path))
    assert code != 0 and "not an object" in err
    assert json.loads(path.read_text()) == {"mcpServers": ["not", "an", "object"]}


def test_dry_run_prints_the_file_and_writes_nothing(tmp_path: Path) -> None:
    code, out, err = run_init("cursor", "--project", str(tmp_path), "--dry-run")
    assert code == 0
    assert json.loads(out)["mcpServers"]["oumi"]["args"][-1] == "serve"
    assert "dry run" in err
    assert not (tmp_path / ".cursor").exists()


def test_secret_env_values_are_refused(tmp_path: Path) -> None:
    code, _, err = run_init(
        "claude-code", "--project", str(tmp_path), "--env", "HF_TOKEN=hf_abcdefghijklmnopqrstuvwxyz"
    )
    assert code != 0 and "looks like a secret" in err
    assert "hf_abcdefghij" not in err
    assert not (tmp_path / ".mcp.json").exists()


@pytest.mark.anyio
async def test_the_written_command_starts_a_working_server(tmp_path: Path) -> None:
    assert run_init("claude-code", "--project", str(tmp_path))[0] == 0
    entry = json.loads((tmp_path / ".mcp.json").read_text())["mcpServers"]["oumi"]
    params = StdioServerParameters(
        command=entry["command"], args=entry["args"], env=subprocess_env(), cwd=str(tmp_path)
    )
    async with Client(params) as client:
        tools = (await client.list_tools()).tools
    assert tools


# --- HTTP entries: url + the bearer token as a header, the file kept private ---

HTTP_EXPECTED = {
    "claude-code": {"type": "http"},
    "cursor": {},  # Cursor tells HTTP from stdio by the url key
    "vscode": {"type": "http"},
}


@pytest.mark.parametrize("client", sorted(HTTP_EXPECTED))
def test_http_entries_carry_the_servers_token(client: str, tmp_path: Path) -> None:
    code, out, err = run_init(client, "--project", str(tmp_path), "--http")
    assert code == 0, err
    relative, key = EXPECTED[client]
    path = tmp_path / relative
    token = http_token.load()  # generated on first use, the one `serve --http` will use
    assert token.source == str(http_token.default_path())
    assert json.loads(path.read_text())[key]["oumi"] == {
        **HTTP_EXPECTED[client],
        "url": DEFAULT_HTTP_URL,
        "headers": {"Authorization": f"Bearer {token.value}"},
    }
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert token.value not in out + err and "keep it out of version control" in err


def test_http_tightens_an_open_config_file_and_uses_the_chosen_token(tmp_path: Path) -> None:
    path = tmp_path / ".mcp.json"
    path.write_text('{"mcpServers": {"other": {"command": "/bin/other"}}}')
    path.chmod(0o644)
    token_file = tmp_path / "tok"
    token_file.write_text("t" * 40)
    token_file.chmod(0o600)
    url = "http://localhost:9000/mcp"
    code, _, err = run_init(
        "claude-code", "--project", str(tmp_path), "--http", "--url", url,
        "--token-file", str(token_file),
    )  # fmt: skip
    assert code == 0, err
    config = json.loads(path.read_text())["mcpServers"]
    assert config["oumi"]["url"] == url
    assert config["oumi"]["headers"] == {"Authorization": f"Bearer {'t' * 40}"}
    assert config["other"] == {"command": "/bin/other"}
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_http_dry_run_hides_the_token(tmp_path: Path) -> None:
    code, out, _ = run_init("vscode", "--project", str(tmp_path), "--http", "--dry-run")
    token = http_token.load()
    assert code == 0 and token.value not in out
    header = json.loads(out)["servers"]["oumi"]["headers"]["Authorization"]
    assert header == f"Bearer <the token in the file {http_token.default_path()}>"
    assert not (tmp_path / ".vscode").exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("claude-desktop", "--http"), "only starts local (stdio) servers"),
        (("claude-code", "--http", "--env", "A=b"), "--env sets the environment"),
        (("claude-code", "--url", "http://127.0.0.1:1/mcp"), "go with --http"),
        (("claude-code", "--http", "--url", "ftp://host/x"), "is not an http(s)"),
        (("claude-code", "--http", "--url", "http://:80/"), "is not an http(s)"),
        (("claude-code", "--http", "--token", "x" * 40), "visible to every user"),
    ],
)
def test_http_misuse_is_a_clean_error(args: tuple[str, ...], message: str, tmp_path: Path) -> None:
    code, _, err = run_init(*args, "--project", str(tmp_path))
    assert code == 2 and message in err, err
    assert not list(tmp_path.iterdir())


def test_http_with_a_short_token_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(http_token.TOKEN_ENV, "short")
    code, _, err = run_init("cursor", "--project", str(tmp_path), "--http")
    assert code == 1 and "at least 32" in err and "short" not in err.replace("too short", "")
    assert not (tmp_path / ".cursor").exists()


def test_stdio_entries_carry_no_token(tmp_path: Path) -> None:
    assert run_init("claude-code", "--project", str(tmp_path))[0] == 0
    text = (tmp_path / ".mcp.json").read_text()
    assert "Authorization" not in text and "token" not in text.lower()
    assert not http_token.default_path().exists()  # stdio needs no token: none is made
