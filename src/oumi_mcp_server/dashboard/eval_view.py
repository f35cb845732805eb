"""A run's evaluation page: what `get_results` reads (per task: metrics and per-category scores,
the training summary beside them) and the prompt-suite examples that the task's own
`task_result.json` keeps (prompt, expected, got, pass/fail; `evaluation.scoring.summarize` writes
them, `get_results` leaves them out to stay small)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from oumi_mcp_server.core.errors import ServiceError
from oumi_mcp_server.core.safe_read import read_regular_file
from oumi_mcp_server.dashboard.render import badge, e, job_url, num
from oumi_mcp_server.jobs.results import get_results
from oumi_mcp_server.jobs.results_models import EvalTask, JobResults
from oumi_mcp_server.jobs.service import JobService

CATEGORY = "by_category."
MAX_EXAMPLES = 50
MAX_TASK_FILE = 4 * 1024 * 1024
EXAMPLE_CHARS = 400


class Example(BaseModel):
    """One prompt-suite example as `task_result.json` holds it (anything else is skipped)."""

    prompt: str
    expected: str = ""
    got: str = ""
    passed: bool
    category: str = ""


@dataclass
class EvalPage:
    results: JobResults
    examples: dict[int, list[Example]] = field(default_factory=dict)
    """Per index in `results.evaluation`: that task's examples."""


def _inside(path: str, root: str | None) -> Path | None:
    """`path` with its links resolved when it lies in the run's output folder `root`, else None:
    a task_result.json (or its folder) linked to a file elsewhere is not the run's to show."""
    if not root:
        return None
    try:
        real, base = Path(path).resolve(strict=True), Path(root).resolve(strict=True)
    except (OSError, ValueError, RuntimeError):  # gone, a name the system refuses, a link loop
        return None
    return real if real.is_relative_to(base) else None


def _results(path: str, root: str | None) -> dict[str, Any]:
    """The `results` of a task file in the run's output folder (empty when unreadable)."""
    real = _inside(path, root)
    if real is None:
        return {}
    try:
        data = json.loads(read_regular_file(real, MAX_TASK_FILE, kind="task result"))
    except (ServiceError, OSError, ValueError, RecursionError):
        return {}
    found = data.get("results") if isinstance(data, dict) else None
    return found if isinstance(found, dict) else {}


def _examples(found: Any) -> list[Example]:
    rows = found.get("examples") if isinstance(found, dict) else None
    out: list[Example] = []
    for row in rows[:MAX_EXAMPLES] if isinstance(rows, list) else []:
        if not isinstance(row, dict):
            continue
        fields: dict[str, Any] = {k: row.get(k) for k in ("prompt", "expected", "got", "category")}
        clipped = {k: str(v)[:EXAMPLE_CHARS] for k, v in fields.items() if v is not None}
        try:
            out.append(Example.model_validate({**clipped, "passed": row.get("pass")}))
        except ValidationError:
            continue
    return out


def eval_page(svc: JobService, job_id: str) -> EvalPage:
    """Each task file is read once, however many tasks it holds (the file may be replaced
    since `get_results` read it: anything it holds now is checked again)."""
    res = get_results(svc, job_id)
    page = EvalPage(res)
    files: dict[str, dict[str, Any]] = {}
    for i, task in enumerate(res.evaluation):
        if task.path not in files:
            files[task.path] = _results(task.path, res.output_dir)
        page.examples[i] = _examples(files[task.path].get(task.task))
    return page


def _value(value: float | str) -> str:
    return num(value, ".4g") if isinstance(value, float) else e(value)


def _bar(value: float | str) -> str:
    if not isinstance(value, float) or not 0.0 <= value <= 1.0:
        return ""
    return f'<span class="bar"><span style="width:{value:.1%}"></span></span>'


def _task(task: EvalTask, examples: list[Example]) -> str:
    plain = [(k, v) for k, v in task.metrics.items() if not k.startswith(CATEGORY)]
    cats = [(k[len(CATEGORY) :], v) for k, v in task.metrics.items() if k.startswith(CATEGORY)]
    metrics = "".join(f"<tr><td>{e(k)}</td><td class=num>{_value(v)}</td></tr>" for k, v in plain)
    parts = [
        f'<div class="card task"><h2>{e(task.task)} <span class="muted">{e(task.backend)}'
        + (f" · {num(task.duration_s, '.1f')} s" if task.duration_s is not None else "")
        + "</span></h2>",
        '<div class="table-wrap"><table class="jobs small metrics"><thead><tr><th>Metric</th>'
        f"<th>Value</th></tr></thead><tbody>{metrics}</tbody></table></div>",
    ]
    if task.metrics_truncated:
        parts.append('<p class="muted">More metrics in the task file.</p>')
    if cats:
        rows = "".join(
            f"<tr><td>{e(k)}</td><td class=num>{_bar(v)}{_value(v)}</td></tr>" for k, v in cats
        )
        parts.append(
            '<h3>Per category</h3><div class="table-wrap"><table class="jobs small categories">'
            f"<thead><tr><th>Category</th><th>Score</th></tr></thead><tbody>{rows}</tbody>"
            "</table></div>"
        )
    if examples:
        rows = "".join(
            f'<tr class="{"pass" if x.passed else "fail"}"><td>{e(x.category)}</td>'
            f'<td class="text"><div>{e(x.prompt)}</div></td>'
            f'<td class="text"><div>{e(x.expected)}</div></td>'
            f'<td class="text"><div>{e(x.got)}</div></td>'
            f"<td>{badge('pass' if x.passed else 'fail')}</td></tr>"
            for x in examples
        )
        parts.append(
            '<h3>Examples <span class="muted">(failures first)</span></h3>'
            '<div class="table-wrap"><table class="jobs small examples"><thead><tr>'
            "<th>Category</th><th>Prompt</th><th>Expected</th><th>Got</th><th>Result</th></tr>"
            f"</thead><tbody>{rows}</tbody></table></div>"
        )
    parts.append(f'<p class="muted mono">{e(task.path)}</p></div>')
    return "".join(parts)


def eval_fragment(page: EvalPage, live: bool) -> str:
    res = page.results
    t = res.training
    facts = [("Status", badge(res.status)), ("Command", e(res.command))]
    if t is not None:
        facts += [
            ("Final loss", num(t.final_loss, ".4g")),
            ("Best loss", num(t.best_loss, ".4g")),
            ("Final eval loss", num(t.final_eval_loss, ".4g")),
            ("Steps", e(t.step if t.step is not None else "-")),
        ]
    if res.config is not None:
        facts += [(k, f'<span class="mono">{e(v)}</span>') for k, v in res.config.values.items()]
    tasks = "".join(_task(task, page.examples.get(i, [])) for i, task in enumerate(res.evaluation))
    if not tasks:
        tasks = (
            '<div class="card"><p class="muted">No evaluation results for this run yet '
            "(evaluate it, or open the evaluate job that read its model).</p></div>"
        )
    notes = "".join(f"<li>{e(n)}</li>" for n in res.notes)
    return (
        f'<div id="view" data-live="{"1" if live else "0"}">'
        f'<p class="links"><a href="/">&larr; all jobs</a> '
        f'<a href="{job_url(res.job_id)}">job page</a></p>'
        f'<div class="card"><h2>Evaluation · <span class="mono">{e(res.job_id)}</span></h2>'
        '<dl class="facts">'
        + "".join(f"<dt>{e(k)}</dt><dd>{v}</dd>" for k, v in facts)
        + "</dl>"
        + (f'<ul class="muted">{notes}</ul>' if notes else "")
        + f"</div>{tasks}</div>"
    )
