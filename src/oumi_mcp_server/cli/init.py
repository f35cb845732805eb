"""`oumi-mcp-server init CLIENT`: add this server to an MCP client's config, keeping the rest."""

from __future__ import annotations

import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click

from oumi_mcp_server.core.atomic import write_text_atomic
from oumi_mcp_server.core.redact import is_secret_name
from oumi_mcp_server.core.scripts import RUN_SERVER_CLI, SERVER_SCRIPT, find_script


@dataclass(frozen=True)
class ClientKind:
    """Where a client keeps its MCP config and under which key it lists servers."""

    name: str
    servers_key: str
    project_file: str | None  # relative to the project; None: a per-user file
    wants_type: bool  # the entry carries "type": "stdio"


CLIENTS = {
    "claude-code": ClientKind("claude-code", "mcpServers", ".mcp.json", True),
    "cursor": ClientKind("cursor", "mcpServers", ".cursor/mcp.json", False),
    "claude-desktop": ClientKind("claude-desktop", "mcpServers", None, False),
    "vscode": ClientKind("vscode", "servers", ".vscode/mcp.json", True),
}


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


def write_atomically(path: Path, text: str) -> None:
    """A client reading its config meanwhile sees the old file or ours; its mode is kept."""
    path.parent.mkdir(parents=True, exist_ok=True)
    mode = path.stat().st_mode & 0o777 if path.exists() else 0o600
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
@click.option("--dry-run", is_flag=True, help="Print the resulting file; write nothing.")
def init(client: str, project: Path, name: str, env_pairs: tuple[str, ...], dry_run: bool) -> None:
    """Add this server to CLIENT's MCP config (merged: other servers are kept)."""
    kind = CLIENTS[client]
    path = config_path(kind, project.expanduser().absolute())
    config, action = merged_config(path, kind, name, server_entry(kind, _parse_env(env_pairs)))
    text = json.dumps(config, indent=2, ensure_ascii=False) + "\n"
    if dry_run:
        click.echo(f"# {path} ({action}; dry run, nothing written)", err=True)
        click.echo(text, nl=False)
        return
    if action != "unchanged":
        write_atomically(path, text)
    click.echo(f"{action.capitalize()} server {name!r} in {path}. Restart {client} to load it.")
