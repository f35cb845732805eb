"""Would the upload to a remote machine leave a file behind? (.skyignore, else .gitignore).

SkyPilot uploads the working directory minus `.skyignore` patterns when that file exists at its
root, otherwise minus what git ignores. This is a small gitignore matcher (negation, anchoring,
directory-only patterns, `*`/`**`), good enough to warn; it never reads more than the ignore files.
"""

from __future__ import annotations

import fnmatch
from pathlib import Path

from oumi_mcp_server.core.errors import ServiceError
from oumi_mcp_server.core.safe_read import read_regular_file

_MAX_IGNORE_BYTES = 256_000


def _patterns(ignore_file: Path) -> list[str]:
    try:  # a regular file only: a FIFO named .gitignore must not hang the check
        text = read_regular_file(ignore_file, _MAX_IGNORE_BYTES).decode("utf-8", "replace")
    except ServiceError:
        return []
    return [ln.rstrip() for ln in text.splitlines() if ln.strip() and not ln.startswith("#")]


def _matches(pattern: str, rel: str, is_dir: bool) -> bool:
    dir_only = pattern.endswith("/")
    pat = pattern.rstrip("/")
    anchored = pat.startswith("/") or "/" in pat
    pat = pat.lstrip("/")
    parts = rel.split("/")
    # Test the path itself and each of its parent folders (ignoring a folder ignores its files).
    for end in range(len(parts), 0, -1):
        candidate = "/".join(parts[:end])
        candidate_is_dir = end < len(parts) or is_dir
        if dir_only and not candidate_is_dir:
            continue
        if anchored:
            if fnmatch.fnmatchcase(candidate, pat) or fnmatch.fnmatchcase(
                candidate, pat.replace("**/", "")
            ):
                return True
        elif fnmatch.fnmatchcase(parts[end - 1], pat):
            return True
    return False


def _verdict(patterns: list[str], rel: str, is_dir: bool) -> str | None:
    hit: str | None = None
    for pattern in patterns:
        negate = pattern.startswith("!")
        if _matches(pattern[1:] if negate else pattern, rel, is_dir):
            hit = None if negate else pattern
    return hit


def sync_excludes(root: Path, target: Path) -> str | None:
    """The rule (`file: pattern`) that keeps `target` out of the upload of `root`, if any."""
    try:
        rel_path = target.resolve().relative_to(root.resolve())
    except ValueError:
        return None
    is_dir = target.is_dir()
    skyignore = root / ".skyignore"
    if skyignore.is_file():
        hit = _verdict(_patterns(skyignore), rel_path.as_posix(), is_dir)
        return f".skyignore pattern `{hit}`" if hit else None
    folder = root
    ignore_files = [root / ".gitignore"]
    for part in rel_path.parts[:-1]:
        folder = folder / part
        ignore_files.append(folder / ".gitignore")
    for ignore in ignore_files:
        if ignore.is_file():
            rel = target.resolve().relative_to(ignore.parent.resolve()).as_posix()
            hit = _verdict(_patterns(ignore), rel, is_dir)
            if hit:
                return f"{ignore.relative_to(root)} pattern `{hit}`"
    return None
