"""Bounded log reads from the end: tail, grep, max_bytes, truncated, redaction."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from oumi_mcp_server.core.errors import ServiceError
from oumi_mcp_server.jobs import logs
from oumi_mcp_server.jobs.service import JobService


def _log(tmp_path: Path, n: int) -> Path:
    path = tmp_path / "big.log"
    path.write_text("".join(f"line {i}\n" for i in range(n)))
    return path


def test_tail_reads_the_end(tmp_path: Path) -> None:
    path = _log(tmp_path, 200_000)
    t = logs.tail(path, 3, 6000)
    assert t.text == "line 199997\nline 199998\nline 199999" and t.lines == 3 and t.truncated
    small = logs.tail(_log(tmp_path, 2), 10, 6000)
    assert small.text == "line 0\nline 1" and not small.truncated


def test_max_bytes_bounds_the_answer(tmp_path: Path) -> None:
    t = logs.tail(_log(tmp_path, 10_000), 5000, 300)
    assert len(t.text.encode()) <= 300 and t.truncated and t.text.endswith("line 9999")


def test_grep_scans_backwards(tmp_path: Path) -> None:
    path = _log(tmp_path, 100_000)
    t = logs.tail(path, 2, 6000, re.compile(r"line 1234\d$"))
    assert t.text == "line 12348\nline 12349" and t.truncated
    one = logs.tail(path, 5, 6000, re.compile(r"^line 7$"))
    assert one.text == "line 7" and not one.truncated


def test_tail_of_a_huge_sparse_file_reads_only_the_end(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "huge.log"
    with path.open("wb") as fh:
        fh.truncate(1 << 30)  # 1 GB of holes
        fh.seek((1 << 30) - 11)
        fh.write(b"\nlast line\n")
    read_sizes: list[int] = []
    real_open = Path.open

    def counting_open(self: Path, *a: object, **kw: object):  # type: ignore[no-untyped-def]
        fh = real_open(self, *a, **kw)  # type: ignore[arg-type]
        orig = fh.read

        def read(n: int = -1) -> bytes:
            data = orig(n)
            read_sizes.append(len(data))
            return data

        fh.read = read  # type: ignore[method-assign]
        return fh

    monkeypatch.setattr(Path, "open", counting_open)
    t = logs.tail(path, 1, 6000)
    assert t.text == "last line" and t.file_size == 1 << 30
    assert sum(read_sizes) <= 6000 + 2 * 64 * 1024


def test_progress_bars_show_their_last_state(tmp_path: Path) -> None:
    path = tmp_path / "err.log"
    path.write_text(
        "start\n" + "".join(f"\r{i}/100 [00:01<00:02]" for i in range(1, 101)) + "\ndone\n"
    )
    assert logs.tail(path, 10, 6000, collapse_cr=True).text == "start\n100/100 [00:01<00:02]\ndone"


def test_escaped_answer_stays_bounded(service: JobService, tmp_path: Path) -> None:
    rec = service.submit_argv(["/bin/true"], cwd=str(tmp_path))
    Path(rec.run_dir, "stdout.log").write_bytes(
        b"\x01\x02\x03" * 20_000 + b"\n" + b"\x07" * 10 + b"\n"
    )
    answer = service.logs(rec.id, stream="stdout", max_bytes=2000)
    assert len(answer.model_dump_json()) < 2000 + 1024 + 200 and answer.truncated


def test_secrets_in_logs_are_redacted(tmp_path: Path) -> None:
    path = tmp_path / "l.log"
    path.write_text("token hf_abcdefghijklmnopqrstuvwxyz123456 used\n")
    assert "hf_abc" not in logs.tail(path, 10, 6000).text


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [
        ({"tail": -1}, "bad_tail"),
        ({"tail": 0}, "bad_tail"),
        ({"tail": 10**9}, "bad_tail"),
        ({"max_bytes": 10}, "bad_max_bytes"),
        ({"max_bytes": 10**12}, "bad_max_bytes"),
        ({"grep": "("}, "bad_grep"),
        ({"grep": "x" * 500}, "bad_grep"),
        ({"stream": "stdin"}, "bad_stream"),
    ],
)
def test_bad_log_arguments(kwargs: dict[str, object], code: str, service: JobService) -> None:
    with pytest.raises(ServiceError) as err:
        service.logs("any-job", **kwargs)  # type: ignore[arg-type]
    assert err.value.code == code


def test_unknown_job_id(service: JobService) -> None:
    for bad in ("nope", "../../etc/passwd", "", "x" * 1000):
        with pytest.raises(ServiceError) as err:
            service.status(bad)
        assert err.value.code == "unknown_job"
