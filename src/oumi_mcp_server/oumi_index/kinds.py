"""How each `oumi` command loads its config (read from oumi/cli/*.py): the class, the loader and
whether `finalize_and_validate()` runs before the command starts."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Loader = Literal["omegaconf", "kwargs"]


@dataclass(frozen=True)
class KindSpec:
    command: str  # the oumi CLI command that reads this kind of config
    root: str  # public dotted name of the class it loads (resolved to its definition)
    loader: Loader  # omegaconf: BaseConfig.from_yaml_and_arg_list; kwargs: Class(**mapping)
    finalize: bool  # the command calls finalize_and_validate() before it starts


KINDS: dict[str, KindSpec] = {
    "training": KindSpec("train", "oumi.core.configs.TrainingConfig", "omegaconf", True),
    "evaluation": KindSpec("evaluate", "oumi.core.configs.EvaluationConfig", "omegaconf", True),
    "async_evaluation": KindSpec(
        "evaluate", "oumi.core.configs.AsyncEvaluationConfig", "omegaconf", True
    ),
    "inference": KindSpec("infer", "oumi.core.configs.InferenceConfig", "omegaconf", True),
    "synthesis": KindSpec("synth", "oumi.core.configs.SynthesisConfig", "omegaconf", True),
    "analyze": KindSpec("analyze", "oumi.analyze.config.TypedAnalyzeConfig", "kwargs", False),
    "judge": KindSpec("judge", "oumi.core.configs.JudgeConfig", "omegaconf", False),
    "quantization": KindSpec("quantize", "oumi.core.configs.QuantizationConfig", "omegaconf", True),
    "tuning": KindSpec("tune", "oumi.core.configs.TuningConfig", "omegaconf", True),
    "job": KindSpec("launch", "oumi.core.configs.JobConfig", "omegaconf", True),
}
"""async_evaluation is the `evaluation:` form of an evaluation config (no `tasks:`)."""

SCHEMA_PACKAGES = ("oumi.core.configs",)
SCHEMA_MODULES = ("oumi.analyze.config", "oumi.core.configs.params.test_params")
CLI_MAIN = "oumi.cli.main"
CLI_ALIASES = "oumi.cli.alias"
CLI_ANALYZE = "oumi.cli.analyze"
