"""Entry point of the `oumi-mcp-server` command."""

from __future__ import annotations

import click

from oumi_mcp_server import __version__
from oumi_mcp_server.cli.dashboard import dashboard
from oumi_mcp_server.cli.demo import demo
from oumi_mcp_server.cli.doctor import doctor
from oumi_mcp_server.cli.init import init
from oumi_mcp_server.cli.jobs import jobs
from oumi_mcp_server.cli.recipes import sync_configs

WARM_UP_DELAY_S = 1.5


@click.group(invoke_without_command=True, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="oumi-mcp-server")
@click.pass_context
def cli(ctx: click.Context) -> None:
    """MCP server that lets an AI assistant run Oumi fine-tuning. Without a command: serve stdio."""
    if ctx.invoked_subcommand is None:
        ctx.invoke(serve)


@cli.command()
@click.option("--http", "use_http", is_flag=True, help="Speak streamable HTTP instead of stdio.")
@click.option("--host", default="127.0.0.1", show_default=True, help="HTTP bind address.")
@click.option("--port", default=8765, show_default=True, type=click.IntRange(0, 65535))
@click.option(
    "--token",
    envvar="OUMI_MCP_TOKEN",
    default=None,
    help="Bearer token clients must send (required off loopback). Env: OUMI_MCP_TOKEN.",
)
@click.option("--log-level", default=None, help="DEBUG, INFO, WARNING or ERROR.")
def serve(use_http: bool, host: str, port: int, token: str | None, log_level: str | None) -> None:
    """Serve MCP over stdio (default) or streamable HTTP."""
    import threading

    from oumi_mcp_server.core.logging_setup import configure_logging
    from oumi_mcp_server.recipes import service as recipes
    from oumi_mcp_server.server import transports

    configure_logging(log_level)
    # Load the recipe index once the handshake is likely done, so it does not slow `tools/list`.
    warm = threading.Timer(WARM_UP_DELAY_S, recipes.warm_up)
    warm.daemon = True
    warm.start()
    if use_http:
        transports.serve_http(host, port, token)
    else:
        transports.serve_stdio()


cli.add_command(sync_configs)
cli.add_command(init)
cli.add_command(doctor)
cli.add_command(demo)
cli.add_command(jobs)
cli.add_command(dashboard)


def main() -> None:
    cli()
