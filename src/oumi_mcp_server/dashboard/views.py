"""Status views for the dashboard's listings, without re-reading what can no longer change.

The page polls every few seconds; resolving and parsing progress for every listed job each time
would cost ~15 ms per job. A job in a final state (completed, failed, cancelled: read from an exit
record) never changes again, so its view is kept; everything else is resolved anew by the jobs
service on every call.
"""

from __future__ import annotations

import threading
from collections import OrderedDict

from oumi_mcp_server.core.errors import ServiceError
from oumi_mcp_server.jobs.models import JobStatusView
from oumi_mcp_server.jobs.service import JobService
from oumi_mcp_server.jobs.states import JobState

MAX_KEPT = 2_000


class FinalViews:
    def __init__(self, max_kept: int = MAX_KEPT) -> None:
        self._kept: OrderedDict[tuple[str, str], JobStatusView] = OrderedDict()
        self._lock = threading.Lock()
        self._max = max_kept

    def view(self, svc: JobService, job_id: str) -> JobStatusView:
        key = (str(svc.root), job_id)
        with self._lock:
            kept = self._kept.get(key)
        if kept is not None:
            return kept
        view = svc.status(job_id)
        if JobState(view.status).is_final():
            with self._lock:
                self._kept[key] = view
                while len(self._kept) > self._max:
                    self._kept.popitem(last=False)
        return view

    def views(self, svc: JobService, job_ids: list[str]) -> list[JobStatusView]:
        out = []
        for job_id in job_ids:
            try:
                out.append(self.view(svc, job_id))
            except ServiceError:  # pruned between the listing and the look-up
                continue
        return out

    def newest(self, svc: JobService, limit: int) -> tuple[list[JobStatusView], int]:
        """The newest `limit` jobs' views and the number stored (the page's listing)."""
        records = svc.store.page(before=None, limit=limit)
        return self.views(svc, [r.id for r in records]), svc.store.count()
