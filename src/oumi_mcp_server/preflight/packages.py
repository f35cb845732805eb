"""Optional packages a config needs that are not installed: the run would die at start.

Looked up with importlib.util.find_spec (nothing is imported). Missing here is an error for a
local run and a note for a remote one (its setup installs its own packages).
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from oumi_mcp_server.preflight.context import CheckContext, get, walk_strings
from oumi_mcp_server.preflight.loading import KeyPath
from oumi_mcp_server.preflight.models import Finding

_TRUE_WORDS = frozenset({"true", "yes", "y", "on", "1"})


def _on(value: Any) -> bool:
    return value.strip().lower() in _TRUE_WORDS if isinstance(value, str) else bool(value)


def _engine_paths(data: dict[str, Any], engine: str) -> list[KeyPath]:
    return [
        p
        for p, v in walk_strings(data)
        if p and p[-1] in ("engine", "inference_engine") and v.strip().upper() == engine
    ]


@dataclass(frozen=True)
class Need:
    feature: str
    module: str  # import name looked up with find_spec
    install: str  # the command that installs it
    where: Callable[[CheckContext], list[KeyPath]]  # config keys that need it; [] when none


def _key(*keys: str | int) -> Callable[[CheckContext], list[KeyPath]]:
    return lambda ctx: [tuple(keys)] if _on(get(ctx.data, *keys)) else []


def _kind(kind: str, key: str) -> Callable[[CheckContext], list[KeyPath]]:
    return lambda ctx: [(key,)] if ctx.task_type == kind else []


def _engine(name: str) -> Callable[[CheckContext], list[KeyPath]]:
    return lambda ctx: _engine_paths(ctx.data, name)


def _method(prefix: str) -> Callable[[CheckContext], list[KeyPath]]:
    def where(ctx: CheckContext) -> list[KeyPath]:
        method = ctx.data.get("method")
        ok = ctx.task_type == "quantization" and isinstance(method, str)
        return [("method",)] if ok and str(method).lower().startswith(prefix) else []

    return where


def _lm_harness(ctx: CheckContext) -> list[KeyPath]:
    tasks = ctx.data.get("tasks") if ctx.task_type == "evaluation" else None
    found: list[KeyPath] = [
        ("tasks", i, "evaluation_backend")
        for i, t in enumerate(tasks if isinstance(tasks, list) else [])
        if isinstance(t, dict) and str(t.get("evaluation_backend", "")).lower() == "lm_harness"
    ]
    return found[:1]


NEEDS = (
    Need("`oumi tune` (Optuna)", "optuna", "pip install 'oumi[tune]'", _kind("tuning", "tuning")),
    Need("QLoRA (peft.q_lora)", "bitsandbytes", "pip install bitsandbytes", _key("peft", "q_lora")),
    Need(
        "DeepSpeed",
        "deepspeed",
        "pip install 'oumi[deepspeed]'",
        _key("deepspeed", "enable_deepspeed"),
    ),
    Need("GRPO with vLLM", "vllm", "pip install vllm", _key("training", "grpo", "use_vllm")),
    Need("the VLLM engine", "vllm", "pip install vllm", _engine("VLLM")),
    Need("the SGLANG engine", "sglang", "pip install sglang", _engine("SGLANG")),
    Need("the LLAMACPP engine", "llama_cpp", "pip install 'oumi[llama-cpp]'", _engine("LLAMACPP")),
    Need("lm_harness evaluation", "lm_eval", "pip install lm_eval", _lm_harness),
    Need("AWQ quantization", "awq", "pip install 'oumi[quantization]'", _method("awq")),
    Need("bitsandbytes quantization", "bitsandbytes", "pip install bitsandbytes", _method("bnb")),
)


def _installed(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        return False


def check_packages(ctx: CheckContext) -> list[Finding]:
    out: list[Finding] = []
    seen: set[tuple[str, str]] = set()
    for need in NEEDS:
        paths = need.where(ctx)
        if not paths or (need.feature, need.module) in seen or _installed(need.module):
            continue
        seen.add((need.feature, need.module))
        if ctx.remote:
            out.append(
                ctx.finding(
                    "info",
                    "package_missing_locally",
                    f"{need.feature} needs `{need.module}`, not installed here; fine for a run "
                    f"on {ctx.cloud} if its setup installs it.",
                    f"Install it in the remote setup: {need.install}",
                    paths[0],
                )
            )
        else:
            out.append(
                ctx.finding(
                    "error",
                    "package_missing",
                    f"{need.feature} needs the `{need.module}` package, which is not installed "
                    "here: the run would fail at start.",
                    need.install,
                    paths[0],
                )
            )
    return out
