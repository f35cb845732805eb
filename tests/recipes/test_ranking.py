"""Query terms and the inverted index: versions stay whole, fields weigh differently."""

from __future__ import annotations

from oumi_mcp_server.recipes.extract import Recipe
from oumi_mcp_server.recipes.ranking import SearchIndex, query_terms, tokens


def _recipe(path: str, model: str = "", **extra: object) -> Recipe:
    return Recipe(path=path, size=1, mtime_ns=1, model=model, **extra)  # type: ignore[arg-type]


def test_query_terms_keep_versions_whole() -> None:
    assert query_terms("Llama-3.1-8B lora") == ["llama", "8b", "lora", "3_1"]
    assert query_terms("qwen3 0.6B") == ["qwen3", "0_6b"]
    assert query_terms("  ,, ") == []


def test_tokens_hold_words_pieces_and_versions() -> None:
    assert {"llama3", "llama", "3", "1", "3_1"} <= tokens("recipes/llama3_1/x")
    assert "3_1" in tokens("meta-llama/Llama-3.1-8B")


def test_versions_tell_siblings_apart() -> None:
    recipes = [
        _recipe("recipes/llama3_1/inference/70b_infer.yaml", "meta-llama/Llama-3.1-70B"),
        _recipe("recipes/llama3_3/inference/70b_infer.yaml", "meta-llama/Llama-3.3-70B"),
    ]
    scores, complete = SearchIndex(recipes).score(query_terms("llama 3.3 70b"), None)
    assert complete and list(scores) == [1]


def test_field_weights_and_partial_fallback() -> None:
    recipes = [
        _recipe("examples/a.yaml", description="works with mistral too"),
        _recipe("recipes/mistral/train.yaml", "mistralai/Mistral-7B"),
        _recipe("recipes/x/gcp_job.yaml", task="job", cloud="gcp", accelerators="A100:8"),
    ]
    index = SearchIndex(recipes)
    scores, complete = index.score(["mistral"], None)
    assert complete and scores[1] > scores[0]
    scores, complete = index.score(["a100"], None)
    assert complete and list(scores) == [2]
    scores, complete = index.score(["mistral", "nothing"], None)
    assert not complete and set(scores) == {0, 1}
    scores, _ = index.score(["mistral"], {0})
    assert list(scores) == [0]
