"""Datasets: local files exist and parse; names are known to oumi's registry or the hub."""

from __future__ import annotations

import difflib
import json
import os
import stat
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from oumi_mcp_server.core.echo import short, short_path
from oumi_mcp_server.core.errors import ServiceError
from oumi_mcp_server.core.safe_read import (
    open_regular_file,
    os_error,
    path_exists,
    read_regular_file,
)
from oumi_mcp_server.oumi_index import cache
from oumi_mcp_server.preflight import hub
from oumi_mcp_server.preflight.context import CheckContext, SkipCheck, dataset_entries, is_uri
from oumi_mcp_server.preflight.loading import KeyPath
from oumi_mcp_server.preflight.models import Finding, Location
from oumi_mcp_server.preflight.paths import check_input

PARSE_LINES = 20_000
MAX_JSON_BYTES = 50_000_000
MAX_LINE_BYTES = 64 * 1024 * 1024
COUNT_BYTES = 2_000_000_000


@dataclass
class DatasetRef:
    path: KeyPath  # where the dataset entry sits in the config
    name: str
    file: str
    file_key: str
    subset: str | None = None


def _refs(ctx: CheckContext) -> list[DatasetRef]:
    refs = []
    for path, item in dataset_entries(ctx.data):
        name, file = item.get("dataset_name"), item.get("dataset_path")
        refs.append(
            DatasetRef(
                path,
                name if isinstance(name, str) else "",
                file if isinstance(file, str) else "",
                "dataset_path",
                item.get("subset") if isinstance(item.get("subset"), str) else None,
            )
        )
    for key in ("dataset_path", "input_path"):
        value = ctx.data.get(key)
        if isinstance(value, str) and value:
            name = ctx.data.get("dataset_name")
            refs.append(DatasetRef((), name if isinstance(name, str) else "", value, key))
    if not refs and isinstance(ctx.data.get("dataset_name"), str):
        refs.append(DatasetRef((), ctx.data["dataset_name"], "", ""))
    return refs


def _lines(fh: BinaryIO) -> Iterator[tuple[bytes, bool]]:
    """Each line and whether it was cut: a line over MAX_LINE_BYTES is never held whole."""
    while line := fh.readline(MAX_LINE_BYTES):
        cut = len(line) == MAX_LINE_BYTES and not line.endswith(b"\n")
        while cut and (rest := fh.readline(MAX_LINE_BYTES)) and not rest.endswith(b"\n"):
            pass
        yield line, cut


def _jsonl(fh: BinaryIO, file: Path) -> tuple[int, bool, Finding | None]:
    """(rows, exact, first problem): parse the first PARSE_LINES lines, count the rest."""
    rows, line_no = 0, 0
    for raw, cut in _lines(fh):
        line_no += 1
        if line_no > PARSE_LINES or cut:  # past the parsed part, or too long to parse: count it
            rows += 1 if raw.strip() else 0
            if fh.tell() > COUNT_BYTES:
                return rows, False, None
            continue
        if not raw.strip():
            continue
        try:
            row = json.loads(raw)
        except (ValueError, RecursionError) as exc:  # bad JSON or UTF-8, 4,300+ digit numbers
            what = f"is not valid JSON ({short(exc, 120)})"
            fix = "Fix or remove that line; each line must be one JSON object."
            return rows, True, _bad_line(file, line_no, getattr(exc, "colno", None), what, fix)
        if not isinstance(row, dict):
            what = f"is a JSON {type(row).__name__}, not an object"
            fix = "Make each line one JSON object."
            return rows, True, _bad_line(file, line_no, 1, what, fix)
        rows += 1
    return rows, True, None


def _bad_line(file: Path, line_no: int, column: int | None, what: str, fix: str) -> Finding:
    return Finding(
        severity="error",
        code="dataset_bad_json_line",
        message=f"{short(file.name)} line {line_no} {what}.",
        fix=fix,
        location=Location(file=short_path(file), line=line_no, column=column),
    )


def _empty(file: Path, what: str, fix: str) -> Finding:
    return Finding(
        severity="error",
        code="dataset_empty",
        message=f"{short_path(file)} {what}.",
        fix=fix,
        location=Location(file=short_path(file)),
    )


def _refused(file: Path, exc: ServiceError) -> Finding:
    return Finding(
        severity="error",
        code=exc.code,
        message=exc.message,
        fix=exc.fix,
        location=Location(file=short_path(file)),
    )


def inspect_file(file: Path) -> list[Finding]:
    """Empty, unparseable or well-formed; JSON(L) rows are counted. Only regular files are
    opened (never a FIFO or a device), and only bounded parts of them are read."""
    try:
        if stat.S_ISDIR(file.stat().st_mode):  # a folder of files: nothing to parse here
            return []
        suffix = file.suffix.lower()
        if suffix == ".jsonl":
            with open_regular_file(file, kind="dataset") as fh:
                if os.fstat(fh.fileno()).st_size == 0:
                    return [
                        _empty(
                            file, "is empty", "Fill it with examples (one JSON object per line)."
                        )
                    ]
                rows, exact, problem = _jsonl(fh, file)
        elif suffix == ".json":
            raw = read_regular_file(file, MAX_JSON_BYTES, kind="dataset")
        else:
            with open_regular_file(file, kind="dataset") as fh:
                if os.fstat(fh.fileno()).st_size == 0:
                    return [_empty(file, "is empty", "Fill it with examples.")]
            return []
    except ServiceError as exc:
        if exc.code == "dataset_too_large":  # a big .json file: fine, just not parsed here
            return []
        return [_refused(file, exc)]
    except OSError as exc:
        return [_refused(file, os_error(exc, file, "dataset"))]
    if suffix == ".jsonl":
        if problem:
            return [problem]
        if rows == 0:
            return [
                _empty(
                    file,
                    "has no rows (only blank lines)",
                    "Add examples, one JSON object per line.",
                )
            ]
        return [
            Finding(
                severity="info",
                code="dataset_rows",
                message=f"{short(file.name)}: {rows:,}{'' if exact else '+'} rows.",
                location=Location(file=short_path(file)),
            )
        ]
    if not raw:
        return [_empty(file, "is empty", "Fill it with examples (one JSON object per line).")]
    try:
        data: Any = json.loads(raw)
    except (ValueError, RecursionError) as exc:
        return [
            Finding(
                severity="error",
                code="dataset_bad_json",
                message=f"{short(file.name)} is not valid JSON ({short(exc, 120)}).",
                fix="Fix the JSON (or use JSONL: one object per line).",
                location=Location(
                    file=short_path(file),
                    line=getattr(exc, "lineno", None),
                    column=getattr(exc, "colno", None),
                ),
            )
        ]
    if isinstance(data, list | dict) and not data:
        return [_empty(file, "holds no rows", "Add examples.")]
    return []


def check_datasets(ctx: CheckContext) -> list[Finding]:
    """Local dataset files and registry names (no network: see check_hub_datasets)."""
    refs = _refs(ctx)
    if not refs:
        return []
    out: list[Finding] = []
    index = cache.schema()
    names = index.registry_names("dataset")
    for ref in refs:
        file_path: KeyPath = (*ref.path, ref.file_key)
        if ref.file and not is_uri(ref.file):
            target = ctx.resolve(ref.file)
            if not ctx.remote and not path_exists(target):
                out.append(
                    ctx.finding(
                        "error",
                        "dataset_not_found",
                        f"{ref.file_key} {short_path(target)} does not exist.",
                        f"Create the file or fix the path (relative to {ctx.cwd}).",
                        file_path,
                    )
                )
            else:
                out.extend(check_input(ctx, file_path, ref.file, ref.file_key))
            if path_exists(target):
                for f in inspect_file(target):
                    if f.severity != "info" and f.location and f.location.line is None:
                        f.location = ctx.loaded.location(file_path)
                    out.append(f)
        if ref.name and not index.registered("dataset", ref.name, ref.subset):
            if ref.file or "/" in ref.name:
                continue  # a hub id (checked online) or a generic loader with a local file
            near = difflib.get_close_matches(ref.name, names, n=1, cutoff=0.75)
            out.append(
                ctx.finding(
                    "warning",
                    "dataset_unknown",
                    f"`{ref.name}` is not a registered Oumi dataset"
                    + (
                        f"; did you mean `{near[0]}`?" if near else " and not an `org/name` hub id."
                    ),
                    f"Use `{near[0]}`."
                    if near
                    else "Use a registered name, a hub id, or a "
                    "local file with dataset_name `text_sft_jsonl`.",
                    (*ref.path, "dataset_name"),
                )
            )
    return out


def check_hub_datasets(ctx: CheckContext) -> list[Finding]:
    """Hub dataset ids exist and are readable (online only)."""
    ids = sorted(
        {
            r.name
            for r in _refs(ctx)
            if "/" in r.name and not r.file and not r.name.startswith((".", "/"))
        }
    )
    if not ids:
        raise SkipCheck("no hub datasets")
    hub.require_online()
    out: list[Finding] = []
    for repo in ids:
        gated = (
            f"Dataset `{repo}` is gated and your token has no access.",
            "Request access on its hub page, then set HF_TOKEN.",
        )
        found = hub.access_finding(ctx, "dataset", repo, hub.repo_status(repo, "dataset"), gated)
        if found is not None:
            out.append(found)
    return out
