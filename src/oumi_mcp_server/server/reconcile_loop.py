"""The server's reconcile loop: while a server runs, jobs move on without anyone reading them.

Reading a status never acts (the tools are read-only and mean it); this loop is the owner that
acts: it starts waiting local jobs, records outcomes, refreshes cluster log snapshots and starts
automatic output fetches (`JobService.reconcile`). Its death loses nothing: every pass derives
what to do from the run folders and the launchers, and the next server (or
`oumi-mcp-server jobs reconcile`) picks up where it stopped.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import anyio

from oumi_mcp_server.core.blocking import run_blocking

logger = logging.getLogger(__name__)
FIRST_PASS_S = 2.0
"""After start-up, so the handshake is never slowed."""
EVERY_S = 5.0


async def _loop() -> None:
    await anyio.sleep(FIRST_PASS_S)
    from oumi_mcp_server.wiring import job_service  # its services load after the handshake

    while True:
        try:
            service = await run_blocking(job_service)
            await run_blocking(service.reconcile)
        except Exception:
            logger.exception("reconcile pass failed; retrying in %.0f s", EVERY_S)
        await anyio.sleep(EVERY_S)


@asynccontextmanager
async def lifespan(_app: Any) -> AsyncIterator[dict[str, Any]]:
    async with anyio.create_task_group() as tg:
        tg.start_soon(_loop)
        try:
            yield {}
        finally:
            tg.cancel_scope.cancel()
