"""The rough memory formula: sizes from names and config.json, LoRA/QLoRA smaller than full."""

from __future__ import annotations

import json
from pathlib import Path

from oumi_mcp_server.preflight.memory import GB, estimate, shape_of


def test_param_counts() -> None:
    assert shape_of("meta-llama/Llama-3.1-8B-Instruct", None).params == 8e9
    assert shape_of("HuggingFaceTB/SmolLM2-135M", None).params == 135e6
    assert shape_of("Qwen/Qwen2.5-0.5B", None).params == 0.5e9
    assert shape_of("mistralai/Mixtral-8x7B-v0.1", None).params == 56e9
    assert shape_of("gpt2", None).params == 124e6
    assert shape_of("org/mystery", None) is None


def test_param_count_from_config_json(tmp_path: Path) -> None:
    (tmp_path / "config.json").write_text(
        json.dumps(
            {
                "hidden_size": 576,
                "num_hidden_layers": 30,
                "intermediate_size": 1536,
                "num_attention_heads": 9,
                "num_key_value_heads": 3,
                "vocab_size": 49152,
            }
        )
    )
    shape = shape_of("x", tmp_path)
    assert shape and shape.source == "config.json" and 1.2e8 < shape.params < 1.5e8


def test_full_vs_lora_vs_qlora() -> None:
    shape = shape_of("org/M-8B", None)
    base = {
        "model": {"torch_dtype_str": "bfloat16", "model_max_length": 1024},
        "training": {"per_device_train_batch_size": 1, "enable_gradient_checkpointing": True},
    }
    full = estimate(base, "training", shape).need_bytes
    lora = estimate(
        {**base, "training": {**base["training"], "use_peft": True}}, "training", shape
    ).need_bytes
    qlora = estimate(
        {**base, "training": {**base["training"], "use_peft": True}, "peft": {"q_lora": True}},
        "training",
        shape,
    ).need_bytes
    infer = estimate(base, "inference", shape).need_bytes
    assert full > 50 * GB > lora > 16 * GB > qlora and infer > 16 * GB
