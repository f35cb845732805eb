"""Shared by inspect and prepare: find the data (a path or a cached hub data set), read its
rows as one format, and tally what is wrong where."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from itertools import chain, islice
from pathlib import Path

from oumi_mcp_server.core.echo import short
from oumi_mcp_server.core.errors import ServiceError
from oumi_mcp_server.core.workspace import resolve_in_workspace
from oumi_mcp_server.data.jsonl import Row
from oumi_mcp_server.data.models import Issue
from oumi_mcp_server.data.reader import SUFFIXES
from oumi_mcp_server.data.rows import Checked, check, detect_format
from oumi_mcp_server.data.tokens import hub_cache, hub_snapshot

DETECT_ROWS = 200
PLACES = 5


@dataclass
class IssueLog:
    """Counts per kind of problem and the first places each was seen."""

    issues: dict[str, Issue] = field(default_factory=dict)

    def add(self, kind: str, where: str, detail: str) -> None:
        issue = self.issues.get(kind)
        if issue is None:
            self.issues[kind] = Issue(kind=kind, count=1, at=[where], example=short(detail, 120))
            return
        issue.count += 1
        if len(issue.at) < PLACES:
            issue.at.append(where)

    def listed(self) -> list[Issue]:
        return sorted(self.issues.values(), key=lambda i: -i.count)


def locate(path: str, dataset_name: str, client_cwd: str, split: str) -> Path:
    """The file or folder to read: `path` in the workspace, or a hub data set in the cache."""
    if bool(path) == bool(dataset_name):
        raise ServiceError(
            "bad_arguments", "Pass exactly one of path and dataset_name.", "Pass one of them."
        )
    if path:
        return resolve_in_workspace(path, client_cwd)
    snapshot = hub_snapshot(dataset_name, "datasets")
    files = sorted(
        p for p in (snapshot.rglob("*") if snapshot else ()) if p.suffix.lower() in SUFFIXES
    )
    wanted = split or "train"
    picked = [p for p in files if wanted in p.relative_to(snapshot or p).as_posix()] or files
    if not picked:
        raise ServiceError(
            "dataset_not_local",
            f"'{short(dataset_name, 80)}' has no data files in the hub cache "
            f"({short(hub_cache(), 120)}); this server reads local data only.",
            "Download it where the network is allowed (or save it with save_to_disk) and pass "
            "its path.",
        )
    return picked[0]


@dataclass
class Verdict:
    """One row as read: its problems (parse and structure) and its checked content."""

    row: Row
    problems: list[tuple[str, str]]
    checked: Checked | None


def judged(rows: Iterator[Row]) -> tuple[str, Iterator[Verdict]]:
    """The data format (detected from the first rows) and each row's verdict."""
    head = list(islice(rows, DETECT_ROWS))
    fmt = detect_format(r.value for r in head if r.value is not None)

    def verdicts() -> Iterator[Verdict]:
        for row in chain(head, rows):
            if row.blank:
                yield Verdict(row, [("empty_row", "a blank line")], None)
            elif row.value is None:
                yield Verdict(row, [("bad_json", row.error or "unreadable")], None)
            elif fmt == "unknown":
                yield Verdict(row, [], None)
            else:
                checked = check(row.value, fmt)
                yield Verdict(row, checked.problems, checked)

    return fmt, verdicts()
