"""The pure scoring of the offline evaluation functions: every match kind on plain strings,
the suite summary (overall, per category, examples) and loss/perplexity from summed NLL."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from oumi_mcp_server.core.safe_regex import escape
from oumi_mcp_server.evaluation.scoring import (
    EXAMPLE_CHARS,
    MAX_EXAMPLES,
    EvalInputError,
    LossTotals,
    Scored,
    build_matcher,
    summarize,
)

WORDS = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), min_size=1)
NONBLANK = WORDS.filter(lambda s: s.strip() != "")


def passes(kind: str, expected: object, answer: str) -> bool:
    return build_matcher(kind, expected, "suite.jsonl:1").passes(answer)


@pytest.mark.parametrize(
    ("kind", "expected", "answer", "ok"),
    [
        ("exact", "The sky is blue.", "  The  sky is\nblue. ", True),
        ("exact", "The sky is blue.", "the sky is blue.", False),  # case matters
        ("exact", "blue", "The sky is blue.", False),
        ("exact", ["red", "blue"], "blue", True),
        ("contains", "BLUE", "The sky is blue.", True),
        ("contains", ["meow", "purr"], "Cats PURR.", True),
        ("contains", ["meow", "purr"], "Cats hiss.", False),
        ("keyword", ["two", "four"], "Two plus two is FOUR.", True),
        ("keyword", ["two", "five"], "Two plus two is four.", False),
        ("keyword", "four", "four", True),
        ("regex", r"\bfour\b", "two plus two is four.", True),
        ("regex", r"\bfour\b", "fourteen", False),
        ("regex", "^The sky", "Well.\nThe sky is blue.", True),  # ^ at each line start
        ("regex", ["wo+f", "meow"], "woooof", True),
        ("regex", "a.b", "a\nb", False),  # never across a newline
    ],
)
def test_match_kinds(kind: str, expected: object, answer: str, ok: bool) -> None:
    assert passes(kind, expected, answer) is ok


@given(before=WORDS, needle=NONBLANK, after=WORDS)
def test_contains_finds_any_embedded_string(before: str, needle: str, after: str) -> None:
    answer = before + needle.swapcase() + after
    assert passes("contains", needle, answer) is (needle.casefold() in answer.casefold())
    assert passes("contains", ["\x00never", needle], before + needle + after)


@given(parts=st.lists(NONBLANK, min_size=1, max_size=5))
def test_keyword_needs_every_part(parts: list[str]) -> None:
    answer = " ".join(parts)
    assert passes("keyword", parts, answer)
    assert not passes("keyword", [*parts, "\x00absent"], answer)


@given(text=NONBLANK)
def test_exact_ignores_only_surrounding_and_repeated_whitespace(text: str) -> None:
    assert passes("exact", text, "  " + text.replace(" ", "  ") + "\n")
    assert not passes("exact", text, text + "x")


@given(
    literal=st.text(
        alphabet=st.characters(codec="ascii", exclude_characters="\n\r"), min_size=1, max_size=40
    )
)
def test_regex_of_an_escaped_literal_finds_it(literal: str) -> None:
    assert passes("regex", escape(literal), "<" + literal + ">")


@pytest.mark.parametrize(
    ("kind", "expected", "says"),
    [
        ("fuzzy", "x", "unknown \"match\" 'fuzzy'"),
        ("contains", "", '"expected" must be'),
        ("contains", [], '"expected" must be'),
        ("contains", ["ok", 3], '"expected" must be'),
        ("exact", None, '"expected" must be'),
        ("regex", "(unclosed", "not a valid RE2 pattern"),
        ("regex", r"(a)\1", "not a valid RE2 pattern"),  # backreferences: not linear time
        ("regex", "x" * 500, "1-200 characters"),
    ],
)
def test_bad_expectations_name_the_line_and_the_fix(kind: str, expected: object, says: str) -> None:
    with pytest.raises(EvalInputError) as err:
        build_matcher(kind, expected, "suite.jsonl:7")
    assert str(err.value).startswith("suite.jsonl:7: ") and says in str(err.value)


def _scored(passed: bool, category: str, got: str = "x") -> Scored:
    return Scored("p", ("e",), got, passed, category)


def test_summary_overall_per_category_and_examples_failures_first() -> None:
    rows = [_scored(True, "a"), _scored(False, "a"), _scored(True, "b"), _scored(True, "b")]
    rows += [_scored(True, "c", got="y" * 1000)] * 5
    got = summarize(rows)
    assert (got["accuracy"], got["passed"], got["total"]) == (round(8 / 9, 4), 8, 9)
    assert got["by_category"] == {"a": 0.5, "b": 1.0, "c": 1.0}
    examples = got["examples"]
    assert len(examples) == MAX_EXAMPLES and examples[0]["pass"] is False
    assert max(len(e["got"]) for e in examples) == EXAMPLE_CHARS
    assert set(examples[0]) == {"prompt", "expected", "got", "pass", "category"}


@given(st.lists(st.tuples(st.booleans(), st.sampled_from("abc")), max_size=30))
def test_summary_counts_add_up(marks: list[tuple[bool, str]]) -> None:
    got = summarize([_scored(ok, cat) for ok, cat in marks])
    assert got["total"] == len(marks) and got["passed"] == sum(ok for ok, _ in marks)
    assert set(got["by_category"]) == {cat for _, cat in marks}
    for cat, acc in got["by_category"].items():
        mine = [ok for ok, c in marks if c == cat]
        assert acc == round(sum(mine) / len(mine), 4)
    assert len(got["examples"]) == min(len(marks), MAX_EXAMPLES)


def test_loss_totals_are_token_weighted() -> None:
    totals = LossTotals()
    totals.add(nll=10.0, tokens=5, response_nll=3.0, response_tokens=1)
    totals.add(nll=2.0, tokens=1, response_nll=2.0, response_tokens=1)
    got = totals.result()
    assert got["loss"] == 2.0 and got["perplexity"] == round(math.exp(2.0), 4)
    assert got["response_loss"] == 2.5 and got["response_perplexity"] == round(math.exp(2.5), 4)
    assert (got["rows"], got["tokens"], got["response_tokens"]) == (2, 6, 2)


def test_loss_totals_without_tokens_and_overflow() -> None:
    assert LossTotals().result() == {"rows": 0, "tokens": 0, "response_tokens": 0}
    huge = LossTotals()
    huge.add(nll=1e6, tokens=1, response_nll=0.0, response_tokens=0)
    got = huge.result()
    assert math.isfinite(got["perplexity"]) and "response_loss" not in got
