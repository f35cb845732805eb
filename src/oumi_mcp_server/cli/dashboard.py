"""`oumi-mcp-server dashboard`: the jobs the assistant launched, in a browser on this machine."""

from __future__ import annotations

import click


@click.command("dashboard")
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Loopback address to bind (127.0.0.1, ::1, localhost).",
)
@click.option("--port", default=8766, show_default=True, type=click.IntRange(1, 65535))
def dashboard(host: str, port: int) -> None:
    """Serve a read-only jobs dashboard (status, progress, loss curves, logs) on loopback."""
    import uvicorn

    from oumi_mcp_server.dashboard.app import build_app, is_loopback

    if not is_loopback(host):
        raise click.UsageError(
            f"The dashboard binds loopback only, not {host!r}. From another machine, forward "
            f"the port: ssh -L {port}:127.0.0.1:{port} <this host>."
        )
    shown = f"[{host}]" if ":" in host else host
    click.echo(f"Oumi jobs dashboard on http://{shown}:{port}/ (Ctrl-C to stop)", err=True)
    uvicorn.run(build_app(host), host=host, port=port, log_level="warning", log_config=None)
