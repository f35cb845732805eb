"""Read one recipe file into index metadata, tolerating anything a YAML file can hold.

Never imports oumi: the recipe's shape (its top-level sections) says what kind of config it is.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from oumi_mcp_server.core.vocabulary import RECIPE_TASKS
from oumi_mcp_server.preflight.yaml_guard import YamlRefused, load_yaml

TASK_TYPES: tuple[str, ...] = RECIPE_TASKS
OTHER_TASK = "other"

_MAX_DESCRIPTION = 240
_MAX_DATASETS = 12
_SKIP_HEADER = ("usage:", "requirements:", "see also:", "copyright", "licensed under")
_PATH_TASKS: tuple[tuple[str, str], ...] = (
    ("grpo", "grpo"),
    ("dpo", "dpo"),
    ("kto", "kto"),
    ("pretrain", "pretraining"),
    ("sft", "sft"),
    ("eval", "evaluation"),
    ("infer", "inference"),
    ("synth", "synthesis"),
    ("analy", "analyze"),
    ("judge", "judge"),
    ("quant", "quantization"),
    ("tuning", "tuning"),
    ("job", "job"),
)
_TOKEN = re.compile(r"[a-z0-9]+")
_RUNS_CONFIG = re.compile(r"(?:-c|--config)[ =]+[\"']?(?:oumi://)?(?:\./)?configs/(\S+?\.ya?ml)")


@dataclass
class Recipe:
    """What the index knows about one recipe file (path relative to the catalog root)."""

    path: str
    size: int
    mtime_ns: int
    task: str = OTHER_TASK
    description: str = ""
    model: str | None = None
    datasets: list[str] = field(default_factory=list)
    peft: str | None = None
    cloud: str | None = None
    accelerators: str | None = None
    runs: str | None = None
    problem: str | None = None
    family: str | None = None


def _as_dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _text(value: Any) -> str | None:
    if isinstance(value, str) and value.strip():
        return value.strip()
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return None


def header_description(text: str) -> str:
    """The first paragraph of the file's leading `#` comments that is not boilerplate (Usage,
    Requirements, See Also, licence)."""
    lines: list[str] = []
    skipping = False
    for raw in text.splitlines():
        line = raw.strip()
        if line and not line.startswith("#"):
            break
        clean = line.lstrip("#").strip()
        if not clean:
            if lines:
                break
            skipping = False
            continue
        if clean.lower().startswith(_SKIP_HEADER):
            if lines:
                break
            skipping = True
        if not skipping:
            lines.append(clean)
    description = " ".join(lines)
    if len(description) > _MAX_DESCRIPTION:
        description = description[: _MAX_DESCRIPTION - 1].rstrip() + "…"
    return description


def _path_task(path: str) -> str | None:
    """First task keyword that starts a path token (`gcp_job.yaml` → job; `endpoint` ≠ dpo)."""
    tokens = _TOKEN.findall(path.lower())
    for needle, task in _PATH_TASKS:
        if any(token.startswith(needle) for token in tokens):
            return task
    return None


def infer_task(doc: dict[str, Any], path: str) -> str:
    """Task type: `training.trainer_type` first, then the config's sections, then the path."""
    training = doc.get("training")
    if isinstance(training, dict) or "training" in doc:
        trainer = (_text(_as_dict(training).get("trainer_type")) or "").upper()
        for needle, task in (("GRPO", "grpo"), ("DPO", "dpo"), ("KTO", "kto")):
            if needle in trainer:
                return task
        # An explicit SFT-style trainer (TRL_SFT, OUMI, GKD...) is not overruled by the path,
        # except that pretraining runs also use it.
        path_task = _path_task(path)
        allowed = ("pretraining",) if trainer else ("grpo", "dpo", "kto", "pretraining")
        return path_task if path_task is not None and path_task in allowed else "sft"
    sections = (
        (("resources", "run"), "job"),
        (("tuning",), "tuning"),
        (("judge_params",), "judge"),
        (("strategy", "strategy_params"), "synthesis"),
        (("analyzers",), "analyze"),
        (("tasks", "evaluation"), "evaluation"),
        (("engine", "inference_engine"), "inference"),
    )
    for keys, task in sections:
        if any(key in doc for key in keys):
            return task
    if "method" in doc and "output_path" in doc:
        return "quantization"
    return _path_task(path) or ("inference" if "generation" in doc else OTHER_TASK)


def _model_name(doc: dict[str, Any]) -> str | None:
    for holder in (
        _as_dict(doc.get("model")),
        _as_dict(_as_dict(doc.get("inference_config")).get("model")),
        doc,
    ):
        name = _text(holder.get("model_name"))
        if name:
            return name
    return None


def _datasets(doc: dict[str, Any]) -> list[str]:
    """Dataset names of every data split; for evaluation configs, the benchmark task names."""
    names: list[str] = []
    data = _as_dict(doc.get("data"))
    for split in ("train", "validation", "test"):
        for entry in _as_list(_as_dict(data.get(split)).get("datasets")):
            name = _text(_as_dict(entry).get("dataset_name"))
            if name:
                names.append(name)
    for task in _as_list(doc.get("tasks")):
        name = _text(_as_dict(task).get("task_name"))
        if name:
            names.append(name)
    for entry in _as_list(_as_dict(doc.get("strategy_params")).get("input_data")):
        name = _text(_as_dict(entry).get("path"))
        if name:
            names.append(name)
    name = _text(doc.get("dataset_name")) or _text(doc.get("dataset_path"))
    if name:
        names.append(name)
    return list(dict.fromkeys(names))[:_MAX_DATASETS]


def _peft(doc: dict[str, Any], path: str, task: str) -> str | None:
    if task not in ("sft", "dpo", "grpo", "kto", "pretraining") or "training" not in doc:
        return None
    training = _as_dict(doc.get("training"))
    peft = _as_dict(doc.get("peft"))
    uses_peft = training.get("use_peft")
    if uses_peft is True or (uses_peft is None and peft.get("lora_r")):
        return "qlora" if peft.get("q_lora") is True or "qlora" in path.lower() else "lora"
    return "full"


def _accelerators(value: Any) -> str | None:
    if isinstance(value, dict):
        return ", ".join(f"{k}:{v}" if v is not None else str(k) for k, v in value.items()) or None
    if isinstance(value, list):
        return ", ".join(str(v) for v in value) or None
    return _text(value)


def _runs(doc: dict[str, Any]) -> str | None:
    run = doc.get("run")
    match = _RUNS_CONFIG.search(run) if isinstance(run, str) else None
    return match.group(1) if match else None


def _unparsed(recipe: Recipe, problem: str) -> Recipe:
    """A recipe whose YAML gave no mapping: say why, and take the task its path suggests."""
    recipe.problem = problem
    recipe.task = _path_task(recipe.path) or OTHER_TASK
    return recipe


def extract(path: str, data: bytes, size: int, mtime_ns: int) -> Recipe:
    """Index one file. Bad YAML, binary junk or odd sections yield what can be read plus a note."""
    recipe = Recipe(path=path, size=size, mtime_ns=mtime_ns)
    if b"\x00" in data[:8192]:
        return _unparsed(recipe, "binary file, not YAML")
    text = data.decode("utf-8", errors="replace")
    recipe.description = header_description(text)
    try:
        doc, _node = load_yaml(text)
    except YamlRefused as exc:
        where = f" (line {exc.line})" if exc.line else ""
        return _unparsed(recipe, f"invalid YAML{where}: {exc.message[:160]}")
    if not isinstance(doc, dict):
        return _unparsed(
            recipe, "empty file" if doc is None else f"top level is a {type(doc).__name__}"
        )
    recipe.task = infer_task(doc, path)
    recipe.model = _model_name(doc)
    recipe.datasets = _datasets(doc)
    recipe.peft = _peft(doc, path, recipe.task)
    if recipe.task == "job":
        resources = _as_dict(doc.get("resources"))
        recipe.cloud = _text(resources.get("cloud"))
        recipe.accelerators = _accelerators(resources.get("accelerators"))
        recipe.runs = _runs(doc)
    return recipe
