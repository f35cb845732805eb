"""Every module under src/ stays small enough to read in one sitting (docs/CONTRIBUTING.md)."""

from __future__ import annotations

from pathlib import Path

from testsupport import REPO_ROOT

SRC = REPO_ROOT / "src"
MAX_LINES = 400

# Modules allowed past MAX_LINES, relative to src/, each with why. Remove an entry once its module
# is split: an entry that is no longer needed fails the check too.
EXCEPTIONS: dict[str, str] = {}


def line_counts(root: Path) -> dict[str, int]:
    """Lines of every Python module under `root`, keyed by its POSIX path relative to `root`."""
    return {
        path.relative_to(root).as_posix(): len(path.read_text(encoding="utf-8").splitlines())
        for path in sorted(root.rglob("*.py"))
    }


def oversized(counts: dict[str, int], exceptions: dict[str, str], limit: int) -> list[str]:
    """One message per module over `limit` without an exception, and per exception not needed."""
    problems = [
        f"{name}: {n} lines (> {limit}); split it, or list it in EXCEPTIONS with a reason"
        for name, n in counts.items()
        if n > limit and name not in exceptions
    ]
    for name, reason in exceptions.items():
        if not reason.strip():
            problems.append(f"{name}: listed in EXCEPTIONS without a reason")
        if counts.get(name, 0) <= limit:
            problems.append(f"{name}: listed in EXCEPTIONS but is not over {limit} lines any more")
    return problems


def test_modules_are_at_most_max_lines_unless_listed() -> None:
    counts = line_counts(SRC)
    assert counts, f"no Python modules found under {SRC}"
    problems = oversized(counts, EXCEPTIONS, MAX_LINES)
    assert not problems, "\n".join(problems)


def test_the_check_flags_big_unlisted_modules_and_stale_or_unexplained_exceptions() -> None:
    counts = {"a.py": 401, "b.py": 400, "c.py": 500, "d.py": 900}
    problems = oversized(counts, {"c.py": "why", "b.py": "why", "gone.py": "why", "d.py": " "}, 400)
    assert problems == [
        "a.py: 401 lines (> 400); split it, or list it in EXCEPTIONS with a reason",
        "b.py: listed in EXCEPTIONS but is not over 400 lines any more",
        "gone.py: listed in EXCEPTIONS but is not over 400 lines any more",
        "d.py: listed in EXCEPTIONS without a reason",
    ]
