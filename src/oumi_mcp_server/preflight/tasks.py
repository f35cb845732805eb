"""Which kind of Oumi config is this? Top-level keys first, then the best-fitting class (from the
oumi index: nothing here imports oumi)."""

from __future__ import annotations

from typing import Any

from oumi_mcp_server.core.vocabulary import config_kind
from oumi_mcp_server.oumi_index.schema import SchemaIndex
from oumi_mcp_server.preflight.models import TASK_TYPES

# Keys that, present at the top level, name the task (checked in this order).
_MARKER_KEYS: tuple[tuple[str, frozenset[str]], ...] = (
    ("job", frozenset({"resources", "run", "setup", "file_mounts", "num_nodes", "storage_mounts"})),
    ("judge", frozenset({"judge_params", "rule_judge_params", "rubric_judge_params"})),
    ("tuning", frozenset({"tuning"})),
    ("training", frozenset({"training", "peft", "deepspeed"})),
    ("evaluation", frozenset({"tasks", "checkpoints_dir"})),
    ("synthesis", frozenset({"strategy", "strategy_params", "environment_config"})),
    ("analyze", frozenset({"analyzers", "dataset_source", "custom_metrics"})),
    ("quantization", frozenset({"method", "awq_group_size", "calibration_samples"})),
    ("inference", frozenset({"generation", "engine", "input_path", "remote_params"})),
)


def normalize_task_type(task_type: str) -> str | None:
    return config_kind(task_type)


def infer_task_type(data: dict[str, Any]) -> tuple[str | None, str]:
    """Task type from the top-level keys (no oumi import): the type and the keys that told."""
    keys = {str(k) for k in data}
    for task, markers in _MARKER_KEYS:
        hit = sorted(keys & markers)
        if hit:
            return task, ", ".join(hit)
    return None, ""


def schema_kind(task_type: str, data: dict[str, Any]) -> str:
    """The index kind that validates this config: an evaluation config with an `evaluation:`
    block and no `tasks:` is the async form."""
    if task_type == "evaluation" and "evaluation" in data and "tasks" not in data:
        return "async_evaluation"
    return task_type


def best_fit(index: SchemaIndex, data: dict[str, Any]) -> str | None:
    """Trying: the config class whose top-level fields cover most of the config's keys."""
    best, best_score = None, 0
    for task in TASK_TYPES:
        names = set(index.fields(index.kind_class(schema_kind(task, data))))
        hits = sum(str(k) in names for k in data)
        score = hits * 2 - (len(data) - hits)
        if score > best_score:
            best, best_score = task, score
    return best
