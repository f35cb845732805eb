"""Dataset files are inspected bounded: regular files only, odd JSON a finding, never a crash."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from oumi_mcp_server.preflight import datasets
from oumi_mcp_server.preflight.datasets import inspect_file


def _codes(file: Path) -> list[str]:
    return [f.code for f in inspect_file(file)]


def test_rows_are_counted(tmp_path: Path) -> None:
    rows = tmp_path / "train.jsonl"
    rows.write_text("".join(json.dumps({"i": i}) + "\n" for i in range(5)) + "\n")
    found = inspect_file(rows)
    assert [f.code for f in found] == ["dataset_rows"] and "5 rows" in found[0].message


@pytest.mark.parametrize("name", ["pipe.jsonl", "pipe.json", "pipe.parquet"])
def test_a_fifo_is_refused_without_blocking(tmp_path: Path, name: str) -> None:
    os.mkfifo(tmp_path / name)
    assert _codes(tmp_path / name) == ["dataset_not_a_file"]


def test_devices_are_not_read(tmp_path: Path) -> None:
    (tmp_path / "zero.jsonl").symlink_to("/dev/zero")
    assert _codes(tmp_path / "zero.jsonl") == ["dataset_not_a_file"]


@pytest.mark.parametrize(
    "line",
    ['{"n": ' + "9" * 5000 + "}", "[" * 100_000 + "]" * 100_000, '{"a": "\\ud800"', "\udcff\udcfe"],
)
def test_odd_json_lines_are_findings(tmp_path: Path, line: str) -> None:
    (tmp_path / "bad.jsonl").write_bytes(line.encode("utf-8", "surrogateescape") + b"\n")
    (tmp_path / "bad.json").write_bytes(line.encode("utf-8", "surrogateescape"))
    assert _codes(tmp_path / "bad.jsonl") == ["dataset_bad_json_line"]
    assert _codes(tmp_path / "bad.json") == ["dataset_bad_json"]


def test_an_overlong_line_is_counted_not_held(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(datasets, "MAX_LINE_BYTES", 1024)
    rows = tmp_path / "long.jsonl"
    rows.write_text('{"a": "' + "x" * 10_000 + '"}\n{"b": 1}\n')
    found = inspect_file(rows)
    assert [f.code for f in found] == ["dataset_rows"] and "2 rows" in found[0].message


def test_empty_files(tmp_path: Path) -> None:
    for name in ("e.jsonl", "e.json", "e.csv"):
        (tmp_path / name).write_bytes(b"")
        assert _codes(tmp_path / name) == ["dataset_empty"]
    (tmp_path / "blank.jsonl").write_text("\n\n")
    assert _codes(tmp_path / "blank.jsonl") == ["dataset_empty"]
