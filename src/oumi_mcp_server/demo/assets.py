"""A tiny random-weight causal LM, tokenizer, chat dataset and oumi configs, built offline.

Real `oumi train` / `oumi infer` runs on CPU need a model that loads from disk, trains in
seconds and downloads nothing. `build_tiny_assets(root)` writes, under `root`:

- `model/`: a 2-layer Llama (hidden 128, ~0.4M parameters) with random weights (safetensors)
  and a byte-level BPE tokenizer trained on the dataset text, with pad/bos/eos tokens and a
  Jinja chat template (`<|user|>\\n...</s>\\n<|assistant|>\\n...</s>\\n`).
- `data/train.jsonl`: 64 chat rows (`{"messages": [user, assistant]}`), 8 question/answer
  pairs repeated, so the model memorises them: loss ~5.9 at step 1, ~0.2 at step 60.
- `data/prompts.jsonl`: the first 2 questions, user turn only: `oumi infer --input_path`.
- `configs/train.yaml`: TRL_SFT on `text_sft_jsonl`, 60 steps of batch 8, float32, no eval,
  no wandb/tensorboard/mlflow, final model saved to `output/`. `configs/infer.yaml`: NATIVE
  engine on `output/`, greedy, 16 new tokens, `input_path: data/prompts.jsonl`,
  `output_path: predictions.jsonl` (so a plain `oumi infer -c configs/infer.yaml` runs it).

Measured by hand on the shared 2-core CPU box (oumi 0.9, offline env):

- building the assets: ~10 s wall (mostly importing torch and transformers).
- `oumi train -c configs/train.yaml`: ~19-21 s wall, of which 1.4 s is the 60 steps; the
  rest is imports. Peak RSS ~680 MB. Writes into `output/`: `model.safetensors`,
  `config.json`, tokenizer files, `trainer_state.json` (`global_step`, `max_steps`,
  `log_history`: one `{"loss", "step", ...}` dict per step, then a `train_loss` summary),
  `metrics_rank0000.jsonl` (one JSON dict per logged step, then the summary),
  `logs/rank_0000.log`, `telemetry/training_config.yaml`. Stdout gets each step's metric
  dict as a Python repr (`{'loss': '5.873', ..., 'step': 1}`); stderr gets warnings.
- `oumi infer -c configs/infer.yaml` (or with `--input_path X --output_path Y`): ~15-30 s
  wall (nearly all imports). `predictions.jsonl` holds one line per input: the whole
  conversation with the answer as the last assistant message (`"The sky is blue."`) and
  `metadata.finish_reason`.

The experiment loop's assets (a LoRA config, held-out data, a 10-prompt suite and an
`oumi evaluate` config of the offline evaluation functions) are written by `eval_assets`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from oumi_mcp_server.demo import eval_assets

CHAT_TEMPLATE = (
    "{% for message in messages %}"
    "{{ '<|' + message['role'] + '|>\\n' + message['content'] + eos_token + '\\n' }}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|assistant|>\\n' }}{% endif %}"
)
SPECIAL_TOKENS = ["<pad>", "<s>", "</s>", "<unk>", "<|system|>", "<|user|>", "<|assistant|>"]
TOKEN_ROLES = dict(
    zip(("pad_token", "bos_token", "eos_token", "unk_token"), SPECIAL_TOKENS[:4], strict=True)
)
QA_PAIRS = [
    ("What color is the sky?", "The sky is blue."),
    ("What color is grass?", "Grass is green."),
    ("What is two plus two?", "Two plus two is four."),
    ("Name a fruit.", "An apple is a fruit."),
    ("What do cats say?", "Cats say meow."),
    ("What do dogs say?", "Dogs say woof."),
    ("Where is Paris?", "Paris is in France."),
    ("What is ice made of?", "Ice is made of water."),
]
REPEATS = 8
TRAIN_STEPS = 60
HIDDEN = 128


@dataclass(frozen=True)
class TinyAssets:
    """Paths of a built tiny model, its data and its oumi configs."""

    root: Path
    model_dir: Path
    dataset_jsonl: Path
    prompts_jsonl: Path
    train_config: Path
    infer_config: Path
    output_dir: Path
    """Where `oumi train -c train_config` saves the trained model; `infer_config` reads it."""
    predictions_jsonl: Path
    """Where `oumi infer -c infer_config` writes its answers to `prompts_jsonl`."""
    train_steps: int
    lora_config: Path
    """LoRA (q_proj/v_proj) version of `train_config`: `lora_steps` steps, adapters saved to
    `lora_output_dir`."""
    lora_output_dir: Path
    lora_steps: int
    heldout: Path
    """Chat rows in the training format, one per question (held-out loss / perplexity)."""
    prompt_suite: Path
    """10 prompts, 4 categories, every match kind (exact, contains, regex, keyword)."""
    eval_config: Path
    """`oumi evaluate` config: tasks `heldout_loss` and `prompt_suite` (custom backend) on
    the base model `model_dir` (a baseline; pass --model.model_name lora_output_dir, or another
    trained folder, to evaluate that), results under `eval_output_dir`."""
    eval_output_dir: Path


def build_tiny_assets(root: Path) -> TinyAssets:
    """Write the tiny model, tokenizer, dataset and configs under `root` (created if absent)."""
    root = root.resolve()
    model_dir, data_dir, config_dir = root / "model", root / "data", root / "configs"
    for folder in (model_dir, data_dir, config_dir):
        folder.mkdir(parents=True, exist_ok=True)
    output_dir = root / "output"
    dataset = data_dir / "train.jsonl"
    prompts = data_dir / "prompts.jsonl"
    _write_jsonl(dataset, [_chat(q, a) for _ in range(REPEATS) for q, a in QA_PAIRS])
    _write_jsonl(prompts, [{"messages": [{"role": "user", "content": q}]} for q, _ in QA_PAIRS[:2]])
    _build_model(model_dir, [t for q, a in QA_PAIRS for t in (q, a)])
    train_config = config_dir / "train.yaml"
    infer_config = config_dir / "infer.yaml"
    train = _train_config(model_dir, dataset, output_dir)
    _write_yaml(train_config, train)
    predictions = root / "predictions.jsonl"
    _write_yaml(infer_config, _infer_config(output_dir, prompts, predictions))
    heldout, suite = data_dir / "heldout.jsonl", data_dir / "prompt_suite.jsonl"
    _write_jsonl(heldout, [_chat(q, a) for q, a in QA_PAIRS])
    _write_jsonl(suite, eval_assets.PROMPT_SUITE)
    lora_config, lora_output = config_dir / "lora.yaml", root / "output_lora"
    _write_yaml(lora_config, eval_assets.lora_config(train, lora_output))
    eval_config, eval_output = config_dir / "eval.yaml", root / "eval_output"
    model = _model_section(model_dir)
    _write_yaml(eval_config, eval_assets.eval_config(model, heldout, suite, eval_output))
    return TinyAssets(
        root=root,
        model_dir=model_dir,
        dataset_jsonl=dataset,
        prompts_jsonl=prompts,
        train_config=train_config,
        infer_config=infer_config,
        output_dir=output_dir,
        predictions_jsonl=predictions,
        train_steps=TRAIN_STEPS,
        lora_config=lora_config,
        lora_output_dir=lora_output,
        lora_steps=eval_assets.LORA_STEPS,
        heldout=heldout,
        prompt_suite=suite,
        eval_config=eval_config,
        eval_output_dir=eval_output,
    )


def _chat(question: str, answer: str) -> dict[str, Any]:
    return {
        "messages": [
            {"role": "user", "content": question},
            {"role": "assistant", "content": answer},
        ]
    }


def _write_jsonl(path: Path, rows: list[dict[str, Any]]) -> None:
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")


def _write_yaml(path: Path, data: dict[str, Any]) -> None:
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")


def _build_model(model_dir: Path, texts: list[str]) -> None:
    """Train a byte-level BPE on `texts`, wrap it for transformers, save it with a random Llama."""
    import torch
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

    raw = Tokenizer(models.BPE(unk_token=TOKEN_ROLES["unk_token"]))
    raw.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    raw.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=384,
        special_tokens=SPECIAL_TOKENS,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    raw.train_from_iterator(texts, trainer=trainer)
    tokenizer = PreTrainedTokenizerFast(  # type: ignore[no-untyped-call]
        tokenizer_object=raw,
        additional_special_tokens=SPECIAL_TOKENS[4:],
        model_max_length=256,
        **TOKEN_ROLES,
    )
    tokenizer.chat_template = CHAT_TEMPLATE
    tokenizer.save_pretrained(model_dir)

    torch.manual_seed(0)
    config = LlamaConfig(
        vocab_size=len(tokenizer),
        hidden_size=HIDDEN,
        intermediate_size=2 * HIDDEN,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=4,
        max_position_embeddings=256,
        tie_word_embeddings=True,
        pad_token_id=tokenizer.pad_token_id,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
    )
    model = LlamaForCausalLM(config)  # type: ignore[no-untyped-call]
    model.save_pretrained(model_dir, safe_serialization=True)


def _model_section(model_name: Path) -> dict[str, Any]:
    return {
        "model_name": str(model_name),
        "model_max_length": 256,
        "torch_dtype_str": "float32",
        "attn_implementation": "sdpa",
        "load_pretrained_weights": True,
        "trust_remote_code": False,
        "chat_template": "auto",
    }


def _train_config(model_dir: Path, dataset: Path, output_dir: Path) -> dict[str, Any]:
    return {
        "model": _model_section(model_dir),
        "data": {
            "train": {
                "datasets": [
                    {
                        "dataset_name": "text_sft_jsonl",
                        "dataset_path": str(dataset),
                        "shuffle": True,
                        "seed": 42,
                    }
                ],
                "seed": 42,
            }
        },
        "training": {
            "trainer_type": "TRL_SFT",
            "max_steps": TRAIN_STEPS,
            "per_device_train_batch_size": 8,
            "gradient_accumulation_steps": 1,
            "learning_rate": 3.0e-3,
            "warmup_steps": 0,
            "lr_scheduler_type": "constant",
            "optimizer": "adamw_torch",
            "logging_steps": 1,
            "save_steps": 0,
            "save_final_model": True,
            "eval_strategy": "no",
            "dataloader_num_workers": 0,
            "compile": False,
            "seed": 42,
            "log_model_summary": False,
            "include_performance_metrics": False,
            "enable_wandb": False,
            "enable_mlflow": False,
            "enable_tensorboard": False,
            "output_dir": str(output_dir),
            "run_name": "tiny-demo",
        },
    }


def _infer_config(output_dir: Path, prompts: Path, predictions: Path) -> dict[str, Any]:
    return {
        "model": _model_section(output_dir),
        "generation": {"max_new_tokens": 16, "temperature": 0.0, "batch_size": 1},
        "input_path": str(prompts),
        "output_path": str(predictions),
        "engine": "NATIVE",
    }
