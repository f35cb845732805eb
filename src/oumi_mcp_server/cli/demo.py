"""`oumi-mcp-server demo`: drive the server over stdio like an assistant, printing each step."""

from __future__ import annotations

from pathlib import Path

import click


@click.command()
@click.option(
    "--workdir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("oumi-mcp-demo"),
    show_default=True,
    help="Folder for the tiny model, data, configs and server log.",
)
@click.option(
    "--jobs/--no-jobs",
    default=True,
    show_default=True,
    help="Also train and run inference on a tiny model (about a minute on CPU).",
)
@click.option(
    "--query",
    default="smollm 135m sft",
    show_default=True,
    help="What to search the recipe catalog for.",
)
@click.option(
    "--configs-dir",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    default=None,
    help="Recipe catalog folder (default: the server's usual source).",
)
def demo(workdir: Path, jobs: bool, query: str, configs_dir: Path | None) -> None:
    """Run the offline demo: tools, recipes, then a real tiny train and infer through the server."""
    from oumi_mcp_server.demo.run import DemoOptions, run_demo

    code = run_demo(DemoOptions(workdir=workdir, jobs=jobs, query=query, configs_dir=configs_dir))
    raise SystemExit(code)
