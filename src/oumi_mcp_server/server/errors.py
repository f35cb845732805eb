"""Turn service failures into structured MCP tool errors (what was wrong, how to fix it)."""

from __future__ import annotations

import functools
import logging
from collections.abc import Awaitable, Callable
from typing import ParamSpec, TypeVar

from mcp.types import CallToolResult, TextContent

from oumi_mcp_server.core.errors import ServiceError

P = ParamSpec("P")
R = TypeVar("R")
logger = logging.getLogger(__name__)


def structured_errors(fn: Callable[P, Awaitable[R]]) -> Callable[P, Awaitable[R | CallToolResult]]:
    """Wrap an async tool so a ServiceError reaches the client as an error result of pure JSON.

    Returned rather than raised: the SDK prefixes raised errors with prose, and a model parses
    `{"error": {"code", "message", "fix"}}` more reliably without it.
    """

    @functools.wraps(fn)
    async def wrapper(*args: P.args, **kwargs: P.kwargs) -> R | CallToolResult:
        try:
            return await fn(*args, **kwargs)
        except ServiceError as exc:
            logger.info("tool %s refused: %s", fn.__name__, exc.code)
            text = TextContent(type="text", text=exc.to_json())
            return CallToolResult(content=[text], is_error=True)

    return wrapper
