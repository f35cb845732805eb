"""Helpers the tests import by name (conftest.py is not importable once several exist)."""

from __future__ import annotations

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED_CONFIGS = REPO_ROOT.parent / "shared" / "oumi-configs"


def subprocess_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    """Environment for a spawned server or oumi process: the test's isolated env plus extras."""
    env = dict(os.environ)
    env.update(extra or {})
    return env
