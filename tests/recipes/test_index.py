"""The index over a folder: counts, skipped files, the on-disk cache, model families."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from oumi_mcp_server.recipes import index
from oumi_mcp_server.recipes.index import build_index, match_family, normalize_model, scan

from .conftest import YAML_COUNT, write_catalog


def test_every_yaml_is_indexed_hidden_and_symlinked_files_are_not(tmp_path: Path) -> None:
    root = write_catalog(tmp_path / "configs")
    recipes = build_index(root)
    paths = {r.path for r in recipes}
    assert len(recipes) == YAML_COUNT
    assert "examples/link.yaml" not in paths
    assert not any(p.startswith(".hidden") for p in paths)
    problems = {r.path: r.problem for r in recipes if r.problem}
    assert set(problems) == {
        "examples/odd/bad.yaml",
        "examples/odd/binary.yaml",
        "examples/odd/empty.yaml",
        "examples/odd/scalar.yaml",
    }


def test_unchanged_files_come_from_the_disk_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = write_catalog(tmp_path / "configs")
    build_index(root)
    parsed: list[str] = []
    real = index.extract

    def counting(path: str, *args: object) -> object:
        parsed.append(path)
        return real(path, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(index, "extract", counting)
    again = build_index(root)
    assert parsed == []
    assert len(again) == YAML_COUNT
    changed = root / "recipes/qwen3/sft/0.6b_full/train.yaml"
    changed.write_text(changed.read_text() + "# more\n")
    os.utime(changed, ns=(1, 1))
    build_index(root)
    assert parsed == ["recipes/qwen3/sft/0.6b_full/train.yaml"]
    assert len(build_index(root, use_cache=False)) == YAML_COUNT
    assert len(parsed) == 1 + YAML_COUNT


def test_cache_is_keyed_by_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    first = write_catalog(tmp_path / "a")
    second = write_catalog(tmp_path / "b")
    build_index(first)
    parsed: list[str] = []
    real = index.extract
    monkeypatch.setattr(index, "extract", lambda p, *a: parsed.append(p) or real(p, *a))
    build_index(second)
    assert len(parsed) == YAML_COUNT


def test_corrupt_cache_file_is_rebuilt(tmp_path: Path) -> None:
    root = write_catalog(tmp_path / "configs")
    build_index(root)
    cache = index._cache_file(root)
    cache.write_text("{not json")
    assert len(build_index(root)) == YAML_COUNT
    assert cache.read_text().startswith("{")


def test_scan_reports_sizes_and_mtimes(tmp_path: Path) -> None:
    root = write_catalog(tmp_path / "configs")
    stats = dict((rel, (size, mtime)) for rel, size, mtime in scan(root))
    target = root / "recipes/smollm/sft/135m/train.yaml"
    assert stats["recipes/smollm/sft/135m/train.yaml"] == (
        target.stat().st_size,
        target.stat().st_mtime_ns,
    )


@pytest.mark.parametrize(
    ("model", "family"),
    [
        ("meta-llama/Llama-3.1-8B-Instruct", "llama3_1"),
        ("HuggingFaceTB/SmolLM2-135M-Instruct", "smollm"),
        ("Qwen/Qwen3-0.6B", "qwen3"),
        ("Qwen/Qwen3.5-2B", "qwen3_5"),
        ("Qwen/Qwen3-VL-8B-Instruct", "qwen3_vl_8b"),
        ("openai/gpt-oss-20b", "gpt_oss"),
        ("gpt2", "gpt2"),
        ("mistralai/Mistral-7B", None),
        ("meta-llama/Llama-3.2-1B", None),
    ],
)
def test_model_family(model: str, family: str | None) -> None:
    families = ["llama3_1", "smollm", "qwen3", "qwen3_5", "qwen3_vl_8b", "gpt_oss", "gpt2"]
    assert match_family(model, families) == family


def test_normalize_model() -> None:
    assert normalize_model("meta-llama/Llama-3.1-8B") == "meta_llama/llama3_1_8b"
    assert normalize_model("llama3.1") == normalize_model("Llama-3.1") == "llama3_1"


def test_families_and_job_inherits_model_of_the_recipe_it_runs(tmp_path: Path) -> None:
    root = write_catalog(tmp_path / "configs")
    by_path = {r.path: r for r in build_index(root)}
    job = by_path["recipes/llama3_1/sft/8b_lora/gcp_job.yaml"]
    assert (job.task, job.family, job.model, job.peft) == (
        "job",
        "llama3_1",
        "meta-llama/Llama-3.1-8B-Instruct",
        "lora",
    )
    assert (job.cloud, job.accelerators) == ("gcp", "A100:4")
    assert by_path["examples/grpo/train.yaml"].family is None
    assert by_path["examples/misc/llama_notes.yaml"].family == "qwen3"
