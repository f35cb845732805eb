"""Per-file metadata: description, task type, model, datasets, PEFT kind, job resources."""

from __future__ import annotations

import subprocess
import sys

import pytest

from oumi_mcp_server.recipes.extract import extract, header_description, infer_task


def _extract(path: str, text: str | bytes):
    data = text.encode() if isinstance(text, str) else text
    return extract(path, data, len(data), 0)


def test_description_is_first_header_paragraph_without_boilerplate() -> None:
    text = (
        "# LoRA config for Llama 8B.\n# Borrows values from torchtune.\n#\n# Requirements:\n"
        "#   - log in\n\nmodel: {}\n"
    )
    assert header_description(text) == "LoRA config for Llama 8B. Borrows values from torchtune."
    assert header_description("# Usage:\n#   oumi train\n#\n# Real text.\n") == "Real text."
    assert header_description("model: {}\n# late comment\n") == ""
    assert len(header_description("# " + "word " * 200)) <= 240


@pytest.mark.parametrize(
    ("doc", "path", "task"),
    [
        ({"training": {"trainer_type": "TRL_DPO"}}, "recipes/x/sft/train.yaml", "dpo"),
        ({"training": {"trainer_type": "VERL_GRPO"}}, "a/train.yaml", "grpo"),
        ({"training": {"trainer_type": "TRL_KTO"}}, "a/train.yaml", "kto"),
        (
            {"training": {"trainer_type": "TRL_SFT"}},
            "recipes/l/pretraining/8b/train.yaml",
            "pretraining",
        ),
        ({"training": {"trainer_type": "TRL_SFT"}}, "a/train.yaml", "sft"),
        ({"training": {}}, "examples/dpo/train.yaml", "dpo"),
        ({"training": {"trainer_type": "TRL_SFT"}}, "examples/dpo/train.yaml", "sft"),
        ({"training": None}, "a/b.yaml", "sft"),
        ({"resources": {"cloud": "gcp"}, "run": "x"}, "a/b.yaml", "job"),
        ({"tuning": {}}, "a/b.yaml", "tuning"),
        ({"judge_params": {}}, "a/b.yaml", "judge"),
        ({"strategy": "GENERAL"}, "a/b.yaml", "synthesis"),
        ({"analyzers": []}, "a/b.yaml", "analyze"),
        ({"tasks": []}, "a/b.yaml", "evaluation"),
        ({"engine": "VLLM"}, "a/b.yaml", "inference"),
        ({"method": "awq", "output_path": "o"}, "a/b.yaml", "quantization"),
        ({"foo": 1}, "examples/synth/x.yaml", "synthesis"),
        ({"foo": 1}, "apis/endpoint.yaml", "other"),
    ],
)
def test_task_type(doc: dict, path: str, task: str) -> None:
    assert infer_task(doc, path) == task


def test_training_recipe_metadata_and_peft_kinds() -> None:
    base = (
        "model:\n  model_name: m/M-1B\ndata:\n  train:\n    datasets:\n"
        "      - dataset_name: d1\n  validation:\n    datasets:\n      - dataset_name: d2\n"
        "training:\n  trainer_type: TRL_SFT\n"
    )
    full = _extract("a/train.yaml", base)
    assert (full.task, full.model, full.datasets, full.peft) == (
        "sft",
        "m/M-1B",
        ["d1", "d2"],
        "full",
    )
    lora = _extract("a/train.yaml", base + "  use_peft: true\npeft:\n  lora_r: 8\n")
    assert lora.peft == "lora"
    qlora = _extract("a/train.yaml", base + "  use_peft: true\npeft:\n  q_lora: true\n")
    assert qlora.peft == "qlora"
    assert _extract("a/8b_qlora/train.yaml", base + "  use_peft: true\n").peft == "qlora"
    assert (
        _extract("a/e.yaml", "model: {model_name: m}\ntasks:\n  - task_name: mmlu\n").peft is None
    )


def test_job_config_cloud_accelerators_and_the_recipe_it_runs() -> None:
    job = _extract(
        "r/gcp_job.yaml",
        "resources:\n  cloud: gcp\n  accelerators: {A100: 8}\nrun: |\n"
        "  oumi distributed torchrun -m oumi train -c configs/recipes/x/train.yaml --y\n",
    )
    assert (job.task, job.cloud, job.accelerators, job.runs) == (
        "job",
        "gcp",
        "A100:8",
        "recipes/x/train.yaml",
    )
    assert (
        _extract("j.yaml", "resources:\n  accelerators: [H100, A100]\nrun: x\n").accelerators
        == "H100, A100"
    )


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("model: [unclosed\n  x: : :\n", "invalid YAML"),
        (b"\x00\x01\xff junk", "binary file"),
        ("", "empty file"),
        ("- a\n- b\n", "top level is a list"),
        ("just text\n", "top level is a str"),
        ("a: &a [*a]\n", "invalid YAML (line 1): An alias refers to a node that contains it"),
        ("? [a, b]\n: 1\n", "invalid YAML"),
    ],
)
def test_unreadable_files_are_indexed_with_a_problem(
    text: str | bytes, problem: str | None
) -> None:
    recipe = _extract("examples/sft/odd.yaml", text)
    assert recipe.path == "examples/sft/odd.yaml"
    if problem is None:
        assert recipe.problem is None
    else:
        assert recipe.problem is not None and recipe.problem.startswith(problem)
        assert recipe.task == "sft"


def test_null_and_odd_sections_yield_what_can_be_read() -> None:
    recipe = _extract(
        "a.yaml",
        "# Odd.\nmodel: null\ndata:\n  train:\n    datasets: oops\n  validation: 7\n"
        "training:\n  trainer_type: [1]\npeft: null\ntasks: x\nresources: 3\n",
    )
    assert recipe.problem is None
    assert (recipe.task, recipe.model, recipe.datasets, recipe.description) == (
        "sft",
        None,
        [],
        "Odd.",
    )
    weird = _extract(
        "b.yaml",
        "model:\n  model_name: 12\ndata:\n  train:\n    datasets:\n"
        "      - 3\n      - {dataset_name: null}\n",
    )
    assert weird.model == "12" and weird.datasets == []


@pytest.mark.parametrize(
    "hostile",
    ["'[' * 100_000", "'[' * 50_000 + ']' * 50_000", "'- ' * 100_000 + 'x'", "'? ' * 100_000"],
)
def test_deep_nesting_is_refused_without_crashing_the_process(hostile: str) -> None:
    """libyaml segfaults on ~30k nesting levels; run in a child so a crash cannot kill pytest."""
    code = (
        "from oumi_mcp_server.recipes.extract import extract\n"
        f"data = ({hostile}).encode()\n"
        "print(extract('examples/sft/deep.yaml', data, len(data), 0).problem)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr[-500:]
    problem = done.stdout.strip()
    assert problem.startswith("invalid YAML") and ("deeper than" in problem or "depth" in problem)


def test_ordinary_nesting_still_parses() -> None:
    assert _extract("a.yaml", "model: {model_name: " + "[" * 50 + "]" * 50 + "}\n").problem is None
    assert (
        _extract("b.yaml", "a:\n- - - x\n" + "b: [" + ", ".join(["{k: v}"] * 2000) + "]\n").problem
        is None
    )
