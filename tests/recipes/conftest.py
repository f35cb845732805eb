"""A small recipe catalog written by the tests (no dependency on ../shared), with odd files."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from oumi_mcp_server.recipes import service, source

HEADER = "# {title}\n#\n# Usage:\n#   oumi train -c configs/{path}\n#\n# See Also:\n#   - docs\n\n"

TRAIN = """model:
  model_name: "{model}"
data:
  train:
    datasets:
      - dataset_name: "{dataset}"
training:
  trainer_type: "{trainer}"
{extra}"""

RECIPES: dict[str, str] = {
    "recipes/llama3_1/sft/8b_lora/train.yaml": HEADER.format(
        title="LoRA config for Llama 3.1 8B.", path="recipes/llama3_1/sft/8b_lora/train.yaml"
    )
    + TRAIN.format(
        model="meta-llama/Llama-3.1-8B-Instruct",
        dataset="yahma/alpaca-cleaned",
        trainer="TRL_SFT",
        extra="  use_peft: True\npeft:\n  lora_r: 16\n",
    ),
    "recipes/llama3_1/sft/8b_qlora/train.yaml": "# QLoRA config for Llama 3.1 8B.\n"
    + TRAIN.format(
        model="meta-llama/Llama-3.1-8B-Instruct",
        dataset="yahma/alpaca-cleaned",
        trainer="TRL_SFT",
        extra="  use_peft: True\npeft:\n  lora_r: 16\n  q_lora: True\n",
    ),
    "recipes/llama3_1/sft/8b_full/train.yaml": "# Full fine-tune of Llama 3.1 8B.\n"
    + TRAIN.format(
        model="meta-llama/Llama-3.1-8B-Instruct",
        dataset="yahma/alpaca-cleaned",
        trainer="TRL_SFT",
        extra="",
    ),
    "recipes/llama3_1/sft/8b_lora/gcp_job.yaml": (
        "# Job config to LoRA tune Llama 3.1 8B on GCP.\n\nname: llama\nresources:\n  cloud: gcp\n"
        '  accelerators: "A100:4"\nrun: |\n  set -e\n'
        "  oumi train -c configs/recipes/llama3_1/sft/8b_lora/train.yaml\n"
    ),
    "recipes/llama3_1/evaluation/8b/eval.yaml": (
        "# Eval config for Llama 3.1 8B.\nmodel:\n  model_name: meta-llama/Llama-3.1-8B-Instruct\n"
        "tasks:\n  - evaluation_backend: lm_harness\n    task_name: mmlu\n"
    ),
    "recipes/llama3_1/inference/8b_infer.yaml": (
        "# Inference config for Llama 3.1 8B.\n"
        "model:\n  model_name: meta-llama/Llama-3.1-8B-Instruct\n"
        "engine: VLLM\ngeneration:\n  max_new_tokens: 128\n"
    ),
    "recipes/qwen3/sft/0.6b_full/train.yaml": "# Qwen3 0.6B full fine-tune.\n"
    + TRAIN.format(
        model="Qwen/Qwen3-0.6B", dataset="yahma/alpaca-cleaned", trainer="TRL_SFT", extra=""
    ),
    "recipes/qwen3/sft/preference/train.yaml": "# Qwen3 preference tuning kept in an sft folder.\n"
    + TRAIN.format(
        model="Qwen/Qwen3-0.6B", dataset="mlabonne/orpo-dpo-mix-40k", trainer="TRL_DPO", extra=""
    ),
    "recipes/qwen3_5/sft/2b/train.yaml": "# Qwen3.5 2B.\n"
    + TRAIN.format(
        model="Qwen/Qwen3.5-2B", dataset="yahma/alpaca-cleaned", trainer="TRL_SFT", extra=""
    ),
    "recipes/smollm/sft/135m/train.yaml": "# SmolLM 135M quickstart.\n"
    + TRAIN.format(
        model="HuggingFaceTB/SmolLM2-135M-Instruct",
        dataset="yahma/alpaca-cleaned",
        trainer="TRL_SFT",
        extra="",
    ),
    "recipes/llama3_1/pretraining/8b/train.yaml": "# Llama pretraining.\n"
    + TRAIN.format(
        model="meta-llama/Llama-3.1-8B",
        dataset="HuggingFaceFW/fineweb-edu",
        trainer="TRL_SFT",
        extra="",
    ),
    "examples/misc/llama_notes.yaml": (
        "# Notes on serving, named after llama but running Qwen.\n"
        "model:\n  model_name: Qwen/Qwen3-0.6B\nengine: NATIVE\n"
    ),
    "examples/grpo/train.yaml": "# GRPO on letter counting.\n"
    + TRAIN.format(
        model="Qwen/Qwen2.5-1.5B-Instruct",
        dataset="oumi-ai/letter-count",
        trainer="TRL_GRPO",
        extra="",
    ),
    "examples/synthesis/synth.yaml": (
        "# Synthesize QA pairs.\nstrategy: GENERAL\nstrategy_params:\n  input_data:\n"
        "    - path: data/seed.jsonl\n"
        "inference_config:\n  model:\n    model_name: claude-3-7-sonnet\n"
    ),
    "examples/quantization/awq.yaml": (
        "# AWQ quantization.\nmethod: awq_q4\noutput_path: out\nmodel:\n  model_name: TinyLlama/x\n"
    ),
    "projects/judges/safety.yaml": (
        "# Safety judge.\njudge_params:\n  prompt_template: x\ninference_config:\n  model:\n"
        "    model_name: gpt-4o\n"
    ),
    "examples/odd/null_sections.yaml": (
        "# All null.\nmodel: null\ndata: null\ntraining: null\npeft:\n"
    ),
    "examples/odd/list_sections.yaml": (
        "model: [1, 2]\ndata:\n  train:\n    datasets: oops\ntasks: x\nresources: 3\n"
    ),
    "examples/odd/bad.yaml": "# Broken.\nmodel: [unclosed\n  x: : :\n",
    "examples/odd/empty.yaml": "",
    "examples/odd/scalar.yaml": "just a string\n",
    "examples/big/big_synth.yaml": "# A big recipe.\nstrategy: GENERAL\n"
    + "".join(f"key_{i}: '{'x' * 60}'\n" for i in range(400)),
}
BINARY_YAML = "examples/odd/binary.yaml"
YAML_COUNT = len(RECIPES) + 1


def write_catalog(root: Path) -> Path:
    """Write the small catalog under `root`, plus READMEs, a binary file, a hidden folder and a
    symlink that the index must skip."""
    for rel, text in RECIPES.items():
        target = root / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    (root / BINARY_YAML).write_bytes(b"\x00\x01\x02\xff\xfe binary junk \x00" * 20)
    (root / "README.md").write_text("# Recipes\n", encoding="utf-8")
    (root / "recipes" / "image.bin").write_bytes(b"\x89PNG\x00\x00\x01")
    (root / ".hidden").mkdir()
    (root / ".hidden" / "secret.yaml").write_text("model: {model_name: hidden}\n")
    outside = root.parent / f"{root.name}-outside.yaml"
    outside.write_text("model: {model_name: outside}\n")
    (root / "examples" / "link.yaml").symlink_to(outside)
    return root


@pytest.fixture(autouse=True)
def quiet_sync(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """No test here touches the network unless it asks: auto-download off, fresh sync state."""
    monkeypatch.setenv(source.AUTO_SYNC_ENV, "0")
    monkeypatch.setattr(source, "BACKGROUND", source.BackgroundSync())
    service.reload()
    yield
    service.reload()


@pytest.fixture
def catalog_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = write_catalog(tmp_path / "configs")
    monkeypatch.setenv(source.CONFIGS_DIR_ENV, str(root))
    return root
