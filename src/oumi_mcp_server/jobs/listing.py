"""`list_jobs`: newest first, live status, an opaque cursor, a bounded scan per call."""

from __future__ import annotations

import base64
import binascii
from typing import TYPE_CHECKING

from oumi_mcp_server.core.errors import ServiceError
from oumi_mcp_server.jobs.models import JobList, JobSummary
from oumi_mcp_server.jobs.record import JobRecord
from oumi_mcp_server.jobs.states import JobState

if TYPE_CHECKING:
    from oumi_mcp_server.jobs.service import JobService

MAX_LIST = 200
SCAN_CAP = 5_000
"""A filtered listing resolves at most this many records per call; the cursor goes on from there."""
STATES = frozenset(s.value for s in JobState)


def encode_cursor(ts: float, job_id: str) -> str:
    return base64.urlsafe_b64encode(f"{ts!r}|{job_id}".encode()).decode()


def decode_cursor(cursor: str) -> tuple[float, str]:
    try:
        ts, job_id = base64.urlsafe_b64decode(cursor.encode()).decode().split("|", 1)
        return float(ts), job_id
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise ServiceError(
            "bad_cursor", "cursor is not one list_jobs returned.", "Omit it to start over."
        ) from None


def list_jobs(service: JobService, status: str | None, limit: int, cursor: str | None) -> JobList:
    """Newest first; with `status`, only jobs resolved to it."""
    if not 1 <= limit <= MAX_LIST:
        raise ServiceError("bad_limit", f"limit must be between 1 and {MAX_LIST}.", "Use 20.")
    if status is not None and status not in STATES:
        raise ServiceError(
            "bad_status",
            f"Unknown status {status[:40]!r}.",
            f"Use one of: {', '.join(sorted(STATES))}.",
        )
    before = decode_cursor(cursor) if cursor else None
    unfinished = status in ("queued", "launching", "running")
    out: list[JobSummary] = []
    scanned = 0
    last: JobRecord | None = None
    while len(out) < limit and scanned < SCAN_CAP:
        batch = service.store.page(
            before=before, limit=100 if status else limit, unfinished_only=unfinished
        )
        if not batch:
            break
        for rec in batch:
            if len(out) >= limit:
                break
            scanned += 1
            last = rec
            res = service.resolve(rec)
            if status and res.status.value != status:
                continue
            view = service.view(rec, res=res)
            p = view.progress
            out.append(
                JobSummary(
                    job_id=rec.id,
                    name=rec.name,
                    command=rec.command,
                    status=view.status,
                    backend=rec.backend,
                    submitted_at=view.submitted_at,
                    exit_code=view.exit_code,
                    step=p.step if p else None,
                    total_steps=p.total_steps if p else None,
                    loss=p.loss if p else None,
                )
            )
        if last is not None:
            before = (last.submitted_at, last.id)
    more = last is not None and bool(
        service.store.page(before=before, limit=1, unfinished_only=unfinished)
    )
    return JobList(
        jobs=out,
        next_cursor=encode_cursor(*before) if more and before else None,
        total_stored=service.store.count(),
    )
