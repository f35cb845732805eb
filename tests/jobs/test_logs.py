"""Bounded log reads from the end: tail, grep, max_bytes, truncated, redaction."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from oumi_mcp_server.core.errors import ServiceError
from oumi_mcp_server.core.safe_regex import compile_user
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
    t = logs.tail(path, 2, 6000, compile_user(r"line 1234\d$"))
    assert t.text == "line 12348\nline 12349" and t.truncated
    one = logs.tail(path, 5, 6000, compile_user(r"^line 7$"))
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


# --- linear reads: any line lengths, block boundaries, cut lines ---------------------------------


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    lines=st.lists(st.text(alphabet="ab c", max_size=30), max_size=40),
    final_newline=st.booleans(),
    want=st.integers(min_value=1, max_value=50),
)
def test_tail_and_grep_see_every_line_across_block_boundaries(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    lines: list[str],
    final_newline: bool,
    want: int,
) -> None:
    monkeypatch.setattr(logs, "_BLOCK", 7)  # many boundaries: inside lines, at newlines
    path = tmp_path / "small.log"
    content = "\n".join(lines) + ("\n" if final_newline and lines else "")
    path.write_text(content)
    expected = content.split("\n")
    if expected and expected[-1] == "":
        expected.pop()
    t = logs.tail(path, want, 100_000)
    assert t.text.split("\n") == (expected[-want:] or [""]) or (not expected and t.text == "")
    assert t.truncated == (len(expected) > want)
    hits = [ln for ln in expected if ln.endswith("c")]
    g = logs.tail(path, want, 100_000, compile_user("c$"))
    assert g.text == "\n".join(hits[-want:])


def test_a_giant_line_is_cut_to_its_end_and_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(logs, "LINE_CAP", 100)
    monkeypatch.setattr(logs, "_BLOCK", 64)  # a line within one block is shorter than the cap
    path = tmp_path / "wide.log"
    path.write_bytes(b"first\n" + b"w" * 1000 + b" middle part end\nlast\n")
    t = logs.tail(path, 3, 6000)
    first, middle, last = t.text.split("\n")
    assert (first, last) == ("first", "last")
    assert middle.startswith("[line cut: first ") and middle.endswith(" middle part end")
    assert "w" * 5 not in middle  # the partial token at the cut is dropped, not shown
    g = logs.tail(path, 5, 6000, compile_user("middle"))
    assert g.text == middle


def test_a_50_mb_line_without_newline_greps_and_tails(tmp_path: Path) -> None:
    path = tmp_path / "one_line.log"
    with path.open("wb") as fh:
        chunk = b"0123456789abcdef" * 4096
        for _ in range(50 * 1024 * 1024 // len(chunk)):
            fh.write(chunk)
        fh.write(b" needle at the end")
    g = logs.tail(path, 5, 6000, compile_user(r"needle"))
    assert g.lines == 1 and g.text.endswith("needle at the end") and "line cut" in g.text
    assert len(g.text.encode()) <= 6000 and not g.truncated  # cut, but no line left out
    assert logs.tail(path, 5, 6000, compile_user(r"^0123")).text == ""  # only its end is read
    t = logs.tail(path, 5, 6000)
    assert t.text.endswith("needle at the end") and t.text.startswith("[line cut")


def test_a_progress_bar_redrawn_for_megabytes_without_newline_shows_its_last_state(
    tmp_path: Path,
) -> None:
    path = tmp_path / "stderr.log"
    bars = "".join(f"\r{i}/200000 [00:01<00:02, 9.99it/s]" for i in range(1, 200_001))
    path.write_text("starting\n" + bars)
    assert len(bars) > 1_000_000
    t = logs.tail(path, 10, 6000, collapse_cr=True)
    assert t.text.endswith("200000/200000 [00:01<00:02, 9.99it/s]") and t.lines >= 1
    streams = logs.read_streams(tmp_path, 50, "stderr", None, 6000)  # as get_job_logs reads
    assert "200000/200000" in streams[0].text


# --- user regexes: linear engine, bounded, structured errors ---------------------------------

CATASTROPHIC = [r"(a+)+$", r"(x+x+)+y", r"(a|aa)+b", r"(\w+\s?)+$", r"((a*)*b)+c", r"(.*a){12}"]


@pytest.mark.parametrize("pattern", CATASTROPHIC)
def test_catastrophic_patterns_run_on_re2_and_return(tmp_path: Path, pattern: str) -> None:
    path = tmp_path / "evil.log"
    path.write_text(("a" * 30_000 + "!\n" + "x" * 30_000 + "\n" + "a b " * 10_000 + "!\n") * 3)
    grep = logs.check_args(10, "both", pattern, 6000)
    assert grep is not None and type(grep.compiled).__module__ == "re2"
    t = logs.tail(path, 10, 6000, grep)
    assert t.file_size == path.stat().st_size  # it returned: RE2 does not backtrack


@pytest.mark.parametrize(
    "pattern", [r"(a)\1", r"(?P<x>a)(?P=x)", r"foo(?=bar)", r"(?<!x)y", r"(?!a)b", r"end\Z"]
)
def test_patterns_re2_cannot_run_are_structured_errors(pattern: str) -> None:
    with pytest.raises(ServiceError) as err:
        logs.check_args(10, "both", pattern, 6000)
    assert err.value.code == "bad_grep" and "backreferences" in err.value.fix
    assert "lookaround" in err.value.fix


def test_grep_matches_redacted_text_so_it_cannot_probe_a_secret(tmp_path: Path) -> None:
    path = tmp_path / "l.log"
    path.write_text("start\nHF_TOKEN=hf_abcdefghijklmnopqrstuvwxyz0123456789\nend\n")
    assert logs.tail(path, 10, 6000, compile_user("hf_abc")).text == ""
    assert logs.tail(path, 10, 6000, compile_user("HF_TOKEN=<redacted>")).lines == 1


def test_grep_stops_at_its_time_budget_and_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _log(tmp_path, 100_000)
    monkeypatch.setattr(logs, "GREP_TIME_BUDGET_S", 0.0)
    t = logs.tail(path, 10, 6000, compile_user("^line 7$"))
    assert t.timed_out and t.truncated and t.lines == 0 and "search stopped" in t.text


def test_secrets_given_by_the_caller_are_redacted_by_value(tmp_path: Path) -> None:
    (tmp_path / "stdout.log").write_text("value Zq8vR2mKx77LpQ0a printed alone\n")
    (tmp_path / "stderr.log").write_text("and again: Zq8vR2mKx77LpQ0a\n")
    assert "Zq8v" in logs.tail(tmp_path / "stdout.log", 5, 6000).text  # no shape, no name
    streams = logs.read_streams(tmp_path, 5, "both", None, 6000, secrets=["Zq8vR2mKx77LpQ0a"])
    assert all("Zq8v" not in s.text and "<redacted>" in s.text for s in streams)
    grep = compile_user("Zq8v")
    assert (
        logs.tail(tmp_path / "stdout.log", 5, 6000, grep, secrets=["Zq8vR2mKx77LpQ0a"]).lines == 0
    )
