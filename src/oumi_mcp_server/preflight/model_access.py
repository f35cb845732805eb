"""Models: a local model folder is complete; a hub model exists and the token may read it."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from oumi_mcp_server.core.errors import ServiceError
from oumi_mcp_server.core.hf_token import token_source
from oumi_mcp_server.core.safe_read import read_regular_file
from oumi_mcp_server.preflight import hf_cache, hub
from oumi_mcp_server.preflight.context import (
    CheckContext,
    SkipCheck,
    get,
    is_uri,
    looks_local,
    walk_strings,
)
from oumi_mcp_server.preflight.loading import KeyPath
from oumi_mcp_server.preflight.models import Finding
from oumi_mcp_server.preflight.paths import check_input

MODEL_KEYS = frozenset(
    {"model_name", "tokenizer_name", "adapter_model", "teacher_model_name_or_path"}
)
LOCAL_ENGINES = frozenset({"NATIVE", "VLLM", "LLAMACPP"})
_WEIGHT_GLOBS = ("*.safetensors", "pytorch_model*.bin", "model*.bin", "*.pt", "*.gguf")
_INDEXES = ("model.safetensors.index.json", "pytorch_model.bin.index.json")
_MAX_INDEX_BYTES = 16_000_000
_TOKENIZER_FILES = (
    "tokenizer.json",
    "tokenizer.model",
    "tokenizer_config.json",
    "vocab.json",
    "spiece.model",
)


@dataclass
class ModelRef:
    path: KeyPath
    value: str


def _engine(ctx: CheckContext, path: KeyPath) -> str:
    for candidate in (
        (*path[:-2], "engine"),
        ("engine",),
        ("inference_engine",),
        ("inference_config", "engine"),
    ):
        value = get(ctx.data, *candidate)
        if isinstance(value, str):
            return value.upper()
    return "NATIVE"


def model_refs(ctx: CheckContext) -> list[ModelRef]:
    """Model names that load weights here or on the target (API models are left out)."""
    return [
        ModelRef(path, value)
        for path, value in walk_strings(ctx.data)
        if path
        and path[-1] in MODEL_KEYS
        and value.strip()
        and not is_uri(value)
        and "${" not in value
        and _engine(ctx, path) in LOCAL_ENGINES
    ]


def is_local_ref(ctx: CheckContext, value: str) -> bool:
    return looks_local(value) or ctx.resolve(value).exists()


def inspect_model_dir(folder: Path, *, needs_tokenizer: bool) -> list[str]:
    """What a model folder lacks: config, weights (and index shards), tokenizer files."""
    names = {p.name for p in folder.iterdir()}
    if "adapter_config.json" in names:
        has = any(n.startswith("adapter_model.") for n in names)
        return [] if has else ["adapter weights (adapter_model.safetensors or .bin)"]
    missing: list[str] = []
    if "config.json" not in names:
        missing.append("config.json")
    index = next((folder / i for i in _INDEXES if i in names), None)
    if index is not None:
        try:
            shards = set(
                json.loads(read_regular_file(index, _MAX_INDEX_BYTES))
                .get("weight_map", {})
                .values()
            )
        except (OSError, ValueError, AttributeError, RecursionError, ServiceError):
            shards = set()
        lost = sorted(s for s in shards if not (folder / s).is_file())
        if lost:
            missing.append(f"weight shards listed in {index.name} ({', '.join(lost[:3])})")
    elif not any(any(folder.glob(g)) for g in _WEIGHT_GLOBS):
        missing.append("weights (*.safetensors or pytorch_model*.bin)")
    if needs_tokenizer and not names.intersection(_TOKENIZER_FILES):
        missing.append("tokenizer files (tokenizer.json or tokenizer_config.json)")
    return missing


def check_models(ctx: CheckContext) -> list[Finding]:
    """Local model folders: present and complete; hub ids: cached here or not (no network)."""
    out: list[Finding] = []
    for ref in model_refs(ctx):
        key = str(ref.path[-1])
        if not is_local_ref(ctx, ref.value):
            out.extend(_cached_note(ctx, ref))
            continue
        target = ctx.resolve(ref.value)
        if not target.exists():
            if ctx.remote:
                out.extend(check_input(ctx, ref.path, ref.value))
            else:
                out.append(
                    ctx.finding(
                        "error",
                        "model_not_found",
                        f"`{key}` {target} does not exist.",
                        "Fix the path, or use a hub id such as "
                        "`HuggingFaceTB/SmolLM2-135M-Instruct`.",
                        ref.path,
                    )
                )
            continue
        if ctx.remote:
            out.extend(check_input(ctx, ref.path, ref.value))
        if target.is_dir():
            tokenizer_set = isinstance(get(ctx.data, *ref.path[:-1], "tokenizer_name"), str)
            missing = inspect_model_dir(
                target, needs_tokenizer=key == "model_name" and not tokenizer_set
            )
            if missing:
                out.append(
                    ctx.finding(
                        "error",
                        "model_dir_incomplete",
                        f"Model folder {target} lacks {'; '.join(missing)}.",
                        "Save the model with `save_pretrained` (model and tokenizer), or point "
                        f"`{key}` at a complete folder.",
                        ref.path,
                    )
                )
    return out


def _cached_note(ctx: CheckContext, ref: ModelRef) -> list[Finding]:
    """A hub model missing from the local cache: a download, impossible while offline."""
    if str(ref.path[-1]) != "model_name" or ctx.remote or hf_cache.model_cached(ref.value):
        return []
    offline = hub.offline_reason()
    if offline:
        return [
            ctx.finding(
                "error",
                "model_unavailable_offline",
                f"`{ref.value}` is not in the local HF cache and the Hub is unreachable "
                f"({offline}): the run cannot download it.",
                "Download it once with the Hub reachable (`hf download <id>`), or point "
                "model_name at a local model folder.",
                ref.path,
            )
        ]
    return [
        ctx.finding(
            "info",
            "model_not_cached",
            f"`{ref.value}` is not in the local HF cache; it will be downloaded.",
            "Expect a download before the run starts.",
            ref.path,
        )
    ]


def check_hub_models(ctx: CheckContext) -> list[Finding]:
    """Hub models exist and gated ones are readable with the user's token (online only)."""
    refs = [r for r in model_refs(ctx) if not is_local_ref(ctx, r.value)]
    if not refs:
        raise SkipCheck("no hub models")
    hub.require_online()
    out: list[Finding] = []
    for repo in sorted({r.value for r in refs}):
        path = next(r.path for r in refs if r.value == repo)
        token = "your token has" if token_source() else "no HF token is set, so you have"
        gated = (
            f"Model `{repo}` is gated and {token} no access.",
            f"Request access at https://huggingface.co/{repo}, then set "
            "HF_TOKEN or run `hf auth login`.",
        )
        status = hub.repo_status(repo, "model")
        found = hub.access_finding(ctx, "model", repo, status, gated, path)
        if found is not None:
            out.append(found)
    return out
