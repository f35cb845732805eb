"""Count tokens with the run's own tokenizer (a local folder or a cached hub model), or estimate.

Only the `tokenizers` library is loaded (tokenizer.json): transformers would cost seconds of
imports. Chat rows are counted as `role: content` lines, without the chat template.
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from oumi_mcp_server.core.echo import short, short_path
from oumi_mcp_server.core.errors import ServiceError
from oumi_mcp_server.core.safe_read import path_exists, read_regular_file
from oumi_mcp_server.core.workspace import resolve_in_workspace

MAX_TOKENIZER_BYTES = 64 * 1024 * 1024
ESTIMATE = "estimate: max(words x 4/3, chars / 4); no tokenizer given"
UNSET_MAX = 1_000_000_000  # transformers writes ~1e30 when a tokenizer has no limit


@dataclass
class Counter:
    """Counts the tokens of texts; `exact` False for the whitespace/char estimate."""

    name: str
    exact: bool
    model_max_length: int | None
    tokenizer: Any = None

    def count(self, texts: list[str]) -> list[int]:
        if self.tokenizer is None:
            return [max(math.ceil(len(t.split()) * 4 / 3), math.ceil(len(t) / 4)) for t in texts]
        encoded = self.tokenizer.encode_batch(texts, add_special_tokens=False)
        return [len(e.ids) for e in encoded]


def hub_cache() -> Path:
    """Where huggingface_hub keeps downloads (same precedence as huggingface_hub)."""
    if os.environ.get("HF_HUB_CACHE"):
        return Path(os.environ["HF_HUB_CACHE"])
    if os.environ.get("HF_HOME"):
        return Path(os.environ["HF_HOME"]) / "hub"
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg) if xdg else Path("~/.cache").expanduser()) / "huggingface" / "hub"


def hub_snapshot(repo_id: str, kind: str) -> Path | None:
    """The newest cached snapshot folder of a hub repo (`kind` models or datasets), if any."""
    if repo_id.count("/") > 1 or ".." in repo_id or not repo_id.strip("/"):
        return None
    snaps = hub_cache() / f"{kind}--{repo_id.replace('/', '--')}" / "snapshots"
    try:
        found = [p for p in snaps.iterdir() if p.is_dir()]
    except OSError:
        return None
    return max(found, key=lambda p: p.stat().st_mtime) if found else None


def load_counter(tokenizer: str, client_cwd: str, max_length: int | None = None) -> Counter:
    """A counter for `tokenizer` (local folder, tokenizer.json, or cached hub id); '' estimates."""
    if not tokenizer:
        return Counter(ESTIMATE, False, max_length)
    folder = _tokenizer_folder(tokenizer, client_cwd)
    file = folder / "tokenizer.json" if folder.is_dir() else folder
    if not path_exists(file):
        raise ServiceError(
            "tokenizer_not_supported",
            f"{short_path(folder)} has no tokenizer.json (a fast tokenizer).",
            "Pass the folder of a fast tokenizer, or no tokenizer for an estimate.",
        )
    from tokenizers import Tokenizer

    try:
        tok = Tokenizer.from_str(
            read_regular_file(file, MAX_TOKENIZER_BYTES, kind="tokenizer").decode()
        )
    except ServiceError:
        raise
    except Exception:  # tokenizers raises plain Exception on a bad file
        raise ServiceError(
            "tokenizer_unreadable",
            f"{short_path(file)} is not a tokenizer file the tokenizers library can load.",
            "Pass the folder written by tokenizer.save_pretrained.",
        ) from None
    limit = max_length or _config_max_length(file.parent)
    return Counter(short(tokenizer, 80), True, limit, tok)


def _tokenizer_folder(tokenizer: str, client_cwd: str) -> Path:
    local = resolve_in_workspace(tokenizer, client_cwd)
    if path_exists(local):
        return local
    snapshot = hub_snapshot(tokenizer, "models")
    if snapshot is None:
        raise ServiceError(
            "tokenizer_not_found",
            f"'{short(tokenizer, 80)}' is neither a local path nor a model in the hub cache "
            f"({short_path(hub_cache())}).",
            "Pass the tokenizer folder (the model folder), or omit tokenizer for an estimate.",
        )
    return snapshot


def _config_max_length(folder: Path) -> int | None:
    try:
        config = json.loads(read_regular_file(folder / "tokenizer_config.json", 4 << 20))
    except (ServiceError, ValueError):
        return None
    value = config.get("model_max_length") if isinstance(config, dict) else None
    if isinstance(value, int | float) and 0 < value < UNSET_MAX:
        return int(value)
    return None


def percentile(sorted_values: list[int], q: float) -> int:
    """Nearest-rank percentile of a sorted, non-empty list."""
    rank = max(1, math.ceil(q / 100 * len(sorted_values)))
    return sorted_values[rank - 1]
