"""Turn an oumi training/eval/infer config into a launcher job config whose run really finds it.

Upstream staged the config in a folder that was never synced, so the remote `oumi train -c
config.yaml` found no file. Here the config travels inside the run script itself (base64, so no
line of it can end oumi's ssh heredocs), is written into the remote working directory as
`.oumi_mcp/config.yaml`, and the command reads it from there: whatever the cloud syncs or does not,
the script is always delivered. A job config (`resources`/`run`) passes through unchanged apart
from the explicit cluster arguments.
"""

from __future__ import annotations

import base64
import shlex
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from oumi_mcp_server.core.errors import ServiceError
from oumi_mcp_server.core.vocabulary import OUMI_SUBCOMMAND
from oumi_mcp_server.jobs import commands

REMOTE_CONFIG = ".oumi_mcp/config.yaml"
MARKER = "OUMI_MCP_REMOTE_DIR="
"""The run script prints this (plus its working directory) first: outputs are fetched from it."""

SLURM_CLOUDS = frozenset({"slurm", "polaris", "frontier", "perlmutter"})
"""Clouds whose job script oumi writes as `export K=V` lines: values must be shell-quoted."""
SKY_CLOUDS = frozenset({"aws", "gcp", "azure", "lambda", "runpod", "nebius", "k8s", "sky-slurm"})
"""SkyPilot clouds: billed while up, so autostop is on by default."""
AUTOSTOP_UNSUPPORTED = frozenset({"lambda", "runpod"})
DEFAULT_AUTOSTOP_MIN = 30
_JOB_CONFIG_KEYS = frozenset({"resources", "run"})


@dataclass
class ClusterArgs:
    """The cluster arguments of run_oumi_job (None: keep the job config's or oumi's default)."""

    cloud: str
    cluster_name: str | None = None
    accelerators: str | None = None
    num_nodes: int | None = None
    use_spot: bool | None = None
    disk_size: int | None = None
    file_mounts: dict[str, str] = field(default_factory=dict)
    storage_mounts: dict[str, Any] = field(default_factory=dict)
    setup: str | None = None
    envs: dict[str, str] = field(default_factory=dict)
    autostop_minutes: int | None = None


def is_job_config(data: Mapping[str, Any]) -> bool:
    return _JOB_CONFIG_KEYS.issubset(data)


def autostop_for(cloud: str, requested: int | None) -> int | None:
    """Minutes of idleness before the cluster stops; None where it does not apply."""
    if cloud not in SKY_CLOUDS or cloud in AUTOSTOP_UNSUPPORTED:
        return None
    if requested is None:
        return DEFAULT_AUTOSTOP_MIN
    if requested < 0:
        return None  # explicitly off
    return requested


def gpus_per_node(accelerators: str | None) -> int:
    """`"A100:8"` -> 8, `"H100"` -> 1, None -> 0."""
    if not accelerators:
        return 0
    _, _, count = accelerators.partition(":")
    count = count.strip().rstrip("+")
    try:
        return max(1, int(float(count))) if count else 1
    except ValueError:
        return 1


def run_script(
    command: str,
    config_bytes: bytes,
    overrides: Mapping[str, commands.OverrideValue] | None,
    distributed: bool,
) -> str:
    """The remote script: write the config beside the working dir, then run oumi on it."""
    sub = [*OUMI_SUBCOMMAND[commands.canonical_command(command)], "-c", REMOTE_CONFIG]
    sub += commands.override_args(overrides)
    launcher = ["oumi", "distributed", "torchrun", "-m", "oumi"] if distributed else ["oumi"]
    oumi = [*launcher, *sub]
    payload = base64.b64encode(config_bytes).decode()
    return "\n".join(
        [
            "set -e",
            f'echo "{MARKER}$(pwd)"',
            "mkdir -p .oumi_mcp",
            f"echo {payload} | base64 -d > {REMOTE_CONFIG}",
            " ".join(shlex.quote(a) for a in oumi),
        ]
    )


def _check_mounts(mounts: Mapping[str, Any], what: str) -> None:
    for remote, local in mounts.items():
        bad = not isinstance(remote, str) or not remote or any(c in remote for c in "\n\x00;|&`$")
        if bad or not isinstance(local, str | dict):
            raise ServiceError(
                "bad_mount",
                f"{what} entry {str(remote)[:60]!r} is not a remote-path: source mapping.",
                f"Pass {what} as {{'/remote/path': '/local/path'}}.",
            )


def build_job_config(
    *,
    command: str,
    config_data: Mapping[str, Any],
    config_bytes: bytes,
    overrides: Mapping[str, commands.OverrideValue] | None,
    working_dir: str,
    job_name: str,
    args: ClusterArgs,
    user: str | None,
) -> dict[str, Any]:
    """The launcher job config as a plain dict (what the plan shows and the helper loads)."""
    _check_mounts(args.file_mounts, "file_mounts")
    _check_mounts(args.storage_mounts, "storage_mounts")
    if is_job_config(config_data):
        job: dict[str, Any] = {k: v for k, v in config_data.items()}
        job["resources"] = dict(job.get("resources") or {})
    else:
        nodes = args.num_nodes or 1
        distributed = nodes > 1 or gpus_per_node(args.accelerators) > 1
        job = {
            "run": run_script(command, config_bytes, overrides, distributed),
            "resources": {},
            "working_dir": working_dir,
        }
    res = job["resources"]
    res["cloud"] = args.cloud
    if args.accelerators is not None:
        res["accelerators"] = args.accelerators
    if args.use_spot is not None:
        res["use_spot"] = args.use_spot
    if args.disk_size is not None:
        res["disk_size"] = args.disk_size
    if args.num_nodes is not None:
        job["num_nodes"] = args.num_nodes
    job["name"] = job.get("name") or job_name
    if user and not job.get("user"):
        job["user"] = user
    if args.setup is not None:
        job["setup"] = args.setup
    job["envs"] = {**(job.get("envs") or {}), **args.envs}
    job["file_mounts"] = {**(job.get("file_mounts") or {}), **args.file_mounts}
    job["storage_mounts"] = {**(job.get("storage_mounts") or {}), **args.storage_mounts}
    wd = job.get("working_dir")
    if isinstance(wd, str) and wd and not wd.endswith("/"):
        job["working_dir"] = wd + "/"  # oumi's Slurm rsync nests a dir without the slash
    return job


def launcher_envs(cloud: str, envs: Mapping[str, str]) -> dict[str, str]:
    """Env values as the launcher needs them: Slurm-family job scripts `export K=V` unquoted."""
    if cloud in SLURM_CLOUDS:
        return {k: shlex.quote(str(v)) for k, v in envs.items()}
    return {k: str(v) for k, v in envs.items()}
