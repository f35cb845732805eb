"""prepare_dataset: filter, merge, dedupe and split existing data into a new JSONL folder.

Writes only inside client_cwd, only into a folder that does not exist yet; refused input
writes nothing. Every step reports the rows it kept.
"""

from __future__ import annotations

import json
import random
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from oumi_mcp_server.core.echo import short, short_path
from oumi_mcp_server.core.errors import ServiceError
from oumi_mcp_server.core.safe_read import path_exists
from oumi_mcp_server.core.safe_regex import compile_user
from oumi_mcp_server.core.workspace import require_client_cwd, resolve_in_workspace
from oumi_mcp_server.data.models import PrepareAnswer, Step
from oumi_mcp_server.data.reader import open_rows
from oumi_mcp_server.data.rows import ROLES
from oumi_mcp_server.data.scan import IssueLog, judged, locate
from oumi_mcp_server.data.tokens import load_counter

MAX_INPUTS = 20
MAX_INPUT_BYTES = 2 * 1024 * 1024 * 1024
TOKEN_BATCH = 4096


@dataclass
class Kept:
    value: dict[str, Any]
    text: str
    roles: list[str]


@dataclass
class Filters:
    """What prepare_dataset keeps; zero or empty means no such filter."""

    min_tokens: int = 0
    max_tokens: int = 0
    roles: tuple[str, ...] = ()
    regex: str = ""
    regex_keeps: bool = False
    dedupe: bool = True
    validation_fraction: float = 0.0
    seed: int = 0


def prepare_dataset(
    inputs: list[str],
    output_dir: str,
    client_cwd: str,
    filters: Filters,
    tokenizer: str = "",
) -> PrepareAnswer:
    """Read every input, drop rows step by step, split, and write JSONL files into `output_dir`."""
    start = time.monotonic()
    out = _output_folder(output_dir, client_cwd)
    _check_filters(filters)
    pattern = compile_user(filters.regex, "bad_regex", "regex") if filters.regex else None
    counter = (
        load_counter(tokenizer, client_cwd) if filters.min_tokens or filters.max_tokens else None
    )
    log = IssueLog()
    rows, fmt = _read_all(inputs, client_cwd, log)
    steps = [Step(step="read", rows=len(rows), dropped=0)]
    valid = [k for k in rows if k is not None]
    _step(steps, "valid", valid)
    kept = valid
    if filters.roles:
        kept = [k for k in kept if set(k.roles) <= set(filters.roles)]
        _step(steps, "roles", kept)
    if counter is not None:
        kept = _by_tokens(kept, counter.count, filters.min_tokens, filters.max_tokens)
        _step(steps, "tokens", kept)
    if pattern is not None:
        kept = [
            k for k in kept if (pattern.search(k.text.encode()) is not None) == filters.regex_keeps
        ]
        _step(steps, "regex", kept)
    if filters.dedupe:
        kept = _deduped(kept)
        _step(steps, "dedupe", kept)
    if not kept:
        raise ServiceError(
            "nothing_left",
            "No row is left after the filters; nothing was written.",
            "Loosen the filters (see details.retention).",
            {"retention": [s.model_dump() for s in steps]},
        )
    parts = _split(kept, filters.validation_fraction, filters.seed)
    files = _write(out, parts)
    return PrepareAnswer(
        output_dir=short_path(out),
        files=files,
        data_format=fmt,
        retention=steps,
        kept_share=round(len(kept) / max(1, len(rows)), 4),
        counter=counter.name if counter else "no token filter",
        issues=log.listed(),
        elapsed_ms=int((time.monotonic() - start) * 1000),
    )


def _output_folder(output_dir: str, client_cwd: str) -> Path:
    cwd = require_client_cwd(client_cwd)
    out = resolve_in_workspace(output_dir, client_cwd, allow_outside=True)
    if not out.is_relative_to(cwd) or out == cwd:
        raise ServiceError(
            "output_outside_workspace",
            f"{short_path(out)} is not a new folder inside the project {short_path(cwd)}.",
            "Pass a new folder inside client_cwd, e.g. data/prepared.",
        )
    if path_exists(out):
        raise ServiceError(
            "output_exists",
            f"{short_path(out)} already exists; prepare_dataset never overwrites.",
            "Pass a folder name that does not exist yet.",
        )
    return out


def _check_filters(f: Filters) -> None:
    problems = []
    if f.min_tokens < 0 or f.max_tokens < 0 or (f.max_tokens and f.min_tokens > f.max_tokens):
        problems.append("min_tokens and max_tokens must be >= 0 with min <= max")
    if not 0 <= f.validation_fraction <= 0.5:
        problems.append("validation_fraction must be between 0 and 0.5")
    bad = [r for r in f.roles if r not in ROLES]
    if bad:
        problems.append(f"roles must be among {', '.join(ROLES)}")
    if problems:
        raise ServiceError("bad_filters", "; ".join(problems) + ".", "Fix those arguments.")


def _read_all(inputs: list[str], client_cwd: str, log: IssueLog) -> tuple[list[Kept | None], str]:
    """Every row of every input (None for a row with a problem), all of one format."""
    if not 1 <= len(inputs) <= MAX_INPUTS:
        raise ServiceError(
            "bad_arguments", f"Pass 1-{MAX_INPUTS} inputs.", "List the data files to merge."
        )
    opened = [open_rows(locate(p, "", client_cwd, ""), sample=False) for p in inputs]
    if sum(src.size for src, _ in opened) > MAX_INPUT_BYTES:
        raise ServiceError(
            "input_too_large",
            f"The inputs hold over {MAX_INPUT_BYTES // 1024**3} GB.",
            "Prepare the data in parts, or with a script.",
        )
    rows: list[Kept | None] = []
    fmt = ""
    for (src, it), name in zip(opened, inputs, strict=True):
        this, verdicts = judged(it)
        if this == "unknown" or (fmt and this != fmt):
            raise ServiceError(
                "mixed_formats" if fmt else "unknown_format",
                f"{short_path(src.path)} is {this} data"
                + (f", not {fmt} like the first input." if fmt else "."),
                "Merge inputs of one format: chat (messages), prompt_completion or text.",
            )
        fmt = this
        for v in verdicts:
            if v.row.blank:
                continue
            for kind, detail in v.problems:
                log.add(kind, f"{short(Path(name).name)} {v.row.where()}", detail)
            if v.problems or v.checked is None or v.row.value is None:
                rows.append(None)
            else:
                rows.append(Kept(v.row.value, v.checked.text, v.checked.roles))
    return rows, fmt


def _step(steps: list[Step], name: str, kept: list[Kept]) -> None:
    steps.append(Step(step=name, rows=len(kept), dropped=steps[-1].rows - len(kept)))


def _by_tokens(kept: list[Kept], count: Any, low: int, high: int) -> list[Kept]:
    out = []
    for i in range(0, len(kept), TOKEN_BATCH):
        batch = kept[i : i + TOKEN_BATCH]
        for k, n in zip(batch, count([k.text for k in batch]), strict=True):
            if n >= low and (not high or n <= high):
                out.append(k)
    return out


def _deduped(kept: list[Kept]) -> list[Kept]:
    seen: set[str] = set()
    out = []
    for k in kept:
        key = json.dumps(k.value, sort_keys=True, ensure_ascii=False, default=str)
        if key not in seen:
            seen.add(key)
            out.append(k)
    return out


def _split(kept: list[Kept], fraction: float, seed: int) -> dict[str, list[Kept]]:
    if not fraction or len(kept) < 2:
        return {"train.jsonl": kept}
    order = list(kept)
    random.Random(seed).shuffle(order)  # noqa: S311 -- a reproducible split, not a secret
    n_val = min(len(order) - 1, max(1, round(len(order) * fraction)))
    return {"train.jsonl": order[n_val:], "validation.jsonl": order[:n_val]}


def _write(out: Path, parts: dict[str, list[Kept]]) -> dict[str, int]:
    """The files, in a folder created here (so never someone else's); a failed write removes it."""
    out.mkdir(parents=True)
    files = {}
    try:
        for name, rows in parts.items():
            with (out / name).open("x", encoding="utf-8") as fh:
                for k in rows:
                    fh.write(json.dumps(k.value, ensure_ascii=False, default=str) + "\n")
            files[name] = len(rows)
    except BaseException:
        shutil.rmtree(out, ignore_errors=True)
        raise
    return files
