"""Our checks on top of oumi's: settings oumi accepts that do not do what they say."""

from __future__ import annotations

from oumi_mcp_server.preflight.context import get
from oumi_mcp_server.preflight.loading import LoadedConfig
from oumi_mcp_server.preflight.models import Finding

_TRUE_WORDS = frozenset({"true", "yes", "y", "on", "1"})


def _truthy(value: object) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in _TRUE_WORDS
    return bool(value)


def config_advice(kind: str, loaded: LoadedConfig) -> list[Finding]:
    out: list[Finding] = []
    peft = loaded.data.get("peft")
    if kind == "training" and isinstance(peft, dict) and peft:
        use_peft = get(loaded.data, "training", "use_peft")
        if not _truthy(use_peft):
            where = ("training", "use_peft") if use_peft is not None else ("peft",)
            out.append(
                Finding(
                    severity="warning",
                    code="peft_ignored",
                    message="A `peft:` block is set but `training.use_peft` is not true: oumi "
                    "ignores the block and runs a full fine-tune (more memory, no adapter).",
                    fix="Set `training.use_peft: true` for LoRA/QLoRA, or remove the `peft:` "
                    "block for a full fine-tune.",
                    location=loaded.location(where),
                )
            )
    return out
