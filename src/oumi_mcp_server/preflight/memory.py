"""A rough, documented estimate of the memory a run needs per device.

    weights      = P × b                      (b: bytes per parameter of the dtype; QLoRA: 0.5)
    full tuning  + P × b (gradients) + P × o  (o: optimizer state; AdamW keeps 2 tensors: 2b,
                                               8-bit Adam 2 bytes, SGD b, Adafactor b/2)
    LoRA         + T × (2b + 8)               (T trainable ≈ layers × targets × 2 × r × hidden,
                                               or 0.5 % of P; fp32 AdamW state for T)
    activations  + B × S × hidden × layers × b × (8 without, 1 with gradient checkpointing)
                 + B × S × vocab × 8          (fp32 logits and their gradient)
    sharding     FSDP / ZeRO-3 divide weights, gradients and optimizer state by the device count
    inference    P × b × 1.2 (KV cache and buffers)
    total        × 1.1 + 0.5 GB (CUDA context, fragmentation)

P comes from the model's config.json (or its weight files) when it is local, else from the
name ("Llama-3.1-8B" → 8e9). It is a planning number, off by tens of percent, never a verdict.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from oumi_mcp_server.core.errors import ServiceError
from oumi_mcp_server.core.safe_read import read_regular_file
from oumi_mcp_server.preflight.context import get

GB = 1024**3
_MAX_CONFIG_JSON = 4_000_000
_KNOWN = {
    "gpt2": 124e6,
    "gpt2-medium": 355e6,
    "gpt2-large": 774e6,
    "gpt2-xl": 1.5e9,
    "phi-2": 2.7e9,
    "distilgpt2": 82e6,
}
_MOE = re.compile(r"(\d+)\s*x\s*(\d+(?:\.\d+)?)\s*b\b", re.IGNORECASE)
_SIZE = re.compile(r"(?<![\w.])(\d+(?:\.\d+)?)\s*([bm])(?![a-z])", re.IGNORECASE)
_DTYPE_BYTES = {
    "float32": 4,
    "fp32": 4,
    "float": 4,
    "bfloat16": 2,
    "bf16": 2,
    "float16": 2,
    "fp16": 2,
    "half": 2,
    "float64": 8,
}


@dataclass
class ModelShape:
    params: float
    source: str
    hidden: int
    layers: int
    vocab: int = 32_000


@dataclass
class Estimate:
    need_bytes: float
    shape: ModelShape
    sharded: bool


def _shape_from_config(cfg: dict[str, Any], source: str) -> ModelShape | None:
    cfg = cfg.get("text_config", cfg) if isinstance(cfg.get("text_config"), dict) else cfg
    h = cfg.get("hidden_size") or cfg.get("n_embd") or cfg.get("d_model")
    layers = cfg.get("num_hidden_layers") or cfg.get("n_layer") or cfg.get("num_layers")
    vocab = cfg.get("vocab_size") or 32_000
    if not isinstance(h, int) or not isinstance(layers, int):
        return None
    inter = cfg.get("intermediate_size") or cfg.get("n_inner") or 4 * h
    heads = cfg.get("num_attention_heads") or 1
    kv = cfg.get("num_key_value_heads") or heads
    attn = h * h * 2 + 2 * h * (h * kv // max(heads, 1))
    mlp = (3 if cfg.get("intermediate_size") else 2) * h * int(inter)
    experts = cfg.get("num_local_experts") or cfg.get("num_experts") or 1
    embed = vocab * h * (1 if cfg.get("tie_word_embeddings", True) else 2)
    params = layers * (attn + mlp * int(experts)) + embed
    return ModelShape(float(params), source, h, layers, int(vocab))


def _guess_shape(params: float, source: str) -> ModelShape:
    layers = 12 if params < 5e8 else 24 if params < 2e9 else 32 if params < 1e10 else 80
    hidden = int(math.sqrt(params / (12 * layers)))
    return ModelShape(params, source, hidden, layers)


def shape_of(model_name: str, local_dir: Path | None) -> ModelShape | None:
    if local_dir is not None and local_dir.is_dir():
        try:
            cfg = json.loads(read_regular_file(local_dir / "config.json", _MAX_CONFIG_JSON))
            shape = _shape_from_config(cfg, "config.json") if isinstance(cfg, dict) else None
            if shape:
                return shape
        except (OSError, ValueError, RecursionError, ServiceError):
            pass
        size = sum(p.stat().st_size for p in local_dir.glob("*.safetensors"))
        if size:
            return _guess_shape(size / 2, "weights size (assumed 16-bit)")
    name = model_name.rsplit("/", 1)[-1].lower()
    if name in _KNOWN:
        return _guess_shape(_KNOWN[name], "known model size")
    moe = _MOE.search(name)
    if moe:
        return _guess_shape(float(moe.group(1)) * float(moe.group(2)) * 1e9, "name heuristic")
    sizes = [float(n) * (1e9 if u.lower() == "b" else 1e6) for n, u in _SIZE.findall(name)]
    if sizes:
        return _guess_shape(max(sizes), "name heuristic")
    return None


def dtype_bytes(data: dict[str, Any]) -> int:
    value = get(data, "model", "torch_dtype_str") or get(data, "model", "torch_dtype") or "float32"
    return _DTYPE_BYTES.get(str(value).lower().replace("torch.", ""), 4)


def estimate(
    data: dict[str, Any], task_type: str | None, shape: ModelShape, devices: int = 1
) -> Estimate:
    b = dtype_bytes(data)
    p = shape.params
    if task_type not in ("training", "tuning"):
        return Estimate(p * b * 1.2 * 1.1 + 0.5 * GB, shape, False)
    training = get(data, "training") or {}
    peft = get(data, "peft") or {}
    use_peft = bool(training.get("use_peft")) if isinstance(training, dict) else False
    qlora = use_peft and isinstance(peft, dict) and bool(peft.get("q_lora"))
    sharded = devices > 1 and (
        bool(get(data, "fsdp", "enable_fsdp"))
        or str(get(data, "deepspeed", "zero_stage") or "").endswith("3")
    )
    shard = devices if sharded else 1
    weights = p * (0.5 if qlora else b)
    if use_peft:
        r = int(peft.get("lora_r") or 8) if isinstance(peft, dict) else 8
        targets = peft.get("lora_target_modules") if isinstance(peft, dict) else None
        n_targets = len(targets) if isinstance(targets, list) and targets else 4
        trainable = shape.layers * n_targets * 2 * r * shape.hidden or p * 0.005
        states = trainable * (2 * b + 8)
    else:
        optim = str(training.get("optimizer") or "adamw_torch").lower()
        o = (
            2
            if "8bit" in optim
            else b / 2
            if "adafactor" in optim
            else b
            if "sgd" in optim
            else 2 * b
        )
        states = p * (b + o)
    batch = int(training.get("per_device_train_batch_size") or 8)
    seq = int(get(data, "model", "model_max_length") or 2048)
    checkpointing = bool(training.get("enable_gradient_checkpointing"))
    acts = batch * seq * shape.hidden * shape.layers * b * (1 if checkpointing else 8)
    logits = batch * seq * shape.vocab * 8
    need = ((weights + states) / shard + acts + logits) * 1.1 + 0.5 * GB
    return Estimate(need, shape, sharded)
