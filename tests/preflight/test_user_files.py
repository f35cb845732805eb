"""Pre-flight reads of files in the user's project go through the bounded reader: a FIFO or a
device where a config.json, a weights index or an ignore file should be never hangs a check."""

from __future__ import annotations

import os
from pathlib import Path

from oumi_mcp_server.preflight import syncignore
from oumi_mcp_server.preflight.memory import shape_of
from oumi_mcp_server.preflight.model_access import inspect_model_dir


def test_fifo_model_files_are_skipped_not_read(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "config.json")
    os.mkfifo(tmp_path / "model.safetensors.index.json")
    shape = shape_of("org/tiny-135m", tmp_path)  # no hang: falls back to the name
    assert shape is not None and shape.source != "config.json"
    assert "config.json" not in inspect_model_dir(tmp_path, needs_tokenizer=False)


def test_deep_or_huge_json_is_skipped(tmp_path: Path) -> None:
    (tmp_path / "config.json").write_text("[" * 100_000 + "]" * 100_000)
    (tmp_path / "model.safetensors.index.json").write_text('{"n": ' + "9" * 5000 + "}")
    assert shape_of("org/tiny-135m", tmp_path) is not None
    inspect_model_dir(tmp_path, needs_tokenizer=False)


def test_ignore_file_that_is_a_fifo_or_device(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / ".gitignore")
    assert syncignore._patterns(tmp_path / ".gitignore") == []
    (tmp_path / ".skyignore").symlink_to("/dev/zero")
    assert syncignore._patterns(tmp_path / ".skyignore") == []
    (tmp_path / "ok.ignore").write_text("*.bin\n# c\n")
    assert syncignore._patterns(tmp_path / "ok.ignore") == ["*.bin"]
