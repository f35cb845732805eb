"""`oumi-mcp-server sync-configs`: fill or refresh the local recipe cache from Oumi's GitHub."""

from __future__ import annotations

import click


@click.command("sync-configs")
@click.option("--force", is_flag=True, help="Download even if the cache is fresh.")
def sync_configs(force: bool) -> None:
    """Download the recipes (configs/) matching the installed oumi into the user cache."""
    from oumi_mcp_server.recipes import source, sync

    report = sync.sync_configs(force, ttl_s=source.ttl_seconds())
    click.echo(report.message)
    if report.directory:
        click.echo(f"Recipes: {report.directory}")
    current = source.resolve_source()
    if current.kind == "env":
        click.echo(f"Note: {current.label} is set, so the server uses that folder, not the cache.")
    if report.state == "failed":
        click.echo(
            f"Offline? Point {source.CONFIGS_DIR_ENV} at a local copy of Oumi's configs/ folder.",
            err=True,
        )
        raise SystemExit(1)
