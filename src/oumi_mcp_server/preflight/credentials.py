"""Credentials the job needs (HF, W&B, API keys): present or not, by name only, never the value."""

from __future__ import annotations

import os
from pathlib import Path

from oumi_mcp_server.core.hf_token import token_source
from oumi_mcp_server.core.redact import is_secret_name
from oumi_mcp_server.preflight.context import CheckContext, get, walk_strings
from oumi_mcp_server.preflight.models import Finding

# Inference engines that call a paid API, and the variable holding its key.
API_KEYS = {
    "OPENAI": "OPENAI_API_KEY",
    "ANTHROPIC": "ANTHROPIC_API_KEY",
    "GOOGLE_GEMINI": "GEMINI_API_KEY",
    "GEMINI": "GEMINI_API_KEY",
    "TOGETHER": "TOGETHER_API_KEY",
    "DEEPSEEK": "DEEPSEEK_API_KEY",
    "PARASAIL": "PARASAIL_API_KEY",
    "SAMBANOVA": "SAMBANOVA_API_KEY",
    "LAMBDA": "LAMBDA_API_KEY",
    "OPENROUTER": "OPENROUTER_API_KEY",
    "FIREWORKS": "FIREWORKS_API_KEY",
}


def _wandb_present() -> bool:
    if os.environ.get("WANDB_API_KEY"):
        return True
    netrc = Path.home() / ".netrc"
    try:
        return netrc.is_file() and "api.wandb.ai" in netrc.read_text(
            encoding="utf-8", errors="ignore"
        )
    except OSError:
        return False


def _engines(ctx: CheckContext) -> set[str]:
    return {
        str(v).upper()
        for p, v in walk_strings(ctx.data)
        if p and p[-1] in ("engine", "inference_engine")
    }


def check_credentials(ctx: CheckContext) -> list[Finding]:
    out: list[Finding] = []
    models = [v for p, v in walk_strings(ctx.data) if p and p[-1] == "model_name"]
    gated_family = any(
        v.lower().startswith(("meta-llama/", "google/gemma", "mistralai/")) for v in models
    )
    if gated_family and token_source() is None:
        out.append(
            ctx.finding(
                "warning",
                "hf_token_missing",
                "The model is usually gated on the hub and no HF token is set "
                "(HF_TOKEN or `hf auth login`).",
                "Accept the model's licence on the hub, then set HF_TOKEN.",
            )
        )
    wants_wandb = bool(get(ctx.data, "training", "enable_wandb") or get(ctx.data, "enable_wandb"))
    if wants_wandb and not _wandb_present():
        out.append(
            ctx.finding(
                "warning",
                "wandb_key_missing",
                "W&B logging is on but WANDB_API_KEY is not set.",
                "Set WANDB_API_KEY, or set training.enable_wandb: false.",
                ("training", "enable_wandb"),
            )
        )
    for engine in sorted(_engines(ctx)):
        var = API_KEYS.get(engine)
        if var and not os.environ.get(var):
            out.append(
                ctx.finding(
                    "error" if not ctx.remote else "warning",
                    "api_key_missing",
                    f"The {engine} engine needs {var}, which is not set.",
                    f"Export {var} before running.",
                )
            )
    envs = get(ctx.data, "envs")
    if isinstance(envs, dict):
        for name, value in envs.items():
            if is_secret_name(str(name)) and isinstance(value, str) and value and "$" not in value:
                out.append(
                    ctx.finding(
                        "warning",
                        "secret_in_config",
                        f"envs.{name} holds a literal secret in the config file.",
                        f"Remove it; export {name} on the launching machine instead.",
                        ("envs", str(name)),
                    )
                )
    return out
