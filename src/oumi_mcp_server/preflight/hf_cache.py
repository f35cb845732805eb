"""What the local Hugging Face caches hold, read from their folder layout (no huggingface_hub
import: it costs most of a second, and a pre-flight must answer in one)."""

from __future__ import annotations

import os
from pathlib import Path


def _hf_home() -> Path:
    return Path(os.environ.get("HF_HOME") or Path.home() / ".cache" / "huggingface").expanduser()


def hub_cache() -> Path:
    value = os.environ.get("HF_HUB_CACHE") or os.environ.get("HUGGINGFACE_HUB_CACHE")
    return Path(value).expanduser() if value else _hf_home() / "hub"


def datasets_cache() -> Path:
    value = os.environ.get("HF_DATASETS_CACHE")
    return Path(value).expanduser() if value else _hf_home() / "datasets"


def _repo_dir(kind: str, repo_id: str) -> Path:
    return hub_cache() / f"{kind}s--{repo_id.replace('/', '--')}"


def model_cached(repo_id: str) -> bool:
    """A snapshot of the model with its config.json is in the hub cache."""
    snapshots = _repo_dir("model", repo_id) / "snapshots"
    try:
        return any((s / "config.json").exists() for s in snapshots.iterdir())
    except OSError:
        return False


def dataset_cached(repo_id: str) -> bool:
    """The dataset was downloaded (hub cache) or prepared (datasets cache) here."""
    snapshots = _repo_dir("dataset", repo_id) / "snapshots"
    prepared = datasets_cache() / repo_id.replace("/", "___")
    try:
        if snapshots.is_dir() and any(snapshots.iterdir()):
            return True
        return prepared.is_dir() and any(prepared.iterdir())
    except OSError:
        return False
