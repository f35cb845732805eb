"""Oumi's words, said once: commands, their aliases, config kinds and recipe tasks.

Every Literal, tuple and tool description elsewhere derives from these (a new oumi command is
added here and nowhere else). Standard library only: the job supervisor imports it.
"""

from __future__ import annotations

from typing import Literal, get_args

Command = Literal[
    "train", "evaluate", "eval", "infer", "synth", "analyze", "judge", "quantize", "tune"
]
"""What `run_oumi_job` accepts (aliases included)."""
COMMANDS: tuple[str, ...] = get_args(Command)
COMMAND_ALIASES: dict[str, str] = {"eval": "evaluate"}
CANONICAL_COMMANDS: tuple[str, ...] = tuple(c for c in COMMANDS if c not in COMMAND_ALIASES)
OUMI_SUBCOMMAND: dict[str, tuple[str, ...]] = {
    "train": ("train",),
    "evaluate": ("evaluate",),
    "infer": ("infer",),
    "synth": ("synth",),
    "analyze": ("analyze",),
    "judge": ("judge", "dataset"),
    "quantize": ("quantize",),
    "tune": ("tune",),
}
"""The `oumi ...` words each canonical command runs."""
DISTRIBUTED_COMMANDS: frozenset[str] = frozenset({"train", "evaluate", "infer"})
"""Commands that run under `oumi distributed torchrun` when nproc > 1."""

ConfigKind = Literal[
    "training",
    "evaluation",
    "inference",
    "synthesis",
    "analyze",
    "judge",
    "quantization",
    "tuning",
    "job",
]
"""The kinds of Oumi YAML config (one config class each)."""
CONFIG_KINDS: tuple[str, ...] = get_args(ConfigKind)
CONFIG_KIND_ALIASES: dict[str, str] = {
    "train": "training",
    "sft": "training",
    "eval": "evaluation",
    "evaluate": "evaluation",
    "async_evaluation": "evaluation",
    "infer": "inference",
    "synth": "synthesis",
    "analysis": "analyze",
    "quantize": "quantization",
    "tune": "tuning",
    "launch": "job",
}
COMMAND_CONFIG_KIND: dict[str, str] = {
    "train": "training",
    "evaluate": "evaluation",
    "infer": "inference",
    "synth": "synthesis",
    "analyze": "analyze",
    "judge": "judge",
    "quantize": "quantization",
    "tune": "tuning",
}
"""The config kind each canonical command reads."""

RecipeTask = Literal[
    "sft",
    "dpo",
    "grpo",
    "kto",
    "pretraining",
    "evaluation",
    "inference",
    "synthesis",
    "analyze",
    "judge",
    "quantization",
    "tuning",
    "job",
]
"""What a recipe in Oumi's catalog is for (finer than the config kind for training)."""
RECIPE_TASKS: tuple[str, ...] = get_args(RecipeTask)
RECIPE_TASK_ALIASES: dict[str, str] = {
    "train": "sft",
    "training": "sft",
    "finetune": "sft",
    "fine-tune": "sft",
    "eval": "evaluation",
    "evaluate": "evaluation",
    "infer": "inference",
    "synth": "synthesis",
    "analysis": "analyze",
    "quantize": "quantization",
    "quant": "quantization",
    "tune": "tuning",
    "pretrain": "pretraining",
    "launch": "job",
}


def canonical_command(command: str) -> str | None:
    """The canonical command for `command` (an alias resolved), or None when unknown."""
    if command not in COMMANDS:
        return None
    return COMMAND_ALIASES.get(command, command)


def config_kind(name: str) -> str | None:
    """A config kind from its name or an alias (case-insensitive), or None when unknown."""
    key = name.strip().lower()
    key = CONFIG_KIND_ALIASES.get(key, key)
    return key if key in CONFIG_KINDS else None
