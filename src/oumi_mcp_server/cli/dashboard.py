"""`oumi-mcp-server dashboard`: the jobs the assistant launched, in a browser on this machine."""

from __future__ import annotations

from pathlib import Path

import click

from oumi_mcp_server.cli import token_options as tokens


@click.command("dashboard")
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Loopback address to bind (127.0.0.1, ::1, localhost).",
)
@click.option("--port", default=8766, show_default=True, type=click.IntRange(1, 65535))
@tokens.token_options
def dashboard(host: str, port: int, token_file: Path | None) -> None:
    """Serve a read-only jobs dashboard (status, progress, loss curves, logs) on loopback.

    It needs the same bearer token as `serve --http`; the URL printed on stderr carries it once,
    then the browser keeps a cookie.
    """
    from urllib.parse import quote

    import uvicorn

    from oumi_mcp_server.dashboard.app import build_app, is_loopback

    if not is_loopback(host):
        raise click.UsageError(
            f"The dashboard binds loopback only, not {host!r}. From another machine, forward "
            f"the port: ssh -L {port}:127.0.0.1:{port} <this host>."
        )
    token = tokens.load(token_file)
    shown = f"[{host}]" if ":" in host else host
    click.echo(
        f"Oumi jobs dashboard: open http://{shown}:{port}/?token={quote(token.value, safe='')} "
        f"(the token is in {token.where}; Ctrl-C to stop)",
        err=True,
    )
    uvicorn.run(
        build_app(host, token=token), host=host, port=port, log_level="warning", log_config=None
    )
