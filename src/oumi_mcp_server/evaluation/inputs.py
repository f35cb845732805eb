"""Reading the evaluation inputs a person wrote: a held-out chat JSONL and a prompt-suite JSONL.

Every problem names the file, the line and the fix, because the reader is someone looking at an
`oumi evaluate` log. Reading is bounded: at most `limit` rows, each line at most MAX_LINE_BYTES.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from oumi_mcp_server.evaluation.scoring import EvalInputError, Matcher, build_matcher

MAX_LINE_BYTES = 1024 * 1024
DEFAULT_ROWS = 1000
ROLES = ("system", "user", "assistant", "tool")


@dataclass(frozen=True)
class SuiteItem:
    line: int
    prompt: str
    matcher: Matcher
    category: str


def rows_to_read(num_samples: Any) -> int:
    """The task's `num_samples` (oumi checks it is positive), else DEFAULT_ROWS."""
    ok = isinstance(num_samples, int) and not isinstance(num_samples, bool) and num_samples > 0
    return int(num_samples) if ok else DEFAULT_ROWS


def _rows(path: Path, limit: int, what: str) -> Iterator[tuple[int, dict[str, Any]]]:
    """(line number, JSON object) of the first `limit` non-blank lines of `path`."""
    if not path.is_file():
        raise EvalInputError(
            f"{what} {path} does not exist or is not a file. Fix: pass the absolute path of a "
            "JSONL file (one JSON object per line) in eval_kwargs."
        )
    count = 0
    with path.open("rb") as fh:
        for number, raw in enumerate(iter(lambda: fh.readline(MAX_LINE_BYTES + 1), b""), 1):
            if count >= limit:
                return
            if len(raw) > MAX_LINE_BYTES:
                raise EvalInputError(f"{path}:{number}: line longer than {MAX_LINE_BYTES} bytes.")
            if not raw.strip():
                continue
            try:
                row = json.loads(raw)
            except (ValueError, RecursionError) as exc:
                raise EvalInputError(
                    f"{path}:{number}: not valid JSON ({str(exc)[:80]}). Fix: one JSON object "
                    "per line."
                ) from None
            if not isinstance(row, dict):
                raise EvalInputError(f"{path}:{number}: expected a JSON object, got {_kind(row)}.")
            count += 1
            yield number, row
    if count == 0:
        raise EvalInputError(f"{what} {path} has no rows.")


def _kind(value: Any) -> str:
    return type(value).__name__.replace("dict", "object").replace("NoneType", "null")


def load_chat_rows(path: Path, limit: int) -> list[list[dict[str, str]]]:
    """The `messages` of the first `limit` rows of a chat JSONL (oumi's training format)."""
    rows: list[list[dict[str, str]]] = []
    for number, row in _rows(path, limit, "Held-out data"):
        messages = row.get("messages")
        if not isinstance(messages, list) or not messages:
            raise EvalInputError(
                f'{path}:{number}: needs "messages": a non-empty list of '
                '{"role": ..., "content": ...} (the training format).'
            )
        for i, msg in enumerate(messages):
            ok = isinstance(msg, dict) and msg.get("role") in ROLES
            if not ok or not isinstance(msg.get("content"), str):
                raise EvalInputError(
                    f"{path}:{number}: messages[{i}] needs a role ({', '.join(ROLES)}) and a "
                    "string content."
                )
        rows.append([{"role": m["role"], "content": m["content"]} for m in messages])
    return rows


def load_suite(path: Path, limit: int) -> list[SuiteItem]:
    """The first `limit` prompts of a suite: {"prompt", "expected", "match", "category"?}."""
    items: list[SuiteItem] = []
    for number, row in _rows(path, limit, "Prompt suite"):
        where = f"{path}:{number}"
        prompt = row.get("prompt")
        if not isinstance(prompt, str) or not prompt.strip():
            raise EvalInputError(f'{where}: "prompt" must be a non-empty string.')
        kind = row.get("match", "contains")
        category = row.get("category", "all")
        if not isinstance(category, str) or not category:
            raise EvalInputError(f'{where}: "category" must be a non-empty string.')
        items.append(
            SuiteItem(
                number, prompt, build_matcher(str(kind), row.get("expected"), where), category
            )
        )
    return items
