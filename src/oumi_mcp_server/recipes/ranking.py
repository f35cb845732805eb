"""Ranked full-text search over recipe metadata through a small inverted index."""

from __future__ import annotations

import re
from collections import defaultdict
from functools import lru_cache

from oumi_mcp_server.recipes.extract import Recipe

_WORD = re.compile(r"[a-z0-9]+")
_SPLIT = re.compile(r"[a-z]+|\d+[a-z]*")
_VERSION = re.compile(r"\d+(?:[._]\d+)+[a-z]?")
# How much a hit in each field counts: a term naming the model or the folder beats one in prose.
FIELD_WEIGHTS = {
    "path": 3.0,
    "model": 3.0,
    "family": 3.0,
    "task": 2.5,
    "datasets": 2.0,
    "job": 2.0,
    "description": 1.0,
}


def tokens(text: str) -> set[str]:
    """Words of `text`, their letter/digit pieces (`llama3` also yields `llama` and `3`), and
    versions as one token (`3.1`, `3_1` → `3_1`; `0.6b` → `0_6b`)."""
    lowered = text.lower()
    words = set(_WORD.findall(lowered))
    for word in list(words):
        pieces = _SPLIT.findall(word)
        if len(pieces) > 1:
            words.update(pieces)
    words.update(v.replace(".", "_") for v in _VERSION.findall(lowered))
    return words


def query_terms(query: str) -> list[str]:
    """Query words; a version (`llama3.1`, `Qwen2.5`, `0.6B`) stays one term so `3.1` ≠ `3.2`."""
    lowered = query.lower()
    versions = [v.replace(".", "_") for v in _VERSION.findall(lowered)]
    rest = _VERSION.sub(" ", lowered)
    return list(dict.fromkeys([*_WORD.findall(rest), *versions]))


class SearchIndex:
    """token → {recipe position: best field weight}; terms match whole tokens, prefixes, or
    (3+ characters) substrings, each counting a little less."""

    def __init__(self, recipes: list[Recipe]) -> None:
        postings: dict[str, dict[int, float]] = defaultdict(dict)
        for pos, recipe in enumerate(recipes):
            fields = {
                "path": recipe.path,
                "model": recipe.model or "",
                "family": recipe.family or "",
                "task": recipe.task,
                "datasets": " ".join(recipe.datasets),
                "job": f"{recipe.cloud or ''} {recipe.accelerators or ''}",
                "description": recipe.description,
            }
            found: dict[str, list[float]] = defaultdict(list)
            for name, text in fields.items():
                for token in tokens(text):
                    found[token].append(FIELD_WEIGHTS[name])
            for token, weights in found.items():
                # The best field counts fully; each further field holding the word adds a little.
                postings[token][pos] = max(weights) + 0.1 * (sum(weights) - max(weights))
        self._postings = dict(postings)
        self._vocab = sorted(self._postings)
        self.term_hits = lru_cache(maxsize=512)(self._term_hits)

    def _term_hits(self, term: str) -> dict[int, float]:
        hits: dict[int, float] = dict(self._postings.get(term, {}))
        for token in self._vocab:
            if token == term:
                continue
            if token.startswith(term):
                quality = 0.7
            elif len(term) >= 3 and term in token:
                quality = 0.4
            else:
                continue
            for pos, weight in self._postings[token].items():
                score = weight * quality
                if hits.get(pos, 0.0) < score:
                    hits[pos] = score
        return hits

    def score(self, terms: list[str], allowed: set[int] | None) -> tuple[dict[int, float], bool]:
        """Scores of recipes matching every term; if none does, of those matching any (False)."""
        per_term = [self.term_hits(term) for term in terms]
        totals: dict[int, float] = defaultdict(float)
        counts: dict[int, int] = defaultdict(int)
        for hits in per_term:
            for pos, value in hits.items():
                if allowed is None or pos in allowed:
                    totals[pos] += value
                    counts[pos] += 1
        full = {pos: s for pos, s in totals.items() if counts[pos] == len(terms)}
        if full:
            return full, True
        return {pos: s * counts[pos] / len(terms) for pos, s in totals.items()}, False
