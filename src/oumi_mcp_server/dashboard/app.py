"""The dashboard: a web page and JSON API over the jobs service the MCP tools use.

Routes: `/` (run table and tool timings), `/jobs/{id}` (status, loss curve, log tail;
`?stream=stdout|stderr`), `/jobs/{id}/eval`, `/compare?ids=`, `/sweeps/{id}` (see `experiment
routes`), each with `?fragment=1` for the page's polling; `/api/jobs`, `/api/jobs/{id}`,
`/api/jobs/{id}/logs`, `/api/jobs/{id}/loss`, `/api/timings`, `/favicon.ico`. The only action is
cancelling a sweep (a person's click, with a per-page CSRF token); launching goes through the
assistant. Every service call runs off the event loop, and `build_app` wraps everything in the HTTP
transport's Host/Origin guard and bearer token (a browser logs in once with `?token=`, then holds
a cookie).
"""

from __future__ import annotations

import dataclasses
import secrets
import time
from pathlib import Path
from typing import Any, cast

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route
from starlette.types import ASGIApp

from oumi_mcp_server.core.errors import ServiceError
from oumi_mcp_server.core.http_token import HttpToken
from oumi_mcp_server.core.http_token import load as load_token
from oumi_mcp_server.core.tool_stats import ToolRow, report, stats_dir
from oumi_mcp_server.dashboard import experiment_routes, render, table
from oumi_mcp_server.dashboard.loss import LossSeries, loss_series
from oumi_mcp_server.dashboard.respond import (
    HEADERS,
    Service,
    caller,
    handler,
    html,
    http_error,
    int_param,
    json_answer,
)
from oumi_mcp_server.dashboard.runs import RunResults, RunRow, columns
from oumi_mcp_server.dashboard.views import FinalViews
from oumi_mcp_server.jobs import runfolder
from oumi_mcp_server.jobs.models import JobLogs, JobStatusView
from oumi_mcp_server.jobs.service import JobService, Stream
from oumi_mcp_server.server.http_guard import LOOPBACK_HOSTS, HttpGuard, allowed_hosts_for
from oumi_mcp_server.server.http_guard import is_loopback as is_loopback  # the CLI's bind check
from oumi_mcp_server.wiring import job_service

PAGE_JOBS = 100
MAX_LOG_LINES = 2_000
LOG_BYTES = 64 * 1024
DEFAULT_LOG_LINES = 200
FAVICON = (
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><rect width="32" height="32" '
    'rx="7" fill="#2f6fde"/><polyline points="5,9 12,19 19,22 27,24" fill="none" stroke="#fff" '
    'stroke-width="3" stroke-linecap="round" stroke-linejoin="round"/></svg>'
)

_FINAL = FinalViews()
_RESULTS = RunResults()


def _job_views(
    svc: JobService, status: str | None, limit: int, cursor: str | None
) -> dict[str, Any]:
    """`list_jobs` (filter, paging) with each job's full view: ETA, start and end times."""
    listed = svc.list_jobs(status, limit, cursor)
    views = _FINAL.views(svc, [j.job_id for j in listed.jobs])
    return {"jobs": views, "next_cursor": listed.next_cursor, "total_stored": listed.total_stored}


def _loss(svc: JobService, job_id: str) -> LossSeries:
    rec = svc.record(job_id)
    run_dir = Path(rec.run_dir)
    series = loss_series(
        Path(rec.output_dir) if rec.output_dir else None,
        [run_dir / runfolder.STDOUT, run_dir / runfolder.STDERR] if rec.run_dir else [],
    )
    series.job_id = rec.id
    return series


def _logs(svc: JobService, job_id: str, stream: str, tail: int) -> JobLogs:
    if stream not in ("stdout", "stderr", "both"):
        raise ServiceError(
            "bad_stream", f"Unknown stream {stream[:20]!r}.", "Use stdout or stderr."
        )
    if not 1 <= tail <= MAX_LOG_LINES:
        raise ServiceError("bad_tail", f"tail must be between 1 and {MAX_LOG_LINES}.", "Use 200.")
    return svc.logs(job_id, tail=tail, stream=cast(Stream, stream), max_bytes=LOG_BYTES)


def _job_page(
    svc: JobService, job_id: str, stream: str
) -> tuple[JobStatusView, LossSeries, JobLogs]:
    view = svc.status(job_id)
    return view, _loss(svc, job_id), _logs(svc, job_id, stream, DEFAULT_LOG_LINES)


def _index(svc: JobService) -> tuple[list[RunRow], int, list[ToolRow]]:
    views, total = _FINAL.newest(svc, PAGE_JOBS)
    return _RESULTS.rows(svc, views), total, report(stats_dir())


def build_routes(service: Service) -> list[BaseRoute]:
    call = caller(service)

    async def api_jobs(request: Request) -> Response:
        q = request.query_params
        limit = int_param(request, "limit", 20)
        data = await call(_job_views, q.get("status"), limit, q.get("cursor"))
        data["jobs"] = [v.model_dump(mode="json") for v in data["jobs"]]
        return json_answer(data)

    async def api_job(request: Request) -> Response:
        view = await call(JobService.status, request.path_params["job_id"])
        return json_answer(view.model_dump(mode="json"))

    async def api_logs(request: Request) -> Response:
        result = await call(
            _logs,
            request.path_params["job_id"],
            request.query_params.get("stream", "both"),
            int_param(request, "tail", DEFAULT_LOG_LINES),
        )
        return json_answer(result.model_dump(mode="json"))

    async def api_loss(request: Request) -> Response:
        series = await call(_loss, request.path_params["job_id"])
        return json_answer(series.model_dump(mode="json"))

    async def jobs_page(request: Request) -> Response:
        rows, total, timings = await call(_index)
        fragment = table.jobs_fragment(rows, columns(rows), total, timings, time.time())
        return html(request, "Oumi jobs", fragment)

    async def api_timings(request: Request) -> Response:
        rows = await call(lambda _svc: report(stats_dir()))
        return json_answer({"tools": [dataclasses.asdict(r) for r in rows]})

    async def favicon(request: Request) -> Response:
        cached = {**HEADERS, "Cache-Control": "max-age=86400"}
        return Response(FAVICON, media_type="image/svg+xml", headers=cached)

    async def job_page(request: Request) -> Response:
        stream = "stderr" if request.query_params.get("stream") == "stderr" else "stdout"
        view, series, logs = await call(_job_page, request.path_params["job_id"], stream)
        return html(
            request,
            f"{view.name} · Oumi jobs",
            render.job_fragment(view, series, logs, stream, time.time()),
        )

    return [
        Route("/", handler(jobs_page)),
        Route("/favicon.ico", favicon),
        Route("/api/timings", handler(api_timings)),
        *experiment_routes.routes(call, secrets.token_bytes(32)),
        Route("/jobs/{job_id}", handler(job_page)),
        Route("/api/jobs", handler(api_jobs)),
        Route("/api/jobs/{job_id}/logs", handler(api_logs)),
        Route("/api/jobs/{job_id}/loss", handler(api_loss)),
        Route("/api/jobs/{job_id}", handler(api_job)),
    ]


def allowed_hosts(bind: str) -> tuple[str, ...]:
    """As for the MCP HTTP transport, but never "any Host": the dashboard binds loopback only."""
    return allowed_hosts_for(bind) or LOOPBACK_HOSTS


def build_app(
    bind: str = "127.0.0.1", service: Service = job_service, token: HttpToken | None = None
) -> ASGIApp:
    """The guarded ASGI app; `service` is looked up per request (tests switch state dirs);
    `token` defaults to the one `serve --http` uses (OUMI_MCP_TOKEN or the state folder's)."""
    app = Starlette(routes=build_routes(service), exception_handlers={HTTPException: http_error})
    return HttpGuard(
        app, token=token or load_token(), allowed_hosts=allowed_hosts(bind), browser_login=True
    )
