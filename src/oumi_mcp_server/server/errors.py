"""Turn service failures into structured MCP tool errors (what was wrong, how to fix it)."""

from __future__ import annotations

import functools
import logging
from collections.abc import Awaitable, Callable
from typing import ParamSpec, TypeVar

from mcp.server.mcpserver.exceptions import ToolError

from oumi_mcp_server.core.errors import ServiceError

P = ParamSpec("P")
R = TypeVar("R")
logger = logging.getLogger(__name__)


def structured_errors(fn: Callable[P, Awaitable[R]]) -> Callable[P, Awaitable[R]]:
    """Wrap an async tool so a ServiceError reaches the client as `{"error": {...}}` JSON."""

    @functools.wraps(fn)
    async def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return await fn(*args, **kwargs)
        except ServiceError as exc:
            logger.info("tool %s refused: %s", fn.__name__, exc.code)
            raise ToolError(exc.to_json()) from None

    return wrapper
