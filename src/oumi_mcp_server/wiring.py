"""Builds the one jobs service the server, the dashboard and the CLI share, with every backend.

Wiring is explicit: nothing registers itself when imported. This module sits above the
capability packages (it joins `jobs` and `clusters`) and below the outer layers.
"""

from __future__ import annotations

import os
import threading
from typing import TYPE_CHECKING

from oumi_mcp_server.core.paths import state_dir

if TYPE_CHECKING:  # the services load on first use, not at server start (`tools/list` is sooner)
    from oumi_mcp_server.experiments.sweep import SweepService
    from oumi_mcp_server.jobs.service import JobService

_lock = threading.Lock()
_service: JobService | None = None
_key: tuple[str, str] = ("", "")


def build_job_service() -> JobService:
    """A new service over this machine and every `oumi.launcher` cloud."""
    from oumi_mcp_server.clusters.backend import LauncherBackend
    from oumi_mcp_server.jobs.service import JobService

    launcher = LauncherBackend()
    return JobService({launcher.name: launcher})


def job_service() -> JobService:
    """One service per process and state directory (tests switch state directories)."""
    from oumi_mcp_server.jobs.store import DB_ENV

    global _service, _key
    key = (str(state_dir()), os.environ.get(DB_ENV, ""))
    with _lock:
        if _service is None or key != _key:
            _service, _key = build_job_service(), key
        return _service


def sweep_service() -> SweepService:
    """Sweeps over the shared jobs service (stateless beyond it: built per call)."""
    from oumi_mcp_server.experiments.sweep import SweepService

    return SweepService(job_service())
