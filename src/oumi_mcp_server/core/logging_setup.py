"""Logging goes to stderr and a rotating file, never stdout (stdout belongs to JSON-RPC)."""

from __future__ import annotations

import logging
import logging.handlers
import os
import sys

from oumi_mcp_server.core.paths import log_dir

LOG_LEVEL_ENV = "OUMI_MCP_LOG_LEVEL"
_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def configure_logging(level: str | None = None) -> None:
    level_name = (level or os.environ.get(LOG_LEVEL_ENV) or "INFO").upper()
    root = logging.getLogger()
    root.setLevel(level_name)
    for handler in list(root.handlers):
        root.removeHandler(handler)
    stderr_handler = logging.StreamHandler(sys.stderr)
    stderr_handler.setFormatter(logging.Formatter(_FORMAT))
    root.addHandler(stderr_handler)
    try:
        file_handler = logging.handlers.RotatingFileHandler(
            log_dir() / "server.log", maxBytes=5_000_000, backupCount=3, encoding="utf-8"
        )
    except OSError as exc:
        root.warning("file logging disabled: %s", exc)
    else:
        file_handler.setFormatter(logging.Formatter(_FORMAT))
        root.addHandler(file_handler)
