"""`oumi-mcp-server doctor`: what this machine can do, without importing torch or oumi."""

from __future__ import annotations

import json
import platform
import shutil
import subprocess
import sys
import tempfile
from dataclasses import asdict, dataclass
from importlib import metadata
from pathlib import Path

import click

from oumi_mcp_server.core.hf_token import token_source
from oumi_mcp_server.core.scripts import find_script

OK, WARN, ERROR = "ok", "warn", "error"
EXPECTED = {"oumi": "0.9", "mcp": "2.3.0"}
MIN_FREE_GB = 10


@dataclass(frozen=True)
class Check:
    name: str
    status: str  # ok, warn or error (error: the server cannot do its job)
    detail: str
    fix: str = ""


def _version(dist: str) -> str | None:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return None


def check_python() -> Check:
    version = platform.python_version()
    if sys.version_info[:2] != (3, 11):
        return Check(
            "python", ERROR, f"{version} at {sys.executable}", "oumi-mcp-server needs Python 3.11."
        )
    return Check("python", OK, f"{version} at {sys.executable}")


def check_package(dist: str, *, required: bool, why: str) -> Check:
    found = _version(dist)
    if found is None:
        return Check(dist, ERROR if required else WARN, "not installed", f"Install {dist}: {why}.")
    expected = EXPECTED.get(dist)
    if expected and found != expected:
        return Check(
            dist,
            WARN,
            f"{found} (tested with {expected})",
            f"Install {dist}=={expected} to match what this server is tested with.",
        )
    return Check(dist, OK, found)


def check_gpu() -> Check:
    """Look for accelerators without importing torch: nvidia-smi, ROCm, Apple silicon."""
    smi = shutil.which("nvidia-smi")
    if smi:
        try:
            listed = subprocess.run(
                [smi, "-L"], capture_output=True, text=True, timeout=10, check=False
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            return Check("gpu", WARN, f"nvidia-smi failed: {exc}", "Check the NVIDIA driver.")
        gpus = [line for line in listed.stdout.splitlines() if line.startswith("GPU ")]
        if gpus:
            return Check("gpu", OK, f"{len(gpus)} NVIDIA GPU(s): " + "; ".join(gpus)[:300])
    if shutil.which("rocm-smi"):
        return Check("gpu", OK, "AMD ROCm tools found (rocm-smi)")
    if sys.platform == "darwin" and platform.machine() == "arm64":
        return Check("gpu", OK, "Apple silicon (MPS)")
    return Check(
        "gpu",
        WARN,
        "no GPU found: local jobs run on CPU (fine for tiny smoke runs)",
        "Launch real runs on a cloud or cluster (guidance://cloud_launch).",
    )


def check_writable(label: str, path: Path) -> Check:
    try:
        path.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path, prefix=".doctor-"):
            pass
    except OSError as exc:
        return Check(
            label,
            ERROR,
            f"{path} is not writable: {exc.strerror}",
            "Fix its permissions or point the env var elsewhere "
            "(OUMI_MCP_STATE_DIR / OUMI_MCP_CACHE_DIR).",
        )
    free_gb = shutil.disk_usage(path).free / 1e9
    if free_gb < MIN_FREE_GB:
        return Check(
            label,
            WARN,
            f"{path} (only {free_gb:.1f} GB free)",
            "Free some disk: checkpoints and model downloads need tens of GB.",
        )
    return Check(label, OK, f"{path} ({free_gb:.0f} GB free)")


def check_state_dirs() -> list[Check]:
    from oumi_mcp_server.core import paths

    checks = []
    for label, getter in (("state dir", paths.state_dir), ("cache dir", paths.cache_dir)):
        try:
            folder = getter()
        except OSError as exc:
            checks.append(
                Check(
                    label,
                    ERROR,
                    f"cannot create it: {exc}",
                    "Set OUMI_MCP_STATE_DIR / OUMI_MCP_CACHE_DIR to a writable folder.",
                )
            )
            continue
        checks.append(check_writable(label, folder))
    return checks


def check_recipes() -> Check:
    """The recipe catalog, in the words the server's own answers use (source.recipe_status)."""
    from oumi_mcp_server.recipes.source import recipe_status

    status = recipe_status()
    root = status.source.root
    if status.state != "ready" or root is None:
        return Check("recipes", WARN, status.message, status.fix)
    count = sum(1 for _ in root.rglob("*.yaml"))
    detail = f"{count} YAML files. {status.message}"
    if not count:
        return Check(
            "recipes", WARN, detail, "The folder holds no recipes; point it at oumi's configs/."
        )
    return Check("recipes", OK, detail)


def check_launchers() -> list[Check]:
    sky_version = _version("skypilot")
    if sky_version:
        sky_check = Check(
            "skypilot",
            OK,
            f"{sky_version} (sky: {find_script('sky') or 'no CLI'})",
            "Run `sky check` once to see which clouds have credentials.",
        )
    else:
        sky_check = Check(
            "skypilot",
            WARN,
            "not installed",
            "Install oumi's cloud extras to launch on clouds and Kubernetes.",
        )
    slurm_tools = [tool for tool in ("sbatch", "squeue", "sinfo") if shutil.which(tool)]
    slurm_check = (
        Check("slurm", OK, "found " + ", ".join(slurm_tools))
        if slurm_tools
        else Check("slurm", OK, "not on this machine (only needed for Slurm clusters)")
    )
    return [sky_check, slurm_check]


def check_hf_token() -> Check:
    """Where a Hugging Face token comes from, by name only: its value is never read out."""
    source = token_source()
    if source is not None:
        kind, where = source
        return Check("hf token", OK, f"set in ${where}" if kind == "env" else f"stored in {where}")
    return Check(
        "hf token",
        WARN,
        "none found",
        "Gated models (Llama, Gemma) need one: `huggingface-cli login` or set HF_TOKEN.",
    )


def run_checks() -> list[Check]:
    return [
        check_python(),
        check_package("oumi-mcp-server", required=False, why="it is this server"),
        check_package("oumi", required=True, why="every job runs through it"),
        check_package("mcp", required=True, why="it is the MCP SDK the server speaks with"),
        check_package("torch", required=False, why="local training and inference need it"),
        check_gpu(),
        *check_state_dirs(),
        check_recipes(),
        *check_launchers(),
        check_hf_token(),
    ]


_MARK = {OK: "ok  ", WARN: "warn", ERROR: "FAIL"}


@click.command("doctor")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
def doctor(as_json: bool) -> None:
    """Report what this machine can do; exit 1 when something essential is broken."""
    checks = run_checks()
    failed = any(check.status == ERROR for check in checks)
    if as_json:
        click.echo(json.dumps({"ok": not failed, "checks": [asdict(c) for c in checks]}, indent=2))
    else:
        for check in checks:
            click.echo(f"[{_MARK[check.status]}] {check.name:<16} {check.detail}")
            if check.fix and check.status != OK:
                click.echo(f"{'':24}fix: {check.fix}")
        click.echo("Problems found." if failed else "Ready.")
    if failed:
        raise SystemExit(1)
