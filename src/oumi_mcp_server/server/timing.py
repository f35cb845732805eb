"""Every tool call's latency and outcome: a histogram per tool in memory, a line in the server log,
and a small JSON file in the state folder that `oumi-mcp-server stats` (another process) reads.

Hooked once, in `TimedServer.call_tool`, so every tool is timed the same way. The file is
rewritten whole (atomically) at most every FLUSH_S seconds, off the event loop, and within
FLUSH_S of the last call; each server process keeps its own file, the CLI merges them.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import time
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mcp.server.mcpserver import Context
from mcp.types import CallToolResult, InputRequiredResult

from oumi_mcp_server.core.atomic import write_text_atomic
from oumi_mcp_server.core.blocking import run_blocking
from oumi_mcp_server.core.tool_stats import percentile as percentile
from oumi_mcp_server.core.tool_stats import stats_dir
from oumi_mcp_server.server.errors import StructuredServer

logger = logging.getLogger(__name__)
FLUSH_S = 5.0
MAX_SAMPLES = 512
"""Latest latencies kept per tool: enough for a stable p95, a few KB on disk."""
KEEP_DAYS = 14
UNKNOWN_TOOL = "(unknown tool)"
"""Calls to names the server does not offer count here (a client cannot grow the table)."""


def prune(folder: Path) -> None:
    """Forget the files of servers that stopped writing KEEP_DAYS ago (checked once per server)."""
    cutoff = time.time() - KEEP_DAYS * 86400
    try:
        for _, path in zip(range(1000), folder.glob("*.json"), strict=False):
            if path.stat().st_mtime < cutoff:
                path.unlink(missing_ok=True)
    except OSError:
        return


@dataclass
class ToolTimes:
    """One tool's calls: counts since the server started, the latest latencies in ms."""

    calls: int = 0
    errors: int = 0
    max_ms: float = 0.0
    samples: deque[float] = field(default_factory=lambda: deque(maxlen=MAX_SAMPLES))

    def add(self, ms: float, error: bool) -> None:
        self.calls += 1
        self.errors += error
        self.max_ms = max(self.max_ms, ms)
        self.samples.append(round(ms, 2))

    def to_json(self) -> dict[str, Any]:
        return {
            "calls": self.calls,
            "errors": self.errors,
            "max_ms": round(self.max_ms, 2),
            "samples_ms": list(self.samples),
        }


class Timings:
    """The histograms of one server, and their file (`<state>/tool_stats/<pid>-<start>.json`)."""

    def __init__(self) -> None:
        self.started_at = time.time()
        self.tools: dict[str, ToolTimes] = {}
        self.path = stats_dir() / f"{os.getpid()}-{time.time_ns()}.json"
        self._pending: asyncio.Task[None] | None = None

    def record(self, tool: str, ms: float, error: bool) -> None:
        self.tools.setdefault(tool, ToolTimes()).add(ms, error)
        logger.info("tool %s took %.1f ms%s", tool, ms, " (error)" if error else "")
        self._schedule()

    def _schedule(self) -> None:
        """One write FLUSH_S from now, unless one is already due (then it carries this call)."""
        if self._pending is not None and not self._pending.done():
            return
        try:
            self._pending = asyncio.get_running_loop().create_task(self._flush_later())
        except RuntimeError:  # no loop (a synchronous caller): write now
            self.flush()

    async def _flush_later(self) -> None:
        try:
            await asyncio.sleep(FLUSH_S)
        except asyncio.CancelledError:  # the server is stopping: keep its last calls
            self.flush()
            raise
        await run_blocking(self.flush)

    def flush(self) -> None:
        """Write the file now; a failure is logged, never raised into a tool call."""
        data = {
            "pid": os.getpid(),
            "started_at": self.started_at,
            "updated_at": time.time(),
            "tools": {name: t.to_json() for name, t in sorted(self.tools.items())},
        }
        try:
            if not self.path.exists():
                prune(self.path.parent)
            self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            write_text_atomic(self.path, json.dumps(data, separators=(",", ":")))
        except OSError as exc:
            logger.warning("could not write tool timings to %s: %s", self.path, exc)


class TimedServer(StructuredServer):
    """A StructuredServer that times every tool call and counts the ones that answer an error."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.timings = Timings()

    async def call_tool(
        self, name: str, arguments: dict[str, Any], context: Context | None = None
    ) -> CallToolResult | InputRequiredResult:
        start = time.perf_counter()
        error = True
        try:
            result = await super().call_tool(name, arguments, context)
            error = isinstance(result, CallToolResult) and bool(result.is_error)
            return result
        finally:
            known = self._tool_input_schema(name) is not None
            ms = (time.perf_counter() - start) * 1000
            self.timings.record(name if known else UNKNOWN_TOOL, ms, error)
