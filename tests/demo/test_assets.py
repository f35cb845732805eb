"""The tiny offline assets: they load with transformers, and a real `oumi train` learns on them."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from oumi_mcp_server.core.oumi_env import OFFLINE_ENV
from oumi_mcp_server.demo.assets import QA_PAIRS, TinyAssets, build_tiny_assets
from oumi_mcp_server.evaluation.deps import deps_env

OUMI = str(Path(sys.executable).with_name("oumi"))
# Building the tiny Llama imports torch and transformers (about 12 s) for this module alone.
pytestmark = pytest.mark.slow


def test_assets_are_complete_and_local(tiny_assets: TinyAssets) -> None:
    for path in (
        tiny_assets.dataset_jsonl,
        tiny_assets.prompts_jsonl,
        tiny_assets.train_config,
        tiny_assets.infer_config,
        tiny_assets.model_dir / "model.safetensors",
        tiny_assets.model_dir / "tokenizer.json",
    ):
        assert path.is_file(), path
    rows = [json.loads(line) for line in tiny_assets.dataset_jsonl.read_text().splitlines()]
    assert len(rows) >= 32
    assert all([m["role"] for m in r["messages"]] == ["user", "assistant"] for r in rows)
    train = yaml.safe_load(tiny_assets.train_config.read_text())
    assert train["model"]["model_name"] == str(tiny_assets.model_dir)
    assert train["data"]["train"]["datasets"][0] == {
        "dataset_name": "text_sft_jsonl",
        "dataset_path": str(tiny_assets.dataset_jsonl),
        "shuffle": True,
        "seed": 42,
    }
    assert train["training"]["max_steps"] == tiny_assets.train_steps
    assert train["training"]["output_dir"] == str(tiny_assets.output_dir)
    assert not train["training"]["enable_wandb"]
    infer = yaml.safe_load(tiny_assets.infer_config.read_text())
    assert infer["model"]["model_name"] == str(tiny_assets.output_dir)
    assert infer["engine"] == "NATIVE"
    assert infer["input_path"] == str(tiny_assets.prompts_jsonl)
    assert infer["output_path"] == str(tiny_assets.predictions_jsonl)


def test_configs_parse_as_oumi_configs(tiny_assets: TinyAssets) -> None:
    from oumi.core.configs import EvaluationConfig, InferenceConfig, TrainingConfig

    train = TrainingConfig.from_yaml(str(tiny_assets.train_config))
    train.finalize_and_validate()
    assert train.training.max_steps == tiny_assets.train_steps
    infer = InferenceConfig.from_yaml(str(tiny_assets.infer_config))
    assert infer.generation.max_new_tokens > 0
    lora = TrainingConfig.from_yaml(str(tiny_assets.lora_config))
    lora.finalize_and_validate()
    assert lora.training.use_peft and lora.peft.lora_target_modules == ["q_proj", "v_proj"]
    assert lora.training.output_dir == str(tiny_assets.lora_output_dir)
    evaluation = EvaluationConfig.from_yaml(str(tiny_assets.eval_config))
    assert [t.task_name for t in evaluation.tasks] == ["heldout_loss", "prompt_suite"]
    assert evaluation.model.model_name == str(tiny_assets.model_dir)
    suite = [json.loads(line) for line in tiny_assets.prompt_suite.read_text().splitlines()]
    assert len(suite) == 10 and {r["match"] for r in suite} == {
        "exact",
        "contains",
        "regex",
        "keyword",
    }
    assert tiny_assets.heldout.is_file()


def test_model_and_tokenizer_load_and_chat(tiny_assets: TinyAssets) -> None:
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(tiny_assets.model_dir)
    special = (tokenizer.pad_token, tokenizer.eos_token, tokenizer.bos_token)
    assert special == ("<pad>", "</s>", "<s>")
    text = tokenizer.apply_chat_template(
        [{"role": "user", "content": "What color is the sky?"}],
        tokenize=False,
        add_generation_prompt=True,
    )
    assert text == "<|user|>\nWhat color is the sky?</s>\n<|assistant|>\n"
    ids = tokenizer(text, return_tensors="pt").input_ids
    assert tokenizer.decode(ids[0]) == text
    model = AutoModelForCausalLM.from_pretrained(tiny_assets.model_dir)
    assert model.config.vocab_size == len(tokenizer)
    assert sum(p.numel() for p in model.parameters()) < 2_000_000
    with torch.no_grad():
        logits = model(ids).logits
    assert logits.shape == (1, ids.shape[1], len(tokenizer))


def test_build_is_deterministic_and_rebuildable(tmp_path: Path) -> None:
    first = build_tiny_assets(tmp_path / "a")
    again = build_tiny_assets(tmp_path / "a")
    other = build_tiny_assets(tmp_path / "b")
    assert again.model_dir == first.model_dir
    for name in ("model.safetensors", "tokenizer.json"):
        assert (first.model_dir / name).read_bytes() == (other.model_dir / name).read_bytes()


def _oumi(args: list[str], home: Path, **extra: str) -> subprocess.CompletedProcess[str]:
    env = {
        "PATH": str(Path(sys.executable).parent) + ":/usr/bin:/bin",
        "HOME": str(home),
        "HF_HOME": str(home / "hf"),
        **OFFLINE_ENV,
        **extra,
    }
    return subprocess.run(
        [OUMI, *args], capture_output=True, text=True, env=env, timeout=300, check=False
    )


@pytest.fixture(scope="module")
def trained(tiny_assets: TinyAssets, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Run a real `oumi train` on the tiny assets once, into a folder of this module's own."""
    out = tmp_path_factory.mktemp("tiny_train")
    proc = _oumi(
        ["train", "-c", str(tiny_assets.train_config), "--training.output_dir", str(out / "model")],
        out,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return out / "model"


@pytest.mark.oumi
def test_oumi_train_learns_and_saves(trained: Path, tiny_assets: TinyAssets) -> None:
    state = json.loads((trained / "trainer_state.json").read_text())
    losses = [entry["loss"] for entry in state["log_history"] if "loss" in entry]
    assert state["global_step"] == tiny_assets.train_steps
    assert len(losses) == tiny_assets.train_steps
    assert losses[-1] < losses[0] / 4, losses
    metrics = [
        json.loads(line) for line in (trained / "metrics_rank0000.jsonl").read_text().splitlines()
    ]
    assert metrics[0]["loss"] == losses[0]
    assert (trained / "model.safetensors").stat().st_size > 0
    assert (trained / "tokenizer.json").is_file()
    assert (trained / "logs" / "rank_0000.log").is_file()


@pytest.mark.oumi
def test_oumi_infer_answers_from_the_trained_model(
    trained: Path, tiny_assets: TinyAssets, tmp_path: Path
) -> None:
    predictions = tmp_path / "predictions.jsonl"
    proc = _oumi(
        [
            "infer",
            "-c",
            str(tiny_assets.infer_config),
            "--model.model_name",
            str(trained),
            "--input_path",
            str(tiny_assets.prompts_jsonl),
            "--output_path",
            str(predictions),
        ],
        tmp_path,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    rows = [json.loads(line) for line in predictions.read_text().splitlines()]
    assert [r["messages"][0]["content"] for r in rows] == [q for q, _ in QA_PAIRS[:2]]
    assert all(r["messages"][-1]["role"] == "assistant" for r in rows)
    answers = [r["messages"][-1]["content"] for r in rows]
    assert answers == [a for _, a in QA_PAIRS[:2]], answers


@pytest.mark.oumi
def test_offline_evaluation_scores_the_trained_model(
    trained: Path, tiny_assets: TinyAssets, tmp_path: Path
) -> None:
    """The full model has learnt the answers: the prompt suite passes, the held-out loss is low
    (a broken generation or loss path would score the untrained level)."""
    deps = deps_env({}, {}).env
    out = tmp_path / "eval"
    args = ["evaluate", "-c", str(tiny_assets.eval_config), "--model.model_name", str(trained)]
    proc = _oumi([*args, "--output_dir", str(out)], tmp_path, **deps)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    found = {
        task: values
        for path in out.glob("custom_*/task_result.json")
        for task, values in json.loads(path.read_text())["results"].items()
    }
    assert found["prompt_suite"]["accuracy"] >= 0.8, found["prompt_suite"]["examples"]
    assert found["heldout_loss"]["loss"] < 1.0 and found["heldout_loss"]["rows"] == 8
