"""Rows and files the data tests write."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

MAX_LEN = 16


def chat(user: str, assistant: str) -> dict[str, Any]:
    return {
        "messages": [{"role": "user", "content": user}, {"role": "assistant", "content": assistant}]
    }


def write_jsonl(path: Path, rows: list[Any]) -> Path:
    path.write_text("".join(r if isinstance(r, str) else json.dumps(r) + "\n" for r in rows))
    return path
