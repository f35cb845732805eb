"""The offline evaluation tasks this server registers with oumi, and a check of a task's
settings as written in an evaluation config (for pre-flight: before anything runs).

oumi calls a custom function with exactly its config's `eval_kwargs` (every parameter required,
none extra), so the names here must be the parameters of `oumi_mcp_server_evals`'s functions
besides oumi's reserved `config`, `task_params` and `inference_engine` (a test compares them).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from oumi_mcp_server.evaluation.inputs import load_chat_rows, load_suite, rows_to_read
from oumi_mcp_server.evaluation.scoring import EvalInputError


@dataclass(frozen=True)
class TaskSpec:
    file_kwarg: str
    """The one eval_kwarg: the JSONL the task reads."""
    load: Callable[[Path, int], Any]


TASKS: dict[str, TaskSpec] = {
    "heldout_loss": TaskSpec("data_path", load_chat_rows),
    "prompt_suite": TaskSpec("suite_path", load_suite),
}


@dataclass(frozen=True)
class Problem:
    message: str
    fix: str
    key: str
    """The task's key the problem is about (`task_name`, `eval_kwargs`)."""


def check_task(task: dict[str, Any], cwd: Path, read_files: bool) -> Problem | None:
    """What would make this custom task fail at start: an unknown name is not a problem (the
    person may register their own), wrong eval_kwargs or an unreadable input file is."""
    spec = TASKS.get(str(task.get("task_name") or "").lower())
    if spec is None:
        return None
    kwargs = task.get("eval_kwargs") or {}
    keys = sorted(kwargs) if isinstance(kwargs, dict) else []
    if keys != [spec.file_kwarg]:
        return Problem(
            f"task {task.get('task_name')} takes exactly one eval_kwarg, {spec.file_kwarg} "
            f"(oumi refuses missing or extra ones); this config gives {keys or 'none'}.",
            f"Set eval_kwargs: {{{spec.file_kwarg}: <path of the JSONL>}}; bound the rows "
            "read with the task's num_samples.",
            "eval_kwargs",
        )
    if not read_files:
        return None
    path = Path(str(kwargs[spec.file_kwarg])).expanduser()
    try:
        spec.load(path if path.is_absolute() else cwd / path, rows_to_read(task.get("num_samples")))
    except EvalInputError as exc:
        return Problem(str(exc), "Fix the file (the message names the line).", "eval_kwargs")
    return None
