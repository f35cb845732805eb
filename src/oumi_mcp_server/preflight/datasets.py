"""Datasets: local files exist and parse; names are known to oumi's registry or the hub."""

from __future__ import annotations

import difflib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from oumi_mcp_server.preflight import hub
from oumi_mcp_server.preflight.context import CheckContext, SkipCheck, dataset_entries, is_uri
from oumi_mcp_server.preflight.loading import KeyPath
from oumi_mcp_server.preflight.models import Finding, Location
from oumi_mcp_server.preflight.paths import check_input

PARSE_LINES = 20_000
MAX_JSON_BYTES = 50_000_000
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


def _jsonl(file: Path) -> tuple[int, bool, Finding | None]:
    """(rows, exact, first problem): parse the first PARSE_LINES lines, count the rest."""
    rows, line_no = 0, 0
    with file.open("rb") as fh:
        for raw in fh:
            line_no += 1
            if line_no > PARSE_LINES:
                rows += 1 if raw.strip() else 0
                if fh.tell() > COUNT_BYTES:
                    return rows, False, None
                continue
            if not raw.strip():
                continue
            try:
                row = json.loads(raw)
            except (json.JSONDecodeError, UnicodeDecodeError) as exc:
                what = f"is not valid JSON ({exc})"
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
        message=f"{file.name} line {line_no} {what}.",
        fix=fix,
        location=Location(file=str(file), line=line_no, column=column),
    )


def inspect_file(file: Path) -> list[Finding]:
    """Empty, unparseable or well-formed; JSON(L) rows are counted."""
    loc = Location(file=str(file))
    if file.is_dir():
        return []
    size = file.stat().st_size
    if size == 0:
        return [
            Finding(
                severity="error",
                code="dataset_empty",
                message=f"{file} is empty.",
                fix="Fill it with examples (one JSON object per line).",
                location=loc,
            )
        ]
    suffix = file.suffix.lower()
    if suffix == ".jsonl":
        rows, exact, problem = _jsonl(file)
        if problem:
            return [problem]
        if rows == 0:
            return [
                Finding(
                    severity="error",
                    code="dataset_empty",
                    message=f"{file} has no rows (only blank lines).",
                    fix="Add examples, one JSON object per line.",
                    location=loc,
                )
            ]
        return [
            Finding(
                severity="info",
                code="dataset_rows",
                message=f"{file.name}: {rows:,}{'' if exact else '+'} rows.",
                location=loc,
            )
        ]
    if suffix == ".json" and size <= MAX_JSON_BYTES:
        try:
            data: Any = json.loads(file.read_bytes())
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            return [
                Finding(
                    severity="error",
                    code="dataset_bad_json",
                    message=f"{file.name} is not valid JSON ({exc}).",
                    fix="Fix the JSON (or use JSONL: one object per line).",
                    location=Location(
                        file=str(file),
                        line=getattr(exc, "lineno", None),
                        column=getattr(exc, "colno", None),
                    ),
                )
            ]
        if isinstance(data, list | dict) and not data:
            return [
                Finding(
                    severity="error",
                    code="dataset_empty",
                    message=f"{file} holds no rows.",
                    fix="Add examples.",
                    location=loc,
                )
            ]
    return []


def _registry_names() -> tuple[Any, list[str]]:
    from oumi.core.registry import REGISTRY, RegistryType

    return REGISTRY, list(REGISTRY.get_all(RegistryType.DATASET))


def check_datasets(ctx: CheckContext) -> list[Finding]:
    """Local dataset files and registry names (no network: see check_hub_datasets)."""
    refs = _refs(ctx)
    if not refs:
        return []
    out: list[Finding] = []
    registry, names = _registry_names()
    for ref in refs:
        file_path: KeyPath = (*ref.path, ref.file_key)
        if ref.file and not is_uri(ref.file):
            target = ctx.resolve(ref.file)
            if not ctx.remote and not target.exists():
                out.append(
                    ctx.finding(
                        "error",
                        "dataset_not_found",
                        f"{ref.file_key} {target} does not exist.",
                        f"Create the file or fix the path (relative to {ctx.cwd}).",
                        file_path,
                    )
                )
            else:
                out.extend(check_input(ctx, file_path, ref.file, ref.file_key))
            if target.exists():
                for f in inspect_file(target):
                    if f.severity != "info" and f.location and f.location.line is None:
                        f.location = ctx.loaded.location(file_path)
                    out.append(f)
        if ref.name and registry.get_dataset(ref.name, subset=ref.subset) is None:
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
