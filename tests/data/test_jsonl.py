"""The JSONL parser never raises and names the right line for every row, whatever the bytes."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from oumi_mcp_server.data.jsonl import parse_lines

LINES = st.one_of(
    st.binary(max_size=40).map(lambda b: b.replace(b"\n", b"")),
    st.dictionaries(st.text(max_size=5), st.text(max_size=10), max_size=3).map(
        lambda d: json.dumps(d, ensure_ascii=False).encode()
    ),
    st.sampled_from(
        [
            b"",
            b"  ",
            b"\r",
            b"[1]",
            b"null",
            b"{",
            b"[" * 5000,
            b"\xff\xfe",
            b"{}\r",
            b"\xef\xbb\xbf{}",
            b"{\x00}\x00",
            b"\xc2\xa0",
        ]
    ),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(LINES, max_size=20), st.booleans(), st.booleans())
def test_rows_match_lines_and_parsing_never_raises(
    lines: list[bytes], trailing: bool, bad_utf8: bool
) -> None:
    if bad_utf8:  # one undecodable line sends the whole block down the bytes path
        lines = [*lines, b"\xff"]
    data = b"\n".join(lines) + (b"\n" if trailing and lines else b"")
    rows = list(parse_lines(data))
    pieces = data.split(b"\n")
    expected = pieces[:-1] if data.endswith(b"\n") or not data else pieces  # as editors count
    assert [r.line for r in rows] == list(range(1, len(expected) + 1))
    for row, raw in zip(rows, expected, strict=True):
        raw = raw.removesuffix(b"\r")
        assert row.blank == (not raw.strip())
        if not row.blank:
            assert (row.value is None) != (row.error is None)
            if row.value is not None:
                assert row.value == json.loads(raw.decode().removeprefix("\ufeff"))


def test_window_rows_give_byte_offsets() -> None:
    data = b'{"a": 1}\n{oops\n'
    rows = list(parse_lines(data, first_line=None, base_offset=1000))
    assert [r.where() for r in rows] == ["byte 1000", "byte 1009"]
    assert rows[1].error is not None and "column 2" in rows[1].error
