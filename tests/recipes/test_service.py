"""The service API on a small catalog the tests write: search, get_config, categories."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from oumi_mcp_server.core.errors import ServiceError
from oumi_mcp_server.recipes import service, source
from oumi_mcp_server.recipes.catalog import VALID_TASKS

from .conftest import BINARY_YAML, YAML_COUNT


def _paths(answer: service.SearchAnswer) -> list[str]:
    return [r.path for r in answer.results]


def _error(call, *args, **kwargs) -> ServiceError:
    with pytest.raises(ServiceError) as info:
        call(*args, **kwargs)
    return info.value


def test_search_ranks_the_named_recipe_first(catalog_dir: Path) -> None:
    answer = service.search("llama 3.1 8b lora")
    assert _paths(answer)[0] == "recipes/llama3_1/sft/8b_lora/train.yaml"
    assert answer.source.startswith(source.CONFIGS_DIR_ENV)
    assert service.search("mmlu").results[0].path == "recipes/llama3_1/evaluation/8b/eval.yaml"
    assert service.search("fineweb").results[0].task == "pretraining"


def test_task_filter_uses_metadata_not_the_path(catalog_dir: Path) -> None:
    dpo = _paths(service.search("", task="dpo"))
    assert dpo == ["recipes/qwen3/sft/preference/train.yaml"]
    assert "recipes/qwen3/sft/preference/train.yaml" not in _paths(
        service.search("qwen3", task="sft")
    )
    assert _paths(service.search("", task="eval")) == ["recipes/llama3_1/evaluation/8b/eval.yaml"]


def test_model_filter_uses_metadata_not_the_path(catalog_dir: Path) -> None:
    llama = _paths(service.search("", model="llama", limit=25))
    assert "examples/misc/llama_notes.yaml" not in llama
    assert "recipes/llama3_1/sft/8b_lora/gcp_job.yaml" in llama
    qwen = _paths(service.search("", model="Qwen/Qwen3-0.6B", limit=25))
    assert "examples/misc/llama_notes.yaml" in qwen
    assert "recipes/qwen3_5/sft/2b/train.yaml" not in qwen
    family = _paths(service.search("", model="llama3.1", task="sft", limit=25))
    assert sorted(family) == sorted(
        p
        for p in _paths(service.search("", task="sft", limit=25))
        if p.startswith("recipes/llama3_1/sft")
    )
    assert service.search("", model="qwen3_5").total_matches == 1


def test_keyword_filters_on_file_text(catalog_dir: Path) -> None:
    assert _paths(service.search("", keyword="orpo-dpo-mix")) == [
        "recipes/qwen3/sft/preference/train.yaml"
    ]
    assert service.search("llama", keyword="no such text anywhere").results == []


def test_partial_matches_are_flagged(catalog_dir: Path) -> None:
    answer = service.search("llama zzzunknownword")
    assert answer.results and "partial" in answer.note


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [
        ({"query": ""}, "empty_query"),
        ({"query": "   ", "keyword": " "}, "empty_query"),
        ({"query": "llama", "limit": 0}, "bad_limit"),
        ({"query": "llama", "limit": -5}, "bad_limit"),
        ({"query": "llama", "task": "finetuning-magic"}, "unknown_task"),
    ],
)
def test_bad_search_input_is_a_clear_error(catalog_dir: Path, kwargs: dict, code: str) -> None:
    error = _error(service.search, **kwargs)
    assert error.code == code and error.fix
    if code == "unknown_task":
        assert error.details["valid"] == list(VALID_TASKS)


def test_absurd_limit_is_clamped_and_said(catalog_dir: Path) -> None:
    answer = service.search("", task="sft", limit=10**9)
    assert f"clamped to {service.MAX_LIMIT}" in answer.note
    assert len(answer.results) <= service.MAX_LIMIT


def test_answers_stay_under_8_kb(catalog_dir: Path) -> None:
    answer = service.search("", keyword="a", limit=25)
    assert len(answer.model_dump_json(indent=2)) <= 8192
    config = service.get_config("examples/big/big_synth.yaml")
    assert config.truncated and len(config.model_dump_json(indent=2)) <= 8192


def test_get_config_exact_and_spellings(catalog_dir: Path) -> None:
    rel = "recipes/llama3_1/sft/8b_lora/train.yaml"
    for spelling in (
        rel,
        f"configs/{rel}",
        f"oumi://configs/{rel}",
        f"./{rel}",
        str(catalog_dir / rel),
    ):
        answer = service.get_config(spelling)
        assert (answer.path, answer.matched) == (rel, "exact")
    answer = service.get_config(rel)
    assert answer.content == (catalog_dir / rel).read_text()
    assert (answer.peft, answer.family, answer.truncated) == ("lora", "llama3_1", False)
    assert Path(answer.file) == catalog_dir / rel
    assert service.get_config(rel, include_content=False).content == ""


def test_get_config_best_match_lists_other_candidates(catalog_dir: Path) -> None:
    answer = service.get_config("llama3_1/sft/8b_lora")
    assert answer.matched == "best"
    assert answer.path == "recipes/llama3_1/sft/8b_lora/train.yaml"
    assert answer.other_candidates == ["recipes/llama3_1/sft/8b_lora/gcp_job.yaml"]


def test_get_config_truncates_unless_asked(catalog_dir: Path) -> None:
    rel = "examples/big/big_synth.yaml"
    full = (catalog_dir / rel).read_text()
    cut = service.get_config(rel)
    assert cut.truncated and len(cut.content) <= service.DEFAULT_MAX_CHARS
    assert full.startswith(cut.content) and cut.content.endswith("\n")
    whole = service.get_config(rel, max_chars=100_000)
    assert not whole.truncated and whole.content == full


def test_get_config_bad_paths(catalog_dir: Path) -> None:
    unknown = _error(service.get_config, "recipes/llama3_1/sft/8b_loar/train.yaml")
    assert unknown.code == "unknown_path"
    assert "recipes/llama3_1/sft/8b_lora/train.yaml" in unknown.details["candidates"]
    folder = _error(service.get_config, "recipes/llama3_1")
    assert folder.code == "is_directory"
    assert "recipes/llama3_1/sft/8b_lora/train.yaml" in folder.details["recipes"]
    assert _error(service.get_config, "recipes/image.bin").code == "binary_file"
    assert _error(service.get_config, BINARY_YAML).code == "binary_file"
    assert service.get_config(BINARY_YAML, include_content=False).problem.startswith("binary")
    assert _error(service.get_config, "README.md").code == "not_a_recipe"
    assert _error(service.get_config, "").code == "bad_path"
    too_small = _error(service.get_config, "recipes/smollm/sft/135m/train.yaml", max_chars=0)
    assert too_small.code == "bad_limit" and "max_chars" in too_small.message
    escape = _error(service.get_config, "../../../../etc/passwd")
    assert escape.code == "unknown_path" and "root:" not in json.dumps(escape.to_dict())


def test_list_categories_counts(catalog_dir: Path) -> None:
    answer = service.list_categories()
    assert answer.total == YAML_COUNT
    assert sum(answer.tasks.values()) == YAML_COUNT
    assert answer.tasks["sft"] >= 6 and answer.tasks["job"] == 2 and answer.tasks["dpo"] == 1
    assert answer.families["llama3_1"] == 7
    assert answer.folders["recipes"] == 11 and answer.folders["examples/odd"] == 6
    assert answer.problems == 4


def test_suggest_similar_same_task_and_family(catalog_dir: Path) -> None:
    picks = service.suggest_similar("sft", "meta-llama/Llama-3.1-8B-Instruct")
    assert [p.path for p in picks] == [
        "recipes/llama3_1/sft/8b_full/train.yaml",
        "recipes/llama3_1/sft/8b_lora/train.yaml",
        "recipes/llama3_1/sft/8b_qlora/train.yaml",
    ]
    assert [p.path for p in service.suggest_similar("sft", "Qwen/Qwen3-4B")] == [
        "recipes/qwen3/sft/0.6b_full/train.yaml"
    ]
    assert (
        service.suggest_similar("evaluation", "meta-llama/Llama-3.1-70B", limit=1)[0].task
        == "evaluation"
    )
    unknown_family = service.suggest_similar("grpo", "mistralai/Mistral-7B")
    assert [p.path for p in unknown_family] == ["examples/grpo/train.yaml"]
    assert len(service.suggest_similar("sft", None, limit=2)) == 2
    assert _error(service.suggest_similar, "bogus", None).code == "unknown_task"


def test_suggest_similar_without_catalog_is_empty(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(source.CONFIGS_DIR_ENV, raising=False)
    assert service.suggest_similar("sft", "meta-llama/Llama-3.1-8B-Instruct") == []


def test_catalog_reloads_when_files_change(
    catalog_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert service.search("mistral").results == []
    monkeypatch.setattr(service, "RECHECK_S", 0.0)
    new = catalog_dir / "recipes/mistral/sft/train.yaml"
    new.parent.mkdir(parents=True)
    new.write_text("# Mistral SFT.\nmodel:\n  model_name: mistralai/Mistral-7B\ntraining: {}\n")
    assert service.search("mistral").results[0].path == "recipes/mistral/sft/train.yaml"
    new.unlink()
    assert service.search("mistral").results == []


def test_no_source_says_how_to_get_recipes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(source.CONFIGS_DIR_ENV, raising=False)
    error = _error(service.search, "llama")
    assert error.code == "no_recipes"
    assert source.CONFIGS_DIR_ENV in error.fix and "sync-configs" in error.fix
    assert not source.BACKGROUND.running()


def test_missing_env_folder_is_an_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(source.CONFIGS_DIR_ENV, str(tmp_path / "nope"))
    assert _error(service.list_categories).code == "configs_dir_missing"


def test_env_may_name_a_checkout_holding_configs(
    catalog_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    checkout = catalog_dir.parent / "oumi"
    checkout.mkdir()
    os.symlink(catalog_dir, checkout / "configs")
    monkeypatch.setenv(source.CONFIGS_DIR_ENV, str(checkout))
    assert service.list_categories().total == YAML_COUNT


def test_warm_up_loads_the_catalog_off_thread(catalog_dir: Path) -> None:
    service.warm_up().join(30)
    assert service._catalog is not None and len(service._catalog.recipes) == YAML_COUNT


def test_warm_up_without_catalog_does_not_raise(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(source.CONFIGS_DIR_ENV, raising=False)
    service.warm_up().join(30)
    assert service._catalog is None
