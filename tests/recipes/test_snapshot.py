"""The full recipe snapshot in ../shared/oumi-configs: real counts and real look-ups."""

from __future__ import annotations

from pathlib import Path

import pytest

from oumi_mcp_server.recipes import service, source
from oumi_mcp_server.recipes.extract import TASK_TYPES


@pytest.fixture
def snapshot(shared_configs: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv(source.CONFIGS_DIR_ENV, str(shared_configs))
    return shared_configs


def test_every_yaml_is_indexed_without_problems(snapshot: Path) -> None:
    yamls = [p for p in snapshot.rglob("*") if p.suffix in (".yaml", ".yml") and p.is_file()]
    answer = service.list_categories()
    assert answer.total == len(yamls) == 520
    assert answer.problems == 0
    assert set(TASK_TYPES) <= set(answer.tasks)
    assert answer.tasks["sft"] > 100 and answer.tasks["job"] > 100 and answer.tasks["dpo"] >= 10
    assert {"llama3_1", "qwen3", "smollm", "phi3", "gemma3"} <= set(answer.families)
    assert answer.folders["recipes"] > 350
    assert len(answer.model_dump_json(indent=2)) < 8192


def test_llama3_1_8b_lora_sft_is_found_by_search(snapshot: Path) -> None:
    answer = service.search("llama 3.1 8b lora", task="sft")
    top = answer.results[0]
    assert top.path == "recipes/llama3_1/sft/8b_lora/train.yaml"
    assert (top.model, top.peft) == ("meta-llama/Llama-3.1-8B-Instruct", "lora")
    assert all(r.task == "sft" for r in answer.results)


def test_filters_on_the_snapshot(snapshot: Path) -> None:
    family = service.search("", model="llama3_1", task="sft", limit=25)
    assert family.total_matches >= 9
    assert all(
        r.path.startswith(("recipes/llama3_1/", "projects/")) or "Llama-3.1" in r.model
        for r in family.results
    )
    grpo = service.search("", task="grpo", limit=25)
    assert grpo.total_matches == 6 and all(r.task == "grpo" for r in grpo.results)
    big = service.search("", task="job", limit=25)
    assert len(big.model_dump_json(indent=2)) <= 8192


def test_job_config_metadata(snapshot: Path) -> None:
    job = service.get_config("recipes/llama3_1/sft/8b_lora/gcp_job.yaml", include_content=False)
    assert (job.task, job.job, job.runs) == (
        "job",
        "gcp A100:4",
        "recipes/llama3_1/sft/8b_lora/train.yaml",
    )
    assert job.model == "meta-llama/Llama-3.1-8B-Instruct"


def test_big_recipe_is_truncated_unless_asked(snapshot: Path) -> None:
    rel = "examples/synthesis/ehr_stateful_agent/ehr_stateful_synth.yaml"
    cut = service.get_config(rel)
    assert cut.truncated and len(cut.content) <= 6000
    assert len(cut.model_dump_json(indent=2)) <= 8192
    assert not service.get_config(rel, max_chars=100_000).truncated


def test_suggest_similar_on_the_snapshot(snapshot: Path) -> None:
    picks = service.suggest_similar("sft", "meta-llama/Llama-3.1-8B-Instruct")
    assert len(picks) == 3
    assert all(p.task == "sft" and p.path.startswith("recipes/llama3_1/sft/") for p in picks)
    evals = service.suggest_similar("evaluation", "Qwen/Qwen3-4B")
    assert evals and all(p.path.startswith("recipes/qwen3/") for p in evals)
