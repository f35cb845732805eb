"""Plan and prepare a cluster job: the wrapped job config, the consent plan, the detached helper.

- `plan_cluster(req, preflight=True) -> ClusterBuiltPlan`: the local plan (validated by the jobs
  package) turned into a cluster plan: `backend="launcher"`, and `cluster` holding the cloud,
  cluster name, generated job config (secrets redacted), autostop and cost per hour when known.
  Bad input raises `ServiceError`, nothing is written.
- `prepare(built, job_id, run_dir) -> JobRecord`: write the run folder; `start_helper(run_dir)`
  starts the detached launch helper (the job is `launching` until it recorded the outcome).
"""

from __future__ import annotations

import copy
import hashlib
import json
import re
import shlex
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from oumi_mcp_server.clusters import runstate, slurm
from oumi_mcp_server.clusters.models import ClusterOptions
from oumi_mcp_server.clusters.wrap import (
    SKY_CLOUDS,
    SLURM_CLOUDS,
    ClusterArgs,
    autostop_for,
    build_job_config,
    is_job_config,
    launcher_envs,
)
from oumi_mcp_server.core.detach import start_detached
from oumi_mcp_server.core.echo import short
from oumi_mcp_server.core.errors import ServiceError
from oumi_mcp_server.core.redact import redact_env
from oumi_mcp_server.jobs import runfolder
from oumi_mcp_server.jobs.models import LaunchPlan
from oumi_mcp_server.jobs.plan import BuiltPlan, LaunchRequest, binding, build_plan
from oumi_mcp_server.jobs.record import LAUNCHER_BACKEND, JobRecord
from oumi_mcp_server.jobs.states import LaunchPhase

CLOUD_NAMES = frozenset({*SKY_CLOUDS, *SLURM_CLOUDS, "modal"})


class ClusterLaunchPlan(LaunchPlan):
    """The local plan's fields (argv is the remote oumi command) plus the cluster part."""

    cluster: dict[str, Any]


@dataclass
class ClusterBuiltPlan(BuiltPlan):
    job: dict[str, Any] = field(default_factory=dict)
    autostop: int | None = None
    cluster: dict[str, Any] = field(default_factory=dict)
    """The plan's cluster part (cloud, cluster name, job config shown, autostop, ...)."""


def cluster_binding(built: BuiltPlan) -> dict[str, Any]:
    """What a consent token signs: the local binding plus the exact generated job config."""
    out = binding(built)
    if isinstance(built, ClusterBuiltPlan):
        out["cluster"] = {k: v for k, v in built.cluster.items() if k != "job_config"}
    return out


_CLUSTER_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,127}\Z")


_CLOUD = re.compile(r"^[a-z0-9][a-z0-9_-]{0,31}\Z")


def check_cloud(cloud: str) -> None:
    """A cloud this server can launch on (oumi.launcher's, plugins included), else a clear error."""
    if cloud in CLOUD_NAMES:
        return
    known = False
    if _CLOUD.match(cloud) and cloud != "local":
        from oumi_mcp_server.clusters import launcher_api

        known = cloud in launcher_api.known_clouds()
    if not known:
        raise ServiceError(
            "unknown_cloud",
            f"Unknown cloud '{short(cloud, 40)}'.",
            f"Use one of: {', '.join(sorted(CLOUD_NAMES))} (omit cloud to run locally).",
        )


def check_cluster_name(cloud: str, name: str) -> None:
    """A cluster name the launcher can take for `cloud` (Slurm: user@login-host)."""
    if cloud in SLURM_CLOUDS:
        slurm.parse_cluster(name)
    elif not _CLUSTER_NAME.match(name):
        raise ServiceError(
            "bad_cluster_name",
            f"Cluster name '{short(name, 60)}' is not allowed.",
            "Use 1-128 letters, digits, '.', '_', '@' or '-' (list_clusters shows the names).",
        )


def _cluster_name(args: ClusterArgs) -> str | None:
    """The cluster the user named (None: a new one, named at submit time)."""
    if args.cloud in SLURM_CLOUDS:
        if not args.cluster_name:
            raise ServiceError(
                "cluster_name_required",
                f"cloud {args.cloud!r} needs cluster_name as user@login-host.",
                "Pass cluster_name, e.g. 'alice@login.cluster.edu' (an ssh host you can reach).",
            )
        slurm.parse_cluster(args.cluster_name)
        return args.cluster_name
    if args.cluster_name:
        check_cluster_name(args.cloud, args.cluster_name)
        return args.cluster_name
    return None


def new_cluster_name(job_id: str) -> str:
    """Named at submit, before provisioning starts, so no cluster is ever unaccounted for; the
    plan cannot hold it (a consent token must not depend on a random name)."""
    command = re.sub(r"[^a-z]", "", job_id.split("-", 1)[0].lower())[:8] or "job"
    return f"oumi-{command}-{job_id.rsplit('-', 1)[-1].lower()}"


def cluster_args(cloud: str, options: Mapping[str, Any] | None) -> tuple[ClusterArgs, bool]:
    """run_oumi_job's `cloud` and `cluster` arguments, validated; and whether to fetch outputs."""
    try:
        o = ClusterOptions.model_validate(dict(options or {}))
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(x) for x in first.get("loc", ()))
        raise ServiceError(
            "bad_cluster_option",
            f"cluster.{where[:60]}: {first.get('msg', 'invalid')}.",
            f"Known keys: {', '.join(ClusterOptions.model_fields)}.",
        ) from None
    args = ClusterArgs(
        cloud=cloud,
        cluster_name=o.cluster_name,
        accelerators=o.accelerators,
        num_nodes=o.num_nodes,
        use_spot=o.use_spot,
        disk_size=o.disk_size,
        file_mounts=dict(o.file_mounts),
        storage_mounts=dict(o.storage_mounts),
        setup=o.setup,
        autostop_minutes=o.autostop_minutes,
    )
    return args, o.fetch_outputs


def plan_cluster(req: LaunchRequest, *, preflight: bool = True) -> ClusterBuiltPlan:
    args, fetch_outputs = cluster_args(str(req.cloud), req.cluster)
    return plan_with_args(req, args, fetch_outputs=fetch_outputs, preflight=preflight)


def plan_with_args(
    req: LaunchRequest, args: ClusterArgs, *, fetch_outputs: bool = False, preflight: bool = True
) -> ClusterBuiltPlan:
    check_cloud(args.cloud)
    if args.num_nodes is not None and not 1 <= args.num_nodes <= 512:
        raise ServiceError("bad_num_nodes", "num_nodes must be 1-512.", "Pass 1 for one node.")
    if args.disk_size is not None and not 1 <= args.disk_size <= 65536:
        raise ServiceError("bad_disk_size", "disk_size is in GB, 1-65536.", "Omit it for default.")
    built = build_plan(req, preflight=preflight)
    raw, data = built.config_bytes, built.config_data
    plan = built.plan
    user = (
        slurm.parse_cluster(args.cluster_name).user
        if (args.cloud in SLURM_CLOUDS and args.cluster_name)
        else None
    )
    job_name = plan.job_name or f"oumi-{plan.command}"
    name = _cluster_name(args)
    envs = {**built.env, **args.envs}
    job = build_job_config(
        command=plan.command,
        config_data=data,
        config_bytes=raw,
        overrides=req.overrides,
        working_dir=plan.cwd,
        job_name=job_name,
        args=ClusterArgs(**{**args.__dict__, "envs": launcher_envs(args.cloud, envs)}),
        user=user,
    )
    autostop = autostop_for(args.cloud, args.autostop_minutes)
    shown = copy.deepcopy(job)
    shown["envs"] = redact_env({k: str(v) for k, v in envs.items()})
    shown["run"] = re.sub(r"echo [A-Za-z0-9+/=]{40,} \|", "echo <config, base64> |", shown["run"])
    passthrough = is_job_config(data)
    autostop_note = (
        f"the cluster stops after {autostop} idle minutes."
        if autostop
        else "not applicable to this cloud."
        if args.cloud not in SKY_CLOUDS
        else "OFF: the cluster keeps billing until you stop it."
    )
    fields = plan.model_dump()
    fields.update(
        backend=LAUNCHER_BACKEND,
        argv=[] if passthrough else shlex.split(job["run"].splitlines()[-1]),
        env=redact_env({k: str(v) for k, v in envs.items()}),
        notes=[
            f"Runs on {args.cloud} cluster {name or 'new (named oumi-<command>-<id> at launch)'}; "
            "the config travels inside the run script.",
            f"Autostop: {autostop_note}",
            "Cost per hour: shown by list_clusters once the launcher knows it.",
        ],
        cluster={
            "cloud": args.cloud,
            "cluster_name": name,
            "job_config": shown,
            "job_config_sha256": hashlib.sha256(
                json.dumps(job, sort_keys=True, default=str).encode()
            ).hexdigest(),
            "autostop_minutes": autostop,
            "cost_per_hour": None,
            "fetch_outputs": fetch_outputs,
            "passthrough": passthrough,
        },
    )
    return ClusterBuiltPlan(
        plan=ClusterLaunchPlan(**fields),
        config_path=built.config_path,
        config_bytes=built.config_bytes,
        env=envs,
        model=built.model,
        config_data=data,
        job=job,
        autostop=autostop,
        cluster=fields["cluster"],
    )


def start_helper(run_dir: Path) -> None:
    """Start the detached launch helper; returns once it has forked away from us."""
    start_detached(
        [sys.executable, "-m", "oumi_mcp_server.clusters.launch_helper", str(run_dir)],
        log=run_dir / runstate.HELPER_LOG,
    )


def prepare(built: ClusterBuiltPlan, job_id: str, run_dir: Path) -> JobRecord:
    """Write the run folder of a cluster job (the cluster is named now, before provisioning)."""
    p = built.plan
    cluster = built.cluster
    name = str(cluster["cluster_name"] or new_cluster_name(job_id))
    (run_dir / runfolder.CONFIG).write_bytes(built.config_bytes)
    (run_dir / runstate.JOB_YAML).write_text(yaml.safe_dump(built.job, sort_keys=False))
    (run_dir / runstate.JOB_YAML).chmod(0o600)
    autostop = built.autostop
    runstate.write_json_atomic(
        run_dir / runstate.LAUNCH,
        {
            "cloud": cluster["cloud"],
            "cluster": name,
            "up_kwargs": {"idle_minutes_to_autostop": autostop} if autostop else {},
            "fetch_outputs": bool(cluster.get("fetch_outputs")),
            "output_dir": p.output_dir,
            "cwd": p.cwd,
        },
    )
    now = time.time()
    runstate.update(run_dir, launch=LaunchPhase.LAUNCHING, queued_at=now)
    return JobRecord(
        id=job_id,
        name=p.job_name or p.command,
        command=p.command,
        backend=LAUNCHER_BACKEND,
        backend_job_id=job_id,
        submitted_at=now,
        run_dir=str(run_dir),
        cluster=name,
        output_dir=str(run_dir / runstate.OUTPUTS),
        model=built.model,
        config_path=str(run_dir / runfolder.CONFIG),
        source_config=p.config,
        cwd=p.cwd,
        argv=list(p.argv),
        extra={"cloud": cluster["cloud"]},
    )
