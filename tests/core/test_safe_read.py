"""Bounded reads of named files: stat before read, regular files only, never a hang or a crash."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from oumi_mcp_server.core.echo import short, short_path
from oumi_mcp_server.core.errors import ServiceError
from oumi_mcp_server.core.safe_read import open_regular_file, path_exists, read_regular_file


def _refused(path: str | Path, max_bytes: int = 1000, kind: str = "config") -> ServiceError:
    with pytest.raises(ServiceError) as info:
        read_regular_file(path, max_bytes, kind=kind)
    assert info.value.fix, info.value
    return info.value


def test_a_regular_file_is_read_whole(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_bytes(b"model: {}\n")
    assert read_regular_file(tmp_path / "a.yaml", 10) == b"model: {}\n"


def test_a_sparse_giant_is_refused_by_its_size(tmp_path: Path) -> None:
    big = tmp_path / "big.yaml"
    with big.open("wb") as fh:
        fh.truncate(3 * 1024**3)  # 3 GB that were never written
    err = _refused(big, 1_000_000)
    assert err.code == "config_too_large" and "3,221,225,472" in err.message


@pytest.mark.parametrize("via_symlink", [False, True])
def test_fifo_is_refused_without_opening_it(tmp_path: Path, via_symlink: bool) -> None:
    fifo = tmp_path / "pipe.yaml"
    os.mkfifo(fifo)
    path = fifo
    if via_symlink:
        path = tmp_path / "link.yaml"
        path.symlink_to(fifo)
    err = _refused(path)
    assert err.code == "config_not_a_file" and "FIFO" in err.message


@pytest.mark.parametrize(
    ("path", "code"),
    [("/dev/zero", "config_not_a_file"), ("/dev/null", "config_not_a_file")],
)
def test_devices_and_folders_are_refused(path: str, code: str, tmp_path: Path) -> None:
    assert _refused(path).code == code
    assert _refused(tmp_path).code == "config_not_a_file"


def test_proc_mem_is_an_io_error_not_a_crash() -> None:
    err = _refused("/proc/self/mem")
    assert err.code == "config_unreadable" and "Input/output error" in err.message


def test_a_file_larger_than_it_claims_is_cut_at_the_cap() -> None:
    """/proc files report size 0; at most cap+1 bytes are read, then the file is refused."""
    assert Path("/proc/self/status").stat().st_size == 0
    assert _refused("/proc/self/status", 10).code == "config_too_large"


def test_names_too_long_missing_and_odd_paths(tmp_path: Path) -> None:
    long_name = tmp_path / ("a" * 300 + ".yaml")
    err = _refused(long_name)
    assert err.code == "path_too_long" and "a" * 200 not in err.message
    assert _refused(tmp_path / "missing.yaml").code == "config_not_found"
    assert _refused(tmp_path / "x\x00y").code == "bad_path"
    assert _refused(tmp_path / "x\ud800y").code == "bad_path"
    assert not path_exists(long_name) and not path_exists(tmp_path / "x\x00y")


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads any file")
def test_unreadable_file(tmp_path: Path) -> None:
    locked = tmp_path / "locked.yaml"
    locked.write_text("a: 1\n")
    locked.chmod(0)
    assert _refused(locked).code == "config_not_readable"


def test_open_for_streaming_checks_the_same_way(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "pipe.jsonl")
    with pytest.raises(ServiceError) as info:
        open_regular_file(tmp_path / "pipe.jsonl", kind="dataset")
    assert info.value.code == "dataset_not_a_file"
    (tmp_path / "rows.jsonl").write_text("{}\n")
    with open_regular_file(tmp_path / "rows.jsonl") as fh:
        assert fh.read() == b"{}\n"


def test_echoes_are_short_and_escaped() -> None:
    assert short("root:$6$salt$" + "h" * 100) == "root:$6$salt$" + "h" * 27 + "…"
    assert short("\x1b[31mred\x00") == "\\x1b[31mred\\x00"
    assert short("k" * 40) == "k" * 40
    shown = short_path("/a/" + "b" * 10_000 + "/file.yaml")
    assert len(shown) < 200 and shown.endswith("/file.yaml") and shown.startswith("/a/")
