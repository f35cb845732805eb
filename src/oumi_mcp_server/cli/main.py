"""Entry point of the `oumi-mcp-server` command."""

from __future__ import annotations

import os
from pathlib import Path

import click

from oumi_mcp_server import __version__
from oumi_mcp_server.cli import token_options as tokens
from oumi_mcp_server.cli.dashboard import dashboard
from oumi_mcp_server.cli.demo import demo
from oumi_mcp_server.cli.doctor import doctor
from oumi_mcp_server.cli.init import init
from oumi_mcp_server.cli.jobs import jobs
from oumi_mcp_server.cli.recipes import sync_configs
from oumi_mcp_server.cli.stats import stats

WARM_UP_DELAY_S = 1.5


@click.group(invoke_without_command=True, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="oumi-mcp-server")
@click.pass_context
def cli(ctx: click.Context) -> None:
    """MCP server that lets an AI assistant run Oumi fine-tuning. Without a command: serve stdio."""
    if ctx.invoked_subcommand is None:
        ctx.invoke(serve)


LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")


def _log_level(value: str | None) -> str | None:
    """`--log-level`, else OUMI_MCP_LOG_LEVEL, checked: a bad name is a usage error, not a trace
    (the env var is read here because a bare `oumi-mcp-server` skips click's env handling)."""
    from oumi_mcp_server.core.logging_setup import LOG_LEVEL_ENV

    value = value or os.environ.get(LOG_LEVEL_ENV) or None
    if value is not None and value.upper() not in LOG_LEVELS:
        raise click.BadParameter(
            f"{value[:40]!r} is not one of {', '.join(LOG_LEVELS)} (any case).",
            param_hint=f"--log-level / {LOG_LEVEL_ENV}",
        )
    return value.upper() if value else None


def _warm_up() -> None:
    """Imports the recipes service in the warm-up thread too, not before `tools/list`."""
    from oumi_mcp_server.recipes import service

    service.warm_up()


@cli.command()
@click.option("--http", "use_http", is_flag=True, help="Speak streamable HTTP instead of stdio.")
@click.option("--host", default="127.0.0.1", show_default=True, help="HTTP bind address.")
@click.option("--port", default=8765, show_default=True, type=click.IntRange(0, 65535))
@tokens.token_options
@click.option(
    "--log-level",
    type=click.Choice(LOG_LEVELS, case_sensitive=False),
    default=None,
    help="DEBUG, INFO, WARNING or ERROR (any case). Env: OUMI_MCP_LOG_LEVEL.",
)
def serve(
    use_http: bool, host: str, port: int, token_file: Path | None, log_level: str | None
) -> None:
    """Serve MCP over stdio (default) or streamable HTTP (always behind a bearer token)."""
    import threading

    level = _log_level(log_level)
    if token_file is not None and not use_http:
        raise click.UsageError("--token-file applies to --http only (stdio needs no token).")
    token = tokens.load(token_file) if use_http else None

    from oumi_mcp_server.core.logging_setup import configure_logging
    from oumi_mcp_server.server import transports

    configure_logging(level)
    # Load the recipe index once the handshake is likely done, so it does not slow `tools/list`.
    warm = threading.Timer(WARM_UP_DELAY_S, _warm_up)
    warm.daemon = True
    warm.start()
    if token is not None:
        tokens.announce(token)
        transports.serve_http(host, port, token)
    else:
        transports.serve_stdio()


cli.add_command(sync_configs)
cli.add_command(init)
cli.add_command(doctor)
cli.add_command(demo)
cli.add_command(jobs)
cli.add_command(dashboard)
cli.add_command(stats)


def main() -> None:
    cli()
