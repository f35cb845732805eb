"""One plan for a whole sweep: every point's exact launch plan, built by the jobs service's own
backends, and the binding a single consent token signs.

Point i runs the config with the fixed overrides, its swept values and its own output folder
`<output_dir>/<sweep_id>/p<i>`, as job `<job_name->sweep_id-p<i>`. The sweep id is chosen at
launch (a token must not depend on a random name, as for a new cluster), so the binding is
computed over the points built with the stand-in id PLAN_ID: the launched points are the same
plans with the real id put in its place.

With `evaluate`, a (local) point is one job running `experiments.point`: train, then evaluate
the trained model into the same output folder, in one process.
"""

from __future__ import annotations

import hashlib
import json
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from oumi_mcp_server.core.errors import ServiceError
from oumi_mcp_server.core.redact import redact_env
from oumi_mcp_server.experiments import sweep_spec
from oumi_mcp_server.experiments.point import EVAL_MARK, TRAIN_MARK
from oumi_mcp_server.experiments.sweep_models import (
    Mode,
    RandomSearch,
    Scalar,
    SweepPlan,
    SweepPointPlan,
)
from oumi_mcp_server.experiments.sweep_store import EVAL_SNAPSHOT
from oumi_mcp_server.experiments.sweep_view import MAX_ANSWER_BYTES, TRAINING_METRICS
from oumi_mcp_server.jobs import commands, queue
from oumi_mcp_server.jobs.plan import BuiltPlan, LaunchRequest, read_config
from oumi_mcp_server.jobs.record import LOCAL_BACKEND
from oumi_mcp_server.jobs.service import JobService

PLAN_ID = "sweep-planned"
"""Stands for the sweep id (chosen at launch) in the plan and in what the token signs."""
OUTPUT_KEY = {"train": "training.output_dir", "evaluate": "output_dir"}
MAX_LABEL = 24
PLAN_BUDGET = MAX_ANSWER_BYTES - 700
"""The shown plan's share of an answer; the rest: the token, its expiry and the message."""
POINT_MODULE = "oumi_mcp_server.experiments.point"


@dataclass
class SweepRequest:
    config: str
    client_cwd: str
    metric: str
    command: str = "train"
    grid: dict[str, list[Scalar]] | None = None
    random: RandomSearch | None = None
    mode: Mode | None = None
    evaluate: str | None = None
    overrides: dict[str, Scalar] | None = None
    job_name: str | None = None
    envs: dict[str, str] | None = None
    cloud: str | None = None
    cluster: dict[str, Any] | None = None

    @property
    def local(self) -> bool:
        return not self.cloud or self.cloud == "local"


@dataclass
class PointPlan:
    index: int
    overrides: dict[str, Scalar]
    built: BuiltPlan
    eval_overrides: dict[str, Scalar] | None = None
    runner_argv: list[str] | None = None
    """With evaluate: the point runner's argv (`{config}`: the run folder's config snapshot)."""


@dataclass
class BuiltSweep:
    req: SweepRequest
    sweep_id: str
    command: str
    mode: Mode
    points: list[PointPlan]
    eval_path: Path | None = None
    eval_bytes: bytes | None = None
    notes: list[str] = field(default_factory=list)

    def eval_snapshot(self, folder: Path) -> Path:
        return folder / EVAL_SNAPSHOT


def _check_request(req: SweepRequest, command: str) -> None:
    if command == "tune":
        raise ServiceError(
            "use_tune",
            "An oumi TuningConfig runs its own search.",
            "Run it with run_oumi_job(command='tune'); run_sweep takes a train or eval config.",
        )
    if command not in OUTPUT_KEY:
        raise ServiceError(
            "bad_sweep_command", f"run_sweep runs train or evaluate, not {command}.", "Use train."
        )
    if req.evaluate and command != "train":
        raise ServiceError("bad_sweep", "evaluate goes with command='train'.", "Drop evaluate.")
    if req.evaluate and not req.local:
        raise ServiceError(
            "evaluate_on_cluster_unsupported",
            "Evaluate-after-train runs on this machine only.",
            "Sweep on the cluster without evaluate (points rank by training metrics such as "
            "final_loss), or run the sweep locally.",
        )
    if req.job_name and (len(req.job_name) > MAX_LABEL or not req.job_name[0].isalnum()):
        raise ServiceError(
            "bad_job_name",
            f"job_name must be 1-{MAX_LABEL} letters, digits, '.', '_' or '-'.",
            "Point i is named <job_name>-<sweep_id>-p<i>.",
        )


def _lookup(data: dict[str, Any], dotted: str) -> Any:
    node: Any = data
    for part in dotted.split("."):
        node = node.get(part) if isinstance(node, dict) else None
    return node


def point_name(label: str | None, sweep_id: str, index: int) -> str:
    return f"{label + '-' if label else ''}{sweep_id}-p{index}"


def _base_output(command: str, data: dict[str, Any], fixed: dict[str, Scalar]) -> str:
    key = OUTPUT_KEY[command]
    value = fixed.pop(key, fixed.pop(f"--{key}", None)) or _lookup(data, key)
    return str(value).rstrip("/") if isinstance(value, str) and value else "output"


def _eval_overrides(out: str, data: dict[str, Any], train: dict[str, Scalar]) -> dict[str, Scalar]:
    """Evaluate what this point trained: the full model in `out`, or the base plus the adapter
    in `out` (LoRA); results land in `out/<backend>_<time>/` where get_results reads them."""
    peft = train.get("training.use_peft", _lookup(data, "training.use_peft"))
    if peft in (True, "true", "True"):
        base = train.get("model.model_name", _lookup(data, "model.model_name"))
        return {"model.model_name": base, "model.adapter_model": out, "output_dir": out}
    return {"model.model_name": out, "output_dir": out}


def runner_argv(built: BuiltPlan, eval_snapshot: Path, evals: dict[str, Scalar]) -> list[str]:
    """`python -m experiments.point --sweep-train {config} <overrides> --sweep-evaluate ...`."""
    train_args = built.plan.argv[built.plan.argv.index("-c") + 2 :]
    return [
        sys.executable,
        "-m",
        POINT_MODULE,
        TRAIN_MARK,
        "{config}",
        *train_args,
        EVAL_MARK,
        str(eval_snapshot),
        *commands.override_args(evals),
    ]


def build_sweep(
    jobs: JobService, req: SweepRequest, sweep_id: str, folder: Path, *, preflight: bool
) -> BuiltSweep:
    """Every point's plan for `sweep_id` (its folder: `folder`); bad input raises ServiceError."""
    command = commands.canonical_command(req.command)
    _check_request(req, command)
    fixed = dict(req.overrides or {})
    commands.override_args(fixed)
    points, notes = sweep_spec.expand(req.grid, req.random, fixed)
    _, _, data = read_config(req.config, req.client_cwd)
    base = _base_output(command, data, fixed)
    eval_path = eval_bytes = None
    if req.evaluate:
        eval_path, eval_bytes, _ = read_config(req.evaluate, req.client_cwd)
    cluster = dict(req.cluster or {})
    if not req.local:
        cluster.setdefault("fetch_outputs", True)  # ranking reads the outputs here
    planned: list[PointPlan] = []
    for i, swept in enumerate(points):
        out = f"{base}/{sweep_id}/p{i}"
        overrides = {**fixed, **swept, OUTPUT_KEY[command]: out}
        launch = LaunchRequest(
            command,
            req.config,
            req.client_cwd,
            overrides,
            point_name(req.job_name, sweep_id, i),
            req.envs,
            cloud=None if req.local else req.cloud,
            cluster=None if req.local else cluster,
        )
        built = jobs.plan(launch, preflight=preflight and i == 0)
        point = PointPlan(i, swept, built)
        if eval_path is not None:
            point.eval_overrides = _eval_overrides(built.plan.output_dir, data, overrides)
            point.runner_argv = runner_argv(built, folder / EVAL_SNAPSHOT, point.eval_overrides)
        planned.append(point)
    mode = req.mode or sweep_spec.default_mode(req.metric)
    return BuiltSweep(req, sweep_id, command, mode, planned, eval_path, eval_bytes, notes)


def binding(jobs: JobService, sweep: BuiltSweep) -> dict[str, Any]:
    """What one token signs: every point's exact plan (its backend's binding), the runner of
    evaluate-after-train points, the eval config's sha256, the number of jobs, and the metric
    and direction the plan showed (the sweep is recorded and ranked by them)."""
    points = []
    for p in sweep.points:
        one = jobs.backend(p.built.plan.backend).binding(p.built)
        if p.runner_argv is not None:
            one["runner"] = p.runner_argv
        points.append(one)
    return {
        "action": "sweep",
        "command": sweep.command,
        "jobs": len(sweep.points),
        "points": points,
        "evaluate_sha256": _sha(sweep.eval_bytes),
        "metric": sweep.req.metric,
        "mode": sweep.mode,
    }


def _sha(data: bytes | None) -> str | None:
    return hashlib.sha256(data).hexdigest() if data is not None else None


def _placement(sweep: BuiltSweep) -> tuple[str, str]:
    n = len(sweep.points)
    first = sweep.points[0].built.plan
    if first.backend == LOCAL_BACKEND:
        at_once = queue.max_concurrent()
        return (
            f"This machine's job queue: {n} job(s), {at_once} at a time "
            f"({queue.MAX_JOBS_ENV}), the rest wait their turn.",
            "Local: no cloud cost.",
        )
    c = first.cluster or {}
    price = c.get("cost_per_hour")
    if c.get("cluster_name"):
        where = (
            f"One {c.get('cloud')} cluster, {c['cluster_name']}, reused: all {n} jobs are "
            "submitted to it and wait in its queue."
        )
        clusters = 1
    else:
        where = f"{n} new {c.get('cloud')} clusters, one per point (named at launch)."
        clusters = n
    cost = (
        f"{clusters} cluster(s) x ${price}/h while up."
        if isinstance(price, int | float)
        else "Unknown until the launcher reports it (list_clusters shows cost per hour)."
    )
    return where, cost


def _metric_notes(sweep: BuiltSweep) -> list[str]:
    """A metric no point can report (a typo, or an eval metric without evaluate) is said now,
    not after every point ran."""
    metric = sweep.req.metric
    if metric in TRAINING_METRICS or sweep.eval_path is not None or sweep.command != "train":
        return []
    return [
        f"metric {metric!r} is not a training metric ({', '.join(sorted(TRAINING_METRICS)[:6])}"
        ", ...) and no evaluate config is given: no point will report it, so none is ranked."
    ]


def shown(sweep: BuiltSweep) -> SweepPlan:
    """The plan the person reads (the stand-in id shown as <sweep_id>), within PLAN_BUDGET."""
    return _fit(_shown(sweep), _space(sweep.req))


def _fit(plan: SweepPlan, space: str) -> SweepPlan:
    """The pre-flight summary shortened, then the last points left out, with every value they
    can take said in a note (`space`): a point cut from the list runs nothing the person did not
    read. What every point shares (fixed overrides, env) is never cut: a plan that cannot show it
    cannot be approved."""
    if len(plan.model_dump_json()) <= PLAN_BUDGET:
        return plan
    plan.preflight = plan.preflight[:300]
    total = len(plan.points)
    plan.notes.append("")
    while len(plan.model_dump_json()) > PLAN_BUDGET - 200 - len(space) and len(plan.points) > 1:
        plan.points.pop()
    plan.notes[-1] = (
        f"{total - len(plan.points)} more point(s) not listed here (answer size); they continue "
        f"the grid's combinations in key order (or the seeded draws) over {space}, and the token "
        "binds them all."
    )
    if len(plan.model_dump_json()) > PLAN_BUDGET:
        raise ServiceError(
            "sweep_plan_too_large",
            f"This sweep's plan is over {MAX_ANSWER_BYTES} bytes even with one point shown.",
            "Put the fixed overrides and long values in the config file.",
        )
    return plan


def _space(req: SweepRequest) -> str:
    """Every value a point can take: the grid's values, or each key's distribution."""
    if req.grid is not None:
        return "; ".join(f"{k}: {v}" for k, v in req.grid.items())
    assert req.random is not None
    return "; ".join(
        f"{k}: {d.model_dump(exclude_defaults=True)}" for k, d in req.random.params.items()
    )


def cluster_job(sweep: BuiltSweep) -> str | None:
    """A point's cluster job (resources, setup, mounts): the token binds it, the person reads it."""
    cluster = getattr(sweep.points[0].built.plan, "cluster", None) or {}
    job = cluster.get("job_config")
    if not isinstance(job, dict):
        return None
    text = json.dumps({k: v for k, v in job.items() if k not in ("run", "envs") and v}, default=str)
    return text.replace(sweep.sweep_id, "<sweep_id>").replace("-p0", "-p<i>")


def _shown(sweep: BuiltSweep) -> SweepPlan:
    first = sweep.points[0]
    plan = first.built.plan
    where, cost = _placement(sweep)

    def generic(text: str) -> str:
        return text.replace(sweep.sweep_id, "<sweep_id>").replace("/p0", "/p<i>")

    argv = first.runner_argv or plan.argv
    return SweepPlan(
        command=sweep.command,
        config=plan.config,
        config_sha256=plan.config_sha256,
        fixed_overrides={
            k: v for k, v in (sweep.req.overrides or {}).items() if k not in OUTPUT_KEY.values()
        },
        points=[SweepPointPlan(index=p.index, overrides=p.overrides) for p in sweep.points],
        jobs=len(sweep.points),
        evaluate=str(sweep.eval_path) if sweep.eval_path else None,
        evaluate_sha256=_sha(sweep.eval_bytes),
        output_dir=generic(plan.output_dir),
        job_name=generic(plan.job_name or "").replace("-p0", "-p<i>"),
        placement=where,
        backend=plan.backend,
        cost=cost,
        metric=sweep.req.metric,
        mode=sweep.mode,
        example_argv=[generic(a) for a in argv],
        env=redact_env(first.built.env),
        preflight=plan.preflight,
        preflight_ready=plan.preflight_ready,
        notes=[
            *sweep.notes,
            *_metric_notes(sweep),
            *(n for n in plan.notes if "snapshot" in n or "Autostop" in n),
            *(
                [f"Cluster job of every point (p0 shown): {job}"]
                if (job := cluster_job(sweep))
                else []
            ),
            *(
                [
                    f"Each point then evaluates its model with {sweep.eval_path}, results in its "
                    "output folder."
                ]
                if sweep.eval_path
                else []
            ),
        ],
    )


def render(sweep: BuiltSweep) -> str:
    """The sweep as a person reads it (the elicitation message)."""
    plan = _shown(sweep)  # every point: a question to the person, not a size-capped answer
    points = "\n".join(
        f"  p{p.index}: " + ", ".join(f"{k}={v}" for k, v in p.overrides.items())
        for p in plan.points
    )
    fixed = ", ".join(f"{k}={v}" for k, v in plan.fixed_overrides.items()) or "(none)"
    return "\n".join(
        [
            f"Run a sweep of {plan.jobs} oumi {plan.command} jobs of {plan.config}?",
            f"Where: {plan.placement}",
            f"Cost: {plan.cost}",
            f"Same for every point: {fixed}",
            f"Points:\n{points}",
            f"Evaluate after training: {plan.evaluate or 'no'}",
            *(n for n in plan.notes if n.startswith("Cluster job")),
            f"Output: {plan.output_dir}",
            f"Pre-flight: {plan.preflight}",
        ]
    )
