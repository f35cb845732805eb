"""Run blocking work off the event loop: file scans, oumi imports, subprocess waits."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any, TypeVar

import anyio.to_thread

T = TypeVar("T")


async def run_blocking(fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
    """`fn(*args, **kwargs)` in a worker thread. A cancelled caller (the client gave up on the
    tool call) returns at once instead of waiting: the thread runs to its end unobserved."""
    return await anyio.to_thread.run_sync(partial(fn, *args, **kwargs), abandon_on_cancel=True)
