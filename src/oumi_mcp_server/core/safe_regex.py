"""Regexes that must not freeze the server run on RE2: linear time, no backtracking.

A pattern from a user (or scanning text a job wrote) on Python's `re` can backtrack for
minutes while holding the GIL, which stops every tool, ping included. RE2 matches in time
linear in the text and releases the GIL while it matches.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import re2

from oumi_mcp_server.core.errors import ServiceError

MAX_PATTERN_CHARS = 200
MAX_PROGRAM = 5000
"""RE2 instructions a user pattern may compile to: bounds the cost per byte when RE2 has to
fall back from its DFA to its NFA (about 10 µs per byte at this size)."""
SYNTAX_FIX = (
    "Use RE2 syntax (like Python's re, but no backreferences such as \\1 and no lookaround "
    "such as (?=...), (?!...), (?<=...); write \\z instead of \\Z)."
)


def _options(never_nl: bool = False, max_mem: int | None = None) -> Any:
    opts = re2.Options()
    opts.log_errors = False  # RE2 would print every bad pattern on stderr
    opts.never_nl = never_nl
    if max_mem is not None:
        opts.max_mem = max_mem
    return opts


def _reason(exc: Exception) -> str:
    """RE2's own words (it gives bytes), short: e.g. "invalid escape sequence: \\1"."""
    arg = exc.args[0] if exc.args else "not supported"
    text = arg.decode("utf-8", "replace") if isinstance(arg, bytes) else str(arg)
    return text[:120]


@dataclass(frozen=True)
class SafePattern:
    """A compiled RE2 pattern with the few typed operations the server needs."""

    source: str
    compiled: Any

    def search(
        self, text: bytes, pos: int = 0, endpos: int | None = None
    ) -> tuple[int, int] | None:
        """Span of the leftmost match in `text[pos:endpos]` (anchors see the whole text)."""
        m = self.compiled.search(text, pos, len(text) if endpos is None else endpos)
        return None if m is None else (int(m.start()), int(m.end()))


def compile_fixed(pattern: str, max_mem: int | None = None) -> Any:
    """A pattern written in this code base (or built from literals), compiled with RE2; its
    match objects work like re's. Raises `re2.error` when RE2 cannot compile it."""
    return re2.compile(pattern, _options(max_mem=max_mem))


def escape(literal: str) -> str:
    """`literal` as an RE2 pattern that matches exactly it."""
    return str(re2.escape(literal))


def compile_user(pattern: str, code: str = "bad_grep", what: str = "grep") -> SafePattern:
    """Compile a pattern a user gave, for matching line by line (`^`/`$` at each line's ends,
    never across a newline); a bad or too costly pattern is a ServiceError with a fix."""
    if not pattern or len(pattern) > MAX_PATTERN_CHARS:
        raise ServiceError(
            code, f"{what} must be 1-{MAX_PATTERN_CHARS} characters.", "Pass a short regex."
        )
    try:
        compiled = re2.compile("(?m)" + pattern, _options(never_nl=True))
    except re2.error as exc:
        raise ServiceError(
            code, f"{what} is not a valid RE2 pattern: {_reason(exc)}.", SYNTAX_FIX
        ) from None
    if compiled.programsize > MAX_PROGRAM:
        raise ServiceError(
            code,
            f"{what} is too complex to scan logs quickly ({compiled.programsize} RE2 "
            f"instructions; at most {MAX_PROGRAM}).",
            "Use fewer or smaller repetition counts ({n}) and fewer wildcards.",
        )
    return SafePattern(pattern, compiled)
