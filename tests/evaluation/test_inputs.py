"""Reading the held-out chat JSONL and the prompt suite: good files load, bounded by the row
limit; every bad file or line is an error naming the file, the line and the fix."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from oumi_mcp_server.evaluation.inputs import load_chat_rows, load_suite
from oumi_mcp_server.evaluation.scoring import EvalInputError

CHAT = {"messages": [{"role": "user", "content": "Q"}, {"role": "assistant", "content": "A"}]}
ITEM = {"prompt": "Q", "expected": "A", "match": "contains", "category": "c"}


def _jsonl(path: Path, rows: list[Any]) -> Path:
    text = "".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in rows)
    path.write_text(text, encoding="utf-8")
    return path


def test_suite_loads_with_defaults_and_line_numbers(tmp_path: Path) -> None:
    path = _jsonl(tmp_path / "s.jsonl", [ITEM, "", {"prompt": "P", "expected": ["a", "b"]}])
    items = load_suite(path, 10)
    assert [i.line for i in items] == [1, 3]
    assert items[1].category == "all" and items[1].matcher.kind == "contains"
    assert items[1].matcher.expected == ("a", "b")


def test_row_limit_bounds_what_is_read(tmp_path: Path) -> None:
    path = _jsonl(tmp_path / "s.jsonl", [ITEM] * 5 + ["{broken"])
    assert len(load_suite(path, 5)) == 5  # the broken 6th line is never read
    chats = _jsonl(tmp_path / "c.jsonl", [CHAT] * 4)
    assert load_chat_rows(chats, 2) == [CHAT["messages"]] * 2


@pytest.mark.parametrize(
    ("rows", "says"),
    [
        ([ITEM, "{not json"], "s.jsonl:2: not valid JSON"),
        ([ITEM, "", "[1, 2]"], "s.jsonl:3: expected a JSON object, got list"),
        ([ITEM | {"match": "fuzzy"}], "s.jsonl:1: unknown \"match\" 'fuzzy'. Fix: one of exact"),
        ([ITEM, ITEM | {"match": "regex", "expected": "(?<=x)y"}], "s.jsonl:2: expected regex"),
        ([ITEM | {"prompt": " "}], 's.jsonl:1: "prompt" must be a non-empty string'),
        ([ITEM | {"category": 3}], 's.jsonl:1: "category" must be'),
        ([{"prompt": "Q", "match": "exact"}], 's.jsonl:1: "expected" must be'),
        (["", "  "], "has no rows"),
    ],
)
def test_bad_suite_lines_are_named(tmp_path: Path, rows: list[Any], says: str) -> None:
    with pytest.raises(EvalInputError) as err:
        load_suite(_jsonl(tmp_path / "s.jsonl", rows), 100)
    assert says in str(err.value)


@pytest.mark.parametrize(
    ("rows", "says"),
    [
        ([CHAT, {"text": "x"}], 'c.jsonl:2: needs "messages"'),
        ([{"messages": []}], 'c.jsonl:1: needs "messages"'),
        (
            [{"messages": [{"role": "robot", "content": "x"}]}],
            "c.jsonl:1: messages[0] needs a role",
        ),
        ([{"messages": [{"role": "user", "content": 5}]}], "messages[0] needs a role"),
        ([CHAT, CHAT, "oops"], "c.jsonl:3: not valid JSON"),
    ],
)
def test_bad_chat_lines_are_named(tmp_path: Path, rows: list[Any], says: str) -> None:
    with pytest.raises(EvalInputError) as err:
        load_chat_rows(_jsonl(tmp_path / "c.jsonl", rows), 100)
    assert says in str(err.value)


def test_missing_file_and_overlong_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(EvalInputError, match=r"does not exist or is not a file\. Fix: pass"):
        load_suite(tmp_path / "gone.jsonl", 10)
    with pytest.raises(EvalInputError, match="not a file"):
        load_chat_rows(tmp_path, 10)
    monkeypatch.setattr("oumi_mcp_server.evaluation.inputs.MAX_LINE_BYTES", 90)
    path = _jsonl(tmp_path / "s.jsonl", [ITEM, ITEM | {"prompt": "x" * 100}])
    with pytest.raises(EvalInputError, match=r"s\.jsonl:2: line longer than 90 bytes"):
        load_suite(path, 10)
