"""`oumi-mcp-server init CLIENT`: add this server to an MCP client's config, keeping the rest.

By default the client starts the server over stdio (no token: the client owns the pipe). With
`--http` it connects to a running `serve --http` and the entry carries the bearer token as an
`Authorization` header, so the file is kept private (0600).
"""

from __future__ import annotations

import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import click

from oumi_mcp_server.cli import token_options as tokens
from oumi_mcp_server.core.atomic import write_text_atomic
from oumi_mcp_server.core.http_token import HttpToken
from oumi_mcp_server.core.redact import is_secret_name
from oumi_mcp_server.core.scripts import RUN_SERVER_CLI, SERVER_SCRIPT, find_script
from oumi_mcp_server.server.http_guard import is_loopback


@dataclass(frozen=True)
class ClientKind:
    """Where a client keeps its MCP config and under which key it lists servers."""

    name: str
    servers_key: str
    project_file: str | None  # relative to the project; None: a per-user file
    wants_type: bool  # the entry carries "type": "stdio" / "http"
    http: bool  # its config file can name a streamable HTTP server (url + headers)


CLIENTS = {
    "claude-code": ClientKind("claude-code", "mcpServers", ".mcp.json", True, True),
    "cursor": ClientKind("cursor", "mcpServers", ".cursor/mcp.json", False, True),
    # Claude Desktop's file only starts local servers; remote ones go through its Connectors UI.
    "claude-desktop": ClientKind("claude-desktop", "mcpServers", None, False, False),
    "vscode": ClientKind("vscode", "servers", ".vscode/mcp.json", True, True),
}
DEFAULT_HTTP_URL = "http://127.0.0.1:8765/mcp"


def claude_desktop_config_path() -> Path:
    """Claude Desktop's config file on this platform."""
    if sys.platform == "darwin":
        return (
            Path.home()
            / "Library"
            / "Application Support"
            / "Claude"
            / "claude_desktop_config.json"
        )
    if sys.platform == "win32":
        appdata = os.environ.get("APPDATA") or str(Path.home() / "AppData" / "Roaming")
        return Path(appdata) / "Claude" / "claude_desktop_config.json"
    config_home = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(config_home) / "Claude" / "claude_desktop_config.json"


def config_path(client: ClientKind, project: Path) -> Path:
    if client.project_file is None:
        return claude_desktop_config_path()
    return project / client.project_file


def server_command() -> tuple[str, list[str]]:
    """Absolute path of the installed console script (the one beside this interpreter first)."""
    script = find_script(SERVER_SCRIPT)
    if script:
        return str(Path(script).absolute()), ["serve"]
    return str(Path(sys.executable).absolute()), [*RUN_SERVER_CLI, "serve"]


def server_entry(client: ClientKind, env: dict[str, str]) -> dict[str, Any]:
    command, args = server_command()
    entry: dict[str, Any] = {"type": "stdio"} if client.wants_type else {}
    entry.update({"command": command, "args": args})
    if env:
        entry["env"] = env
    return entry


def http_entry(client: ClientKind, url: str, token: HttpToken) -> dict[str, Any]:
    entry: dict[str, Any] = {"type": "http"} if client.wants_type else {}
    entry.update({"url": url, "headers": {"Authorization": f"Bearer {token.value}"}})
    return entry


def _check_url(url: str) -> str:
    try:
        parts = urlsplit(url)
        ok = parts.scheme in ("http", "https") and bool(parts.hostname) and parts.port != 0
    except ValueError:
        ok = False
    if not ok:
        raise click.BadParameter(
            f"{url[:80]!r} is not an http(s)://host:port/path URL.", param_hint="--url"
        )
    if parts.scheme == "http" and not is_loopback(parts.hostname or ""):
        click.echo(
            f"Warning: {parts.hostname} is not this machine and http:// is not encrypted: the "
            "token would cross the network in clear text. Prefer an SSH tunnel to 127.0.0.1.",
            err=True,
        )
    return url


def merged_config(
    path: Path, client: ClientKind, name: str, entry: dict[str, Any]
) -> tuple[dict[str, Any], str]:
    """The file's config with our entry set; refuses (ClickException) to touch invalid JSON."""
    config: dict[str, Any] = {}
    if path.exists():
        text = path.read_text(encoding="utf-8")
        if text.strip():
            try:
                loaded = json.loads(text)
            except json.JSONDecodeError as exc:
                raise click.ClickException(
                    f"{path} is not valid JSON ({exc.msg} at line {exc.lineno}); left unchanged. "
                    "Fix or move it, then run init again."
                ) from None
            if not isinstance(loaded, dict):
                raise click.ClickException(f"{path} does not hold a JSON object; left unchanged.")
            config = loaded
    servers = config.setdefault(client.servers_key, {})
    if not isinstance(servers, dict):
        raise click.ClickException(
            f'"{client.servers_key}" in {path} is not an object; left unchanged.'
        )
    previous = servers.get(name)
    action = "unchanged" if previous == entry else ("updated" if previous else "added")
    servers[name] = entry
    return config, action


def write_atomically(path: Path, text: str, private: bool = False) -> None:
    """A client reading its config meanwhile sees the old file or ours; its mode is kept, unless
    it now holds a secret (`private`: 0600)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    mode = path.stat().st_mode & 0o777 if path.exists() and not private else 0o600
    write_text_atomic(path, text, mode=mode)


def _parse_env(pairs: tuple[str, ...]) -> dict[str, str]:
    env: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise click.BadParameter(f"{pair!r} is not KEY=VALUE.", param_hint="--env")
        if is_secret_name(key):
            raise click.BadParameter(
                f"{key} looks like a secret: keep it in your shell environment, not in a config "
                "file that may be committed.",
                param_hint="--env",
            )
        env[key] = value
    return env


@click.command("init")
@click.argument("client", type=click.Choice(sorted(CLIENTS)))
@click.option(
    "--project",
    type=click.Path(file_okay=False, path_type=Path),
    default=".",
    show_default=True,
    help="Project folder (for claude-code, cursor, vscode).",
)
@click.option("--name", default="oumi", show_default=True, help="Server name in the config.")
@click.option(
    "--env",
    "env_pairs",
    multiple=True,
    metavar="KEY=VALUE",
    help="Environment for the server, e.g. OUMI_MCP_CONFIGS_DIR=/data/configs.",
)
@click.option(
    "--http",
    "use_http",
    is_flag=True,
    help="Connect to a running `serve --http` (with its bearer token) instead of starting one.",
)
@click.option("--url", default=None, help=f"With --http: the server's URL [{DEFAULT_HTTP_URL}].")
@tokens.token_options
@click.option("--dry-run", is_flag=True, help="Print the resulting file; write nothing.")
def init(
    client: str,
    project: Path,
    name: str,
    env_pairs: tuple[str, ...],
    use_http: bool,
    url: str | None,
    token_file: Path | None,
    dry_run: bool,
) -> None:
    """Add this server to CLIENT's MCP config (merged: other servers are kept)."""
    kind = CLIENTS[client]
    path = config_path(kind, project.expanduser().absolute())
    token = _http_token(kind, env_pairs, use_http, url, token_file)
    if token is None:
        entry = server_entry(kind, _parse_env(env_pairs))
    else:
        entry = http_entry(kind, _check_url(url or DEFAULT_HTTP_URL), token)
    config, action = merged_config(path, kind, name, entry)
    text = json.dumps(config, indent=2, ensure_ascii=False) + "\n"
    if dry_run:
        click.echo(f"# {path} ({action}; dry run, nothing written)", err=True)
        shown = text.replace(token.value, f"<the token in {token.where}>") if token else text
        click.echo(shown, nl=False)
        return
    if action != "unchanged":
        write_atomically(path, text, private=token is not None)
    click.echo(f"{action.capitalize()} server {name!r} in {path}. Restart {client} to load it.")
    if token is not None:
        click.echo(
            f"{path} holds the server's bearer token (mode 0600): keep it out of version control.",
            err=True,
        )


def _http_token(
    kind: ClientKind,
    env_pairs: tuple[str, ...],
    use_http: bool,
    url: str | None,
    token_file: Path | None,
) -> HttpToken | None:
    """The token an HTTP entry carries; None for a stdio entry (which needs none)."""
    if not use_http:
        if url is not None or token_file is not None:
            raise click.UsageError("--url and --token-file go with --http.")
        return None
    if not kind.http:
        raise click.UsageError(
            f"{kind.name}'s config file only starts local (stdio) servers. Run `oumi-mcp-server "
            f"init {kind.name}` without --http (stdio needs no token), or add the URL as a "
            "custom connector in its settings."
        )
    if env_pairs:
        raise click.UsageError(
            "--env sets the environment of a server the client starts; with --http it connects "
            "to a running one: set the environment where you run `serve --http`."
        )
    return tokens.load(token_file)
