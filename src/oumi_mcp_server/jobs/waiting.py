"""`wait_for_job`: follow one job until it ends (or runs), bounded, with a tick per poll."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Literal

import anyio

from oumi_mcp_server.core.blocking import run_blocking
from oumi_mcp_server.core.errors import ServiceError
from oumi_mcp_server.jobs.models import JobStatusView
from oumi_mcp_server.jobs.states import JobState

if TYPE_CHECKING:
    from oumi_mcp_server.jobs.service import JobService

WAIT_CAP_S = 300.0
Until = Literal["done", "running"]


async def wait(
    service: JobService,
    job_id: str,
    timeout_s: float,
    until: Until,
    on_tick: Callable[[JobStatusView], Awaitable[None]] | None = None,
    poll_s: float = 1.0,
) -> JobStatusView:
    """Block at most `timeout_s` (capped at 300 s) until the job is done (or running)."""
    if until not in ("done", "running"):
        raise ServiceError("bad_until", f"Unknown until {until!r}.", "Use done or running.")
    if not timeout_s >= 0:  # also refuses NaN
        raise ServiceError("bad_timeout", "timeout_s must be 0 or more.", "Use 60-300.")
    timeout_s = min(timeout_s, WAIT_CAP_S)
    await run_blocking(service.record, job_id)
    end = time.monotonic() + timeout_s
    while True:
        view = await run_blocking(service.status, job_id)
        if on_tick is not None:
            await on_tick(view)
        state = JobState(view.status)
        done = state.is_terminal() or state is JobState.UNKNOWN
        started = until == "running" and not state.is_pending()
        if done or started or time.monotonic() >= end:
            return view
        await anyio.sleep(min(poll_s, max(0.0, end - time.monotonic())))
