"""Custom evaluation tasks: this server's offline ones (`heldout_loss`, `prompt_suite`) fail at
start on wrong eval_kwargs or a bad input file, and exist only in local jobs (the launch adds
OUMI_EXTRA_DEPS_FILE there; a cluster target gets a warning). Checked here, before anything
runs; other custom task names are the person's own and pass."""

from __future__ import annotations

from typing import Any

from oumi_mcp_server.evaluation.deps import DEPS_ENV, MODULE
from oumi_mcp_server.evaluation.tasks import TASKS, check_task
from oumi_mcp_server.preflight.context import CheckContext, SkipCheck, get
from oumi_mcp_server.preflight.models import Finding


def check_custom_eval(ctx: CheckContext) -> list[Finding]:
    tasks = get(ctx.data, "tasks")
    ours: list[tuple[int, dict[str, Any]]] = [
        (i, t)
        for i, t in enumerate(tasks if isinstance(tasks, list) else [])
        if isinstance(t, dict)
        and str(t.get("evaluation_backend", "")).lower() == "custom"
        and str(t.get("task_name") or "").lower() in TASKS
    ]
    if ctx.task_type != "evaluation" or not ours:
        raise SkipCheck("no offline evaluation tasks of this server")
    out: list[Finding] = []
    for i, task in ours:
        problem = check_task(task, ctx.cwd, read_files=not ctx.remote)
        if problem is not None:
            out.append(
                ctx.finding(
                    "error",
                    "bad_custom_eval",
                    problem.message,
                    problem.fix,
                    ("tasks", i, problem.key),
                )
            )
        if ctx.remote:
            out.append(
                ctx.finding(
                    "warning",
                    "custom_eval_not_registered",
                    f"task {task.get('task_name')} is registered only in local jobs; on "
                    f"{ctx.cloud} oumi finds it only if {DEPS_ENV} names its module there.",
                    f"Evaluate locally, or install oumi-mcp-server on the cluster and set "
                    f"{DEPS_ENV} to a file listing its {MODULE.name}.",
                    ("tasks", i, "task_name"),
                )
            )
    return out
