"""Which environment variables a launch may set: configuration of the ML stack, never what the
interpreter, the dynamic loader or a shell reads at start-up.

An allow-list, because the list of ways a variable can make a process run other code is long
and keeps growing (loader paths, interpreter start-up hooks, user site-packages under `HOME`,
warning filters that import modules, shell start-up files, JVM/Node options): allowed are the
variable families that ML libraries, trackers and model providers read (`HF_*`, `WANDB_*`,
`CUDA_*`, `NCCL_*`, `OPENAI_*`, ...), plus whatever the person running the server allows with
`OUMI_MCP_ALLOWED_ENVS` (names, or prefixes ending in `*`; the model cannot set that). A short
deny-list wins over both: those variables change what runs, whoever allows them
(`OUMI_EXTRA_DEPS_FILE` among them: oumi imports every file it lists; the server's own setting
of it is merged into each local job's deps file instead, see `evaluation.deps`).
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping

from oumi_mcp_server.core.errors import ServiceError

ALLOWED_ENV = "OUMI_MCP_ALLOWED_ENVS"
ALLOWED_PREFIXES: tuple[str, ...] = (
    "HF_",
    "HUGGING_FACE_",
    "HUGGINGFACE_",
    "TRANSFORMERS_",
    "DATASETS_",
    "TOKENIZERS_",
    "WANDB_",
    "MLFLOW_",
    "COMET_",
    "NEPTUNE_",
    "AIM_",
    "TENSORBOARD_",
    "CUDA_",
    "NCCL_",
    "NVIDIA_",
    "TORCH_DISTRIBUTED_",
    "TORCH_NCCL_",
    "PYTORCH_CUDA_ALLOC_CONF",
    "OMP_",
    "MKL_",
    "OPENBLAS_",
    "ACCELERATE_",
    "DEEPSPEED_",
    "VLLM_",
    "SGLANG_",
    "LLAMA_",
    "OUMI_",
    "OPENAI_",
    "ANTHROPIC_",
    "GEMINI_",
    "GOOGLE_API_KEY",
    "AZURE_OPENAI_",
    "AWS_",
    "TOGETHER_",
    "SAMBANOVA_",
    "PARASAIL_",
    "LAMBDA_",
    "DEEPSEEK_",
    "GROQ_",
    "MISTRAL_",
    "FIREWORKS_",
    "OPENROUTER_",
    "LC_",
    "SKYPILOT_",
)
ALLOWED_NAMES = frozenset(
    {
        "DO_NOT_TRACK",
        "TZ",
        "LANG",
        "LANGUAGE",
        "PYTHONUNBUFFERED",
        "PYTHONHASHSEED",
        "PYTHONIOENCODING",
        "RANK",
        "LOCAL_RANK",
        "WORLD_SIZE",
        "MASTER_ADDR",
        "MASTER_PORT",
    }
)
_DENIED = re.compile(
    r"^(LD_|DYLD_|PYTHON|PERL|RUBY|NODE_|BASH_FUNC_|MALLOC_|GCONV_|JAVA_|_JAVA_|JDK_JAVA_|"
    r"LUA_|TORCHINDUCTOR_|TRITON_|HF_MODULES_CACHE$|PATH$|HOME$|ENV$|BASH_ENV$|SHELL$|IFS$|"
    r"CDPATH$|PS4$|PROMPT_COMMAND$|SHELLOPTS$|BASHOPTS$|GLIBC_TUNABLES$|TMPDIR$|XDG_|"
    r"OUMI_EXTRA_DEPS_FILE$)"
)
_SAFE_PYTHON = frozenset({"PYTHONUNBUFFERED", "PYTHONHASHSEED", "PYTHONIOENCODING"})


def _person_allows(name: str) -> bool:
    for entry in filter(None, (e.strip() for e in os.environ.get(ALLOWED_ENV, "").split(","))):
        if name == entry or (entry.endswith("*") and name.startswith(entry[:-1])):
            return True
    return False


def why_refused(name: str) -> str | None:
    """Why `name` may not be set by a launch, or None when it may."""
    if _DENIED.match(name) and name not in _SAFE_PYTHON:
        return (
            f"{name} changes what runs (the loader, the interpreter's start-up, a shell, or where "
            "code is loaded from), so a launch may never set it"
        )
    if name in ALLOWED_NAMES or name.startswith(ALLOWED_PREFIXES) or _person_allows(name):
        return None
    return (
        f"{name} is not a variable of the ML stack this server lets a launch set (HF_*, WANDB_*, "
        f"CUDA_*, NCCL_*, OPENAI_*, ...)"
    )


def check(envs: Mapping[str, str]) -> None:
    """Refuse the first variable a launch may not set, naming it and saying why."""
    for name in envs:
        reason = why_refused(name)
        if reason is not None:
            raise ServiceError(
                "env_not_allowed",
                f"{reason}.",
                f"Drop it from envs. If your own code needs it, the person running the server can "
                f"allow it with {ALLOWED_ENV}={name} (names, or prefixes ending in *).",
                {"name": name},
            )
