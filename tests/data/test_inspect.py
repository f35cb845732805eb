"""inspect_dataset on small files the tests write: every format, broken lines named, tokens."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path

import pytest

from data.support import MAX_LEN, chat, write_jsonl
from oumi_mcp_server.core.errors import ServiceError
from oumi_mcp_server.data import reader
from oumi_mcp_server.data.inspect import inspect_dataset
from oumi_mcp_server.demo.assets import TinyAssets

BROKEN = [
    chat("hello world", "fine thanks"),  # 1
    chat("hello world", "fine thanks"),  # 2 duplicate of 1
    "{not json\n",  # 3
    "\n",  # 4 blank
    {"messages": [{"role": "bot", "content": "x"}]},  # 5
    {"messages": [{"role": "user", "content": " "}, {"role": "assistant", "content": "y"}]},  # 6
    {"messages": [{"role": "user", "content": "a"}, {"role": "user", "content": "b"}]},  # 7
    {"text": "no messages here"},  # 8
    "[1, 2]\n",  # 9
    {"messages": [{"role": "assistant", "content": "first"}, {"role": "user", "content": "q"}]},
    chat("how are you", "fine " * 40),  # 11, long
]


def _issues(answer: object) -> dict[str, list[str]]:
    return {i.kind: i.at for i in answer.issues}  # type: ignore[attr-defined]


def test_broken_lines_are_named(tmp_path: Path) -> None:
    write_jsonl(tmp_path / "d.jsonl", BROKEN)
    a = inspect_dataset("d.jsonl", "", str(tmp_path))
    assert (a.file_format, a.data_format, a.sampled, a.rows_exact) == ("jsonl", "chat", False, True)
    assert _issues(a) == {
        "duplicate_row": ["line 2"],
        "bad_json": ["line 3", "line 9"],
        "empty_row": ["line 4"],
        "unknown_role": ["line 5"],
        "empty_content": ["line 6"],
        "wrong_alternation": ["line 7", "line 10"],
        "missing_messages": ["line 8"],
    }
    assert (a.rows, a.empty_rows, a.duplicate_rows, a.valid_rows) == (10, 1, 1, 3)
    assert a.roles == {"user": 3, "assistant": 3}
    assert a.tokens is not None and not a.tokens.exact and "estimate" in a.notes[0]
    assert all(len(s) <= 301 for s in a.samples)


def test_line_numbers_hold_across_read_blocks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(reader, "READ_BYTES", 7)
    write_jsonl(tmp_path / "d.jsonl", BROKEN)
    assert _issues(inspect_dataset("d.jsonl", "", str(tmp_path)))["bad_json"] == [
        "line 3",
        "line 9",
    ]


def test_token_lengths_with_the_tokenizer(tmp_path: Path, tokenizer_dir: Path) -> None:
    write_jsonl(tmp_path / "d.jsonl", [chat("hello world", "fine thanks")] * 3 + BROKEN[-1:])
    a = inspect_dataset(str(tmp_path / "d.jsonl"), "", str(tmp_path), str(tokenizer_dir))
    t = a.tokens
    assert t is not None and t.exact and t.model_max_length == MAX_LEN
    # "user : hello world \n assistant : fine thanks": 8 words and colons
    assert (t.p50, t.rows_counted) == (8, 4)
    assert t.max > MAX_LEN and t.share_over_max == 0.25
    a = inspect_dataset(str(tmp_path / "d.jsonl"), "", str(tmp_path), str(tokenizer_dir), 4)
    assert a.tokens is not None and a.tokens.share_over_max == 1.0


def test_prompt_completion_json_csv_parquet_and_saved_folder(tmp_path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    rows = [{"prompt": "p1", "completion": "c1"}, {"prompt": "p2", "completion": ""}]
    (tmp_path / "d.json").write_text(json.dumps({"data": rows}))
    (tmp_path / "d.csv").write_text('text\nhello\n""\nworld\n')
    pq.write_table(
        pa.Table.from_pylist([{**r, "img": b"\x89PNG"} for r in rows]), tmp_path / "d.parquet"
    )
    folder = tmp_path / "saved"
    folder.mkdir()
    table = pa.Table.from_pylist([chat("q", "a"), {"messages": []}])
    with pa.ipc.new_stream(folder / "data-00000-of-00001.arrow", table.schema) as w:
        w.write_table(table)
    (folder / "state.json").write_text(
        json.dumps({"_data_files": [{"filename": "data-00000-of-00001.arrow"}]})
    )
    got = {
        name: inspect_dataset(name, "", str(tmp_path))
        for name in ("d.json", "d.csv", "d.parquet", "saved")
    }
    assert got["d.json"].data_format == "prompt_completion"
    assert _issues(got["d.json"]) == {"empty_content": ["row 2"]}
    assert got["d.csv"].data_format == "text" and _issues(got["d.csv"]) == {
        "empty_content": ["line 3"]
    }
    assert _issues(got["d.parquet"]) == {"empty_content": ["row 2"]} and got["d.parquet"].rows == 2
    assert got["saved"].file_format == "hf_dataset" and got["saved"].rows == 2
    assert _issues(got["saved"]) == {"missing_messages": ["row 2"]}


def test_a_big_file_is_sampled_and_says_so(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(reader, "FULL_SCAN_BYTES", 10_000)
    monkeypatch.setattr(reader, "HEAD_BYTES", 2_000)
    monkeypatch.setattr(reader, "WINDOW_BYTES", 500)
    rows = [chat(f"q{i}", "a") for i in range(2000)]
    rows[1500] = "{broken\n"
    path = write_jsonl(tmp_path / "big.jsonl", rows)
    a = inspect_dataset(str(path), "", str(tmp_path))
    assert a.sampled and not a.rows_exact and "windows" in a.sampling
    assert a.rows_read < 2000 and 1500 <= a.rows <= 2500
    assert all(w.startswith(("line ", "byte ")) for i in a.issues for w in i.at)


def test_a_sparse_file_claiming_gigabytes_answers(tmp_path: Path) -> None:
    path = tmp_path / "sparse.jsonl"
    with path.open("wb") as fh:
        fh.truncate(2 * 1024**3)
    a = inspect_dataset(str(path), "", str(tmp_path))
    assert a.sampled and a.valid_rows == 0 and a.issues[0].kind == "bad_json"


def _saved_folder(state: str) -> Callable[[Path], None]:
    def make(p: Path) -> None:
        (p / "s").mkdir()
        (p / "s" / "state.json").write_text(state)

    return make


@pytest.mark.parametrize(
    ("setup", "args", "code"),
    [
        (lambda p: os.mkfifo(p / "f.jsonl"), ("f.jsonl", ""), "data_not_a_file"),
        (lambda p: None, ("nope.jsonl", ""), "data_not_found"),
        (lambda p: (p.parent / "x.jsonl").touch(), ("../x.jsonl", ""), "path_outside_workspace"),
        (lambda p: None, ("", ""), "bad_arguments"),
        (lambda p: (p / "x.jsonl").touch(), ("x.jsonl", "org/set"), "bad_arguments"),
        (lambda p: None, ("", "org/not-cached"), "dataset_not_local"),
        (lambda p: (p / "d.txt").touch(), ("d.txt", ""), "unknown_data_format"),
        (lambda p: (p / "dir").mkdir(), ("dir", ""), "not_a_dataset_folder"),
        (lambda p: (p / "d.json").write_text("{"), ("d.json", ""), "data_unreadable"),
        (lambda p: (p / "d.parquet").write_text("x"), ("d.parquet", ""), "data_unreadable"),
        (
            _saved_folder('{"_data_files": [{"filename": "../x.arrow"}]}'),
            ("s", ""),
            "not_a_dataset_folder",
        ),
        (_saved_folder("[not json"), ("s", ""), "not_a_dataset_folder"),
        (_saved_folder('{"_data_files": [7]}'), ("s", ""), "not_a_dataset_folder"),
        (
            lambda p: (p / "d.csv").write_text("text\n" + "x" * 200_000 + "\n"),
            ("d.csv", ""),
            "data_unreadable",
        ),
    ],
)
def test_refusals_are_structured(
    tmp_path: Path, setup: object, args: tuple[str, str], code: str
) -> None:
    setup(tmp_path)  # type: ignore[operator]
    with pytest.raises(ServiceError) as err:
        inspect_dataset(*args, str(tmp_path))
    assert err.value.code == code


def test_a_cached_hub_dataset_is_read_by_name(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    snap = tmp_path / "hub" / "datasets--org--set" / "snapshots" / "abc" / "data"
    snap.mkdir(parents=True)
    write_jsonl(snap / "train.jsonl", [{"text": "hello"}])
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "hub"))
    a = inspect_dataset("", "org/set", str(tmp_path))
    assert (a.data_format, a.rows) == ("text", 1)


def test_the_answer_stays_under_8_kb(tmp_path: Path) -> None:
    rows = [{"messages": [{"role": f"r{i}" * 50, "content": "x" * 5000}]} for i in range(50)]
    rows += [{"text": "y" * 5000, f"{i}" + "k" * 300: 1} for i in range(50)]
    write_jsonl(tmp_path / "d.jsonl", rows)
    assert len(inspect_dataset("d.jsonl", "", str(tmp_path)).model_dump_json()) <= 8192


@pytest.mark.slow
def test_the_demo_models_tokenizer_counts_its_dataset(tiny_assets: TinyAssets) -> None:
    """A folder written by transformers' save_pretrained: tokenizer.json and model_max_length."""
    root = str(tiny_assets.root)
    a = inspect_dataset(str(tiny_assets.dataset_jsonl), "", root, str(tiny_assets.model_dir))
    assert a.data_format == "chat" and a.valid_rows == a.rows and a.duplicate_rows > 0
    t = a.tokens
    assert t is not None and t.exact and t.model_max_length == 256 and t.share_over_max == 0.0
    assert 0 < t.p50 <= t.p90 <= t.p99 <= t.max < 256
