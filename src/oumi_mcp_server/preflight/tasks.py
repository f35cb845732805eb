"""Which kind of Oumi config is this? Top-level keys first, then the best-fitting class."""

from __future__ import annotations

import dataclasses
import functools
import typing
from typing import Any

from oumi_mcp_server.core.vocabulary import config_kind
from oumi_mcp_server.preflight.models import TASK_TYPES

_CLASS_NAMES = {
    "training": "TrainingConfig",
    "evaluation": "EvaluationConfig",
    "inference": "InferenceConfig",
    "synthesis": "SynthesisConfig",
    "analyze": "AnalyzeConfig",
    "judge": "JudgeConfig",
    "quantization": "QuantizationConfig",
    "tuning": "TuningConfig",
    "job": "JobConfig",
}
# Keys that, present at the top level, name the task (checked in this order).
_MARKER_KEYS: tuple[tuple[str, frozenset[str]], ...] = (
    ("job", frozenset({"resources", "run", "setup", "file_mounts", "num_nodes", "storage_mounts"})),
    ("judge", frozenset({"judge_params", "rule_judge_params", "rubric_judge_params"})),
    ("tuning", frozenset({"tuning"})),
    ("training", frozenset({"training", "peft", "deepspeed"})),
    ("evaluation", frozenset({"tasks", "checkpoints_dir"})),
    ("synthesis", frozenset({"strategy", "strategy_params", "environment_config"})),
    ("analyze", frozenset({"analyzers", "dataset_source"})),
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


def config_class(task_type: str, data: dict[str, Any]) -> Any:
    """The oumi config class (a dataclass) that validates this kind of config."""
    import oumi.core.configs as configs

    if task_type == "evaluation" and "evaluation" in data and "tasks" not in data:
        return configs.AsyncEvaluationConfig
    return getattr(configs, _CLASS_NAMES[task_type])


def best_fit(data: dict[str, Any]) -> str | None:
    """Trying: the config class whose top-level fields cover most of the config's keys."""
    best, best_score = None, 0
    for task in TASK_TYPES:
        names = set(field_types(config_class(task, data)))
        hits = sum(str(k) in names for k in data)
        score = hits * 2 - (len(data) - hits)
        if score > best_score:
            best, best_score = task, score
    return best


@functools.cache
def field_types(cls: Any) -> dict[str, Any]:
    try:
        hints = typing.get_type_hints(cls)
    except Exception:  # an unresolvable annotation: fall back to raw field types
        hints = {f.name: f.type for f in dataclasses.fields(cls)}
    return {f.name: hints.get(f.name, Any) for f in dataclasses.fields(cls)}
