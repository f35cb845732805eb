"""Where the server keeps its state, cache and logs; each overridable by an env var (tests, CI)."""

from __future__ import annotations

import os
from pathlib import Path

APP_NAME = "oumi-mcp-server"

STATE_DIR_ENV = "OUMI_MCP_STATE_DIR"
CACHE_DIR_ENV = "OUMI_MCP_CACHE_DIR"


def _from_env_or(env: str, default: str) -> Path:
    value = os.environ.get(env)
    path = Path(value).expanduser() if value else Path(default)
    path.mkdir(parents=True, exist_ok=True)
    return path


def state_dir() -> Path:
    """Durable state: job store, run folders, the consent secret."""
    import platformdirs

    return _from_env_or(STATE_DIR_ENV, platformdirs.user_state_dir(APP_NAME))


def cache_dir() -> Path:
    """Re-creatable data: downloaded recipes, the recipe index."""
    import platformdirs

    return _from_env_or(CACHE_DIR_ENV, platformdirs.user_cache_dir(APP_NAME))


def log_dir() -> Path:
    path = state_dir() / "logs"
    path.mkdir(parents=True, exist_ok=True)
    return path
