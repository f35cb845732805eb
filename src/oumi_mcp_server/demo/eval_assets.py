"""The experiment-loop half of the tiny assets: a LoRA config, held-out data, a prompt suite and
an `oumi evaluate` config that runs both offline evaluation functions (`evaluation/`).

- `configs/lora.yaml`: the tiny train config with `training.use_peft: true` and LoRA on
  `q_proj`/`v_proj` (r 8), LORA_STEPS steps, adapters saved to `output_lora/`.
- `data/heldout.jsonl`: one chat row per question/answer pair (the training format).
- `data/prompt_suite.jsonl`: 10 prompts in 4 categories, every match kind at least once.
- `configs/eval.yaml`: `heldout_loss` and `prompt_suite` tasks (evaluation_backend: custom) on
  the base model (a baseline that passes pre-flight before any training); evaluate a trained
  run with `--model.model_name output_lora` (an adapter folder: oumi finds the base model in
  its adapter config). Results go to `eval_output/custom_<time>/task_result.json`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

LORA_STEPS = 20
PROMPT_SUITE: list[dict[str, Any]] = [
    {"prompt": "What color is the sky?", "expected": "blue", "match": "contains",
     "category": "colors"},
    {"prompt": "What color is grass?", "expected": "Grass is green.", "match": "exact",
     "category": "colors"},
    {"prompt": "What color is the sky?", "expected": "^The sky is (blue|azure)", "match": "regex",
     "category": "colors"},
    {"prompt": "What is two plus two?", "expected": "\\bfour\\b", "match": "regex",
     "category": "math"},
    {"prompt": "What is two plus two?", "expected": ["two", "four"], "match": "keyword",
     "category": "math"},
    {"prompt": "What do cats say?", "expected": ["meow", "purr"], "match": "contains",
     "category": "animals"},
    {"prompt": "What do dogs say?", "expected": "wo+f", "match": "regex", "category": "animals"},
    {"prompt": "Where is Paris?", "expected": "France", "match": "contains", "category": "facts"},
    {"prompt": "What is ice made of?", "expected": "Ice is made of water.", "match": "exact",
     "category": "facts"},
    {"prompt": "Name a fruit.", "expected": ["apple", "fruit"], "match": "keyword",
     "category": "facts"},
]  # fmt: skip


def lora_config(train: dict[str, Any], output_dir: Path) -> dict[str, Any]:
    """`train` (the tiny full fine-tuning config) as a short LoRA run saving adapters only."""
    training = dict(train["training"])
    training.update(
        use_peft=True,
        max_steps=LORA_STEPS,
        learning_rate=1.0e-2,
        output_dir=str(output_dir),
        run_name="tiny-lora",
    )
    peft = {
        "lora_r": 8,
        "lora_alpha": 16,
        "lora_dropout": 0.0,
        "lora_target_modules": ["q_proj", "v_proj"],
        "lora_bias": "none",
    }
    return {**train, "training": training, "peft": peft}


def eval_config(
    model: dict[str, Any], heldout: Path, suite: Path, output_dir: Path
) -> dict[str, Any]:
    """Both offline evaluation functions on `model` (a model section), greedy 16 new tokens."""
    return {
        "model": model,
        "tasks": [
            {
                "evaluation_backend": "custom",
                "task_name": "heldout_loss",
                "eval_kwargs": {"data_path": str(heldout)},
            },
            {
                "evaluation_backend": "custom",
                "task_name": "prompt_suite",
                "eval_kwargs": {"suite_path": str(suite)},
            },
        ],
        "generation": {"max_new_tokens": 16, "temperature": 0.0, "batch_size": 1},
        "inference_engine": "NATIVE",
        "output_dir": str(output_dir),
    }
