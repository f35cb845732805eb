"""A validation pattern ends with `\\Z`, never `$`: `$` also matches before a trailing newline,
so `"name\\n"` passed as a job name, an override key (onto the command line), a cluster name."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from oumi_mcp_server.core.errors import ServiceError
from oumi_mcp_server.jobs import commands
from oumi_mcp_server.jobs.plan import validate_envs, validate_job_name

SRC = Path(__file__).resolve().parents[1] / "src" / "oumi_mcp_server"
WHOLE_VALUE = re.compile(r're\.compile\(\s*r"\^[^"]*\$"\s*\)')
"""`re.compile(r"^...$")`: a pattern anchored at both ends, i.e. one that checks a whole value."""


def test_no_whole_value_pattern_ends_with_dollar() -> None:
    found = [
        f"{path.relative_to(SRC)}: {m.group(0)}"
        for path in sorted(SRC.rglob("*.py"))
        for m in WHOLE_VALUE.finditer(path.read_text(encoding="utf-8"))
    ]
    assert found == []


def test_the_scan_finds_such_a_pattern() -> None:
    assert WHOLE_VALUE.search('X = re.compile(r"^[a-z]+$")')
    assert not WHOLE_VALUE.search('X = re.compile(r"^[a-z]+\\Z")')


@pytest.mark.parametrize(
    "check",
    [
        lambda: validate_job_name("name\n"),
        lambda: validate_envs({"HF_TOKEN\n": "x"}),
        lambda: commands.override_args({"training.max_steps\n": 1}),
    ],
)
def test_a_trailing_newline_is_refused(check: object) -> None:
    with pytest.raises(ServiceError):
        check()  # type: ignore[operator]
