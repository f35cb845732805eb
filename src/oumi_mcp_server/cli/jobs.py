"""`oumi-mcp-server jobs`: the same jobs the assistant sees, from a terminal; reconcile, prune."""

from __future__ import annotations

import click


@click.group("jobs")
def jobs() -> None:
    """List, reconcile and prune the jobs launched through this server."""


@jobs.command("list")
@click.option("--status", default=None, help="Only jobs in this state (running, failed, ...).")
@click.option("--limit", default=20, show_default=True, type=click.IntRange(1, 200))
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
def list_cmd(status: str | None, limit: int, as_json: bool) -> None:
    """Jobs, newest first, with their live status."""
    from oumi_mcp_server.core.errors import ServiceError
    from oumi_mcp_server.wiring import job_service

    try:
        result = job_service().list_jobs(status, limit, None)
    except ServiceError as exc:
        raise click.ClickException(f"{exc.message} {exc.fix}") from None
    if as_json:
        click.echo(result.model_dump_json(indent=2))
        return
    if not result.jobs:
        click.echo("No jobs.")
        return
    click.echo(f"{'JOB ID':<34} {'STATUS':<10} {'COMMAND':<9} {'STEP':>11} {'LOSS':>8}  SUBMITTED")
    for job in result.jobs:
        step = f"{job.step}/{job.total_steps or '?'}" if job.step is not None else "-"
        loss = f"{job.loss:.4g}" if job.loss is not None else "-"
        click.echo(
            f"{job.job_id:<34} {job.status:<10} {job.command:<9} {step:>11} {loss:>8}  "
            f"{job.submitted_at}"
        )
    click.echo(f"{len(result.jobs)} of {result.total_stored} stored job(s).")


@jobs.command("prune")
@click.option(
    "--older-than",
    "days",
    type=click.FloatRange(min=0),
    required=True,
    help="Days since submission.",
)
@click.option("--dry-run", is_flag=True, help="Only say what would be deleted.")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def prune(days: float, dry_run: bool, yes: bool) -> None:
    """Delete records and run folders of finished jobs; never one that might still run."""
    from oumi_mcp_server.wiring import job_service

    service = job_service()
    doomed = service.prune(days, dry_run=True)
    if not doomed:
        click.echo("Nothing to prune.")
        return
    click.echo("\n".join(doomed))
    if dry_run:
        click.echo(f"{len(doomed)} finished job(s) would be deleted.")
        return
    if not yes and not click.confirm(f"Delete these {len(doomed)} finished job(s)?"):
        raise click.Abort()
    deleted = service.prune(days)
    click.echo(f"Deleted {len(deleted)} finished job(s).")


@jobs.command("reconcile")
def reconcile() -> None:
    """Move jobs on with no server running: start waiting local jobs, record outcomes, refresh
    cluster log snapshots, start automatic output fetches."""
    from oumi_mcp_server.wiring import job_service

    outcomes = job_service().reconcile()
    for job_id, outcome in sorted(outcomes.items()):
        click.echo(f"{job_id}: {outcome}")
    click.echo(f"Reconciled; {len(outcomes)} outcome(s) recorded.")


@jobs.command("repair")
def repair_cmd() -> None:
    """Rebuild the job store from the run folders (a damaged store is set aside first)."""
    import sqlite3

    from oumi_mcp_server.jobs import repair, runfolder
    from oumi_mcp_server.jobs.store import JobStore, default_db_path

    root, path = runfolder.jobs_root(), default_db_path()
    try:
        store = JobStore(path)
        store.check()
    except sqlite3.DatabaseError as exc:
        aside = repair.set_aside(path)
        click.echo(f"The job store was damaged ({str(exc)[:120]}); set aside as {aside}.")
        store = JobStore(path)
    added = repair.rebuild(store, root)
    click.echo(f"Rebuilt: {added} record(s) restored from run folders; {store.count()} stored.")
