"""Pure scoring for the offline evaluation functions: match a generation against expected answers,
sum a prompt suite into overall and per-category accuracy, turn summed token losses into loss
and perplexity. No oumi, no torch: everything here is tested on plain strings and numbers.

Match kinds (`expected` is a string or a list of strings):
- `exact`: the answer equals one expected string, after trimming and collapsing whitespace.
- `contains`: the answer contains one expected string, ignoring case.
- `keyword`: the answer contains every expected string, ignoring case.
- `regex`: one expected RE2 pattern (linear time; no backreferences or lookaround) matches
  somewhere in the answer, line by line (`^`/`$` at each line's ends).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from oumi_mcp_server.core.errors import ServiceError
from oumi_mcp_server.core.safe_regex import SafePattern, compile_user

MATCH_KINDS = ("exact", "contains", "keyword", "regex")
MAX_EXPECTED = 32
MAX_EXAMPLES = 5
EXAMPLE_CHARS = 200
MAX_EXP = 700.0
"""Past this loss, exp() overflows a float: perplexity is reported as exp(700)."""


class EvalInputError(ValueError):
    """An evaluation input is missing or malformed; the message says where and how to fix it."""


def _squash(text: str) -> str:
    return " ".join(text.split())


@dataclass(frozen=True)
class Matcher:
    """How one suite prompt is judged: a match kind and its expected strings (or patterns)."""

    kind: str
    expected: tuple[str, ...]
    patterns: tuple[SafePattern, ...] = ()

    def passes(self, answer: str) -> bool:
        if self.kind == "exact":
            return _squash(answer) in {_squash(e) for e in self.expected}
        if self.kind == "contains":
            return any(e.casefold() in answer.casefold() for e in self.expected)
        if self.kind == "keyword":
            return all(e.casefold() in answer.casefold() for e in self.expected)
        data = answer.encode("utf-8", "replace")
        return any(p.search(data) is not None for p in self.patterns)


def build_matcher(kind: str, expected: Any, where: str) -> Matcher:
    """A Matcher for `kind` and `expected`; `where` (file:line) starts every error message."""
    if kind not in MATCH_KINDS:
        raise EvalInputError(
            f'{where}: unknown "match" {str(kind)[:40]!r}. Fix: one of {", ".join(MATCH_KINDS)}.'
        )
    values = [expected] if isinstance(expected, str) else expected
    if (
        not isinstance(values, list)
        or not 1 <= len(values) <= MAX_EXPECTED
        or not all(isinstance(v, str) and v.strip() for v in values)
    ):
        raise EvalInputError(
            f'{where}: "expected" must be a non-empty string or a list of 1-{MAX_EXPECTED} '
            "non-empty strings."
        )
    if kind != "regex":
        return Matcher(kind, tuple(values))
    patterns = []
    for value in values:
        try:
            patterns.append(compile_user(value, code="bad_regex", what="expected regex"))
        except ServiceError as exc:
            raise EvalInputError(f"{where}: {exc.message} Fix: {exc.fix}") from None
    return Matcher(kind, tuple(values), tuple(patterns))


@dataclass(frozen=True)
class Scored:
    prompt: str
    expected: tuple[str, ...]
    got: str
    passed: bool
    category: str


def _clip(text: str) -> str:
    return text if len(text) <= EXAMPLE_CHARS else text[: EXAMPLE_CHARS - 3] + "..."


def summarize(scored: Sequence[Scored], max_examples: int = MAX_EXAMPLES) -> dict[str, Any]:
    """Overall accuracy, per-category accuracy and a few examples (failures first, clipped).

    The shape is what `task_result.json` keeps under the task's name: scalars, then
    `by_category` (one level: `get_results` shows it as `by_category.<name>`), then `examples`
    (a list, for the dashboard; `get_results` leaves it out).
    """
    total = len(scored)
    passed = sum(s.passed for s in scored)
    categories: dict[str, list[bool]] = {}
    for s in scored:
        categories.setdefault(s.category, []).append(s.passed)
    chosen = sorted(scored, key=lambda s: s.passed)[:max_examples]
    return {
        "accuracy": round(passed / total, 4) if total else 0.0,
        "passed": passed,
        "total": total,
        "by_category": {
            name: round(sum(marks) / len(marks), 4) for name, marks in sorted(categories.items())
        },
        "examples": [
            {
                "prompt": _clip(s.prompt),
                "expected": _clip(" | ".join(s.expected)),
                "got": _clip(s.got),
                "pass": s.passed,
                "category": s.category,
            }
            for s in chosen
        ],
    }


@dataclass
class LossTotals:
    """Summed negative log-likelihood and token counts, over all tokens and over responses."""

    rows: int = 0
    nll: float = 0.0
    tokens: int = 0
    response_nll: float = 0.0
    response_tokens: int = 0

    def add(self, nll: float, tokens: int, response_nll: float, response_tokens: int) -> None:
        self.rows += 1
        self.nll += nll
        self.tokens += tokens
        self.response_nll += response_nll
        self.response_tokens += response_tokens

    def result(self) -> dict[str, float | int]:
        """Token-weighted mean loss and its perplexity; `response_*` covers the last assistant
        turn only (what fine-tuning changes), `loss` every predicted token (as training logs)."""
        out: dict[str, float | int] = {}
        for name, nll, count in (
            ("", self.nll, self.tokens),
            ("response_", self.response_nll, self.response_tokens),
        ):
            if count:
                loss = nll / count
                out[f"{name}loss"] = round(loss, 6)
                out[f"{name}perplexity"] = round(math.exp(min(loss, MAX_EXP)), 4)
        out["rows"] = self.rows
        out["tokens"] = self.tokens
        out["response_tokens"] = self.response_tokens
        return out
