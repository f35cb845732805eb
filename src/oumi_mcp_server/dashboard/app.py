"""The dashboard: a read-only web page and JSON API over the jobs service the MCP tools use.

Routes: `/` (jobs table), `/jobs/{id}` (status, loss curve, log tail; `?stream=stdout|stderr`),
each with `?fragment=1` for the page's polling; `/api/jobs`, `/api/jobs/{id}`,
`/api/jobs/{id}/logs`, `/api/jobs/{id}/loss`. Nothing here launches or cancels: those need the
person's consent through the assistant. Every service call runs off the event loop, and
`build_app` wraps everything in the HTTP transport's Host/Origin guard and bearer token (a
browser logs in once with `?token=`, then holds a cookie).
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar, cast

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp

from oumi_mcp_server.core.blocking import run_blocking
from oumi_mcp_server.core.errors import ServiceError
from oumi_mcp_server.core.http_token import HttpToken
from oumi_mcp_server.core.http_token import load as load_token
from oumi_mcp_server.dashboard import render
from oumi_mcp_server.dashboard.loss import LossSeries, loss_series
from oumi_mcp_server.dashboard.views import FinalViews
from oumi_mcp_server.jobs import runfolder
from oumi_mcp_server.jobs.models import JobLogs, JobStatusView
from oumi_mcp_server.jobs.service import JobService, Stream
from oumi_mcp_server.server.http_guard import LOOPBACK_HOSTS, HttpGuard, allowed_hosts_for
from oumi_mcp_server.server.http_guard import is_loopback as is_loopback  # the CLI's bind check
from oumi_mcp_server.wiring import job_service

PAGE_JOBS = 50
MAX_LOG_LINES = 2_000
LOG_BYTES = 64 * 1024
DEFAULT_LOG_LINES = 200
_STATUS = {"unknown_job": 404}
_HEADERS = {
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}

Service = Callable[[], JobService]
T = TypeVar("T")
_FINAL = FinalViews()


def _error(exc: ServiceError) -> JSONResponse:
    return JSONResponse(
        {"error": exc.to_dict()}, status_code=_STATUS.get(exc.code, 400), headers=_HEADERS
    )


def _int(request: Request, name: str, default: int) -> int:
    raw = request.query_params.get(name)
    if raw is None:
        return default
    try:
        return int(raw)
    except ValueError:
        raise ServiceError(
            f"bad_{name}", f"{name} must be an integer, got {raw[:20]!r}.", f"Omit {name}."
        ) from None


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


def _handler(
    fn: Callable[[Request], Awaitable[Response]],
) -> Callable[[Request], Awaitable[Response]]:
    async def wrapped(request: Request) -> Response:
        try:
            return await fn(request)
        except ServiceError as exc:
            if request.url.path.startswith("/api/"):
                return _error(exc)
            return HTMLResponse(
                render.page("Oumi jobs", render.message_fragment(exc.message)),
                status_code=_STATUS.get(exc.code, 400),
                headers=_html_headers(),
            )

    return wrapped


async def _http_error(request: Request, exc: Exception) -> Response:
    """Unrouted paths and methods get the same structured answer as a service error."""
    assert isinstance(exc, HTTPException)
    code = "not_found" if exc.status_code == 404 else "bad_request"
    if exc.status_code == 405:
        code = "method_not_allowed"
    err = ServiceError(code, str(exc.detail), "The dashboard is read-only: GET / or /api/jobs.")
    if request.url.path.startswith("/api/"):
        return JSONResponse({"error": err.to_dict()}, status_code=exc.status_code, headers=_HEADERS)
    return HTMLResponse(
        render.page("Oumi jobs", render.message_fragment(err.message)),
        status_code=exc.status_code,
        headers=_html_headers(),
    )


def _html_headers() -> dict[str, str]:
    csp = (
        f"default-src 'none'; script-src {render.script_hash()}; style-src 'unsafe-inline'; "
        "connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; "
        "frame-ancestors 'none'"
    )
    return {**_HEADERS, "Content-Security-Policy": csp}


def build_routes(service: Service) -> list[Route]:
    async def call(fn: Callable[..., T], *args: Any) -> T:
        """`fn(service, *args)` in a worker thread (opening the store is blocking too)."""
        return await run_blocking(lambda: fn(service(), *args))

    async def api_jobs(request: Request) -> Response:
        q = request.query_params
        data = await call(_job_views, q.get("status"), _int(request, "limit", 20), q.get("cursor"))
        data["jobs"] = [v.model_dump(mode="json") for v in data["jobs"]]
        return JSONResponse(data, headers=_HEADERS)

    async def api_job(request: Request) -> Response:
        view = await call(JobService.status, request.path_params["job_id"])
        return JSONResponse(view.model_dump(mode="json"), headers=_HEADERS)

    async def api_logs(request: Request) -> Response:
        result = await call(
            _logs,
            request.path_params["job_id"],
            request.query_params.get("stream", "both"),
            _int(request, "tail", DEFAULT_LOG_LINES),
        )
        return JSONResponse(result.model_dump(mode="json"), headers=_HEADERS)

    async def api_loss(request: Request) -> Response:
        series = await call(_loss, request.path_params["job_id"])
        return JSONResponse(series.model_dump(mode="json"), headers=_HEADERS)

    async def jobs_page(request: Request) -> Response:
        views, total = await call(_FINAL.newest, PAGE_JOBS)
        fragment = render.jobs_fragment(views, total, time.time())
        return _html(request, "Oumi jobs", fragment)

    async def job_page(request: Request) -> Response:
        stream = "stderr" if request.query_params.get("stream") == "stderr" else "stdout"
        view, series, logs = await call(_job_page, request.path_params["job_id"], stream)
        return _html(
            request,
            f"{view.name} · Oumi jobs",
            render.job_fragment(view, series, logs, stream, time.time()),
        )

    return [
        Route("/", _handler(jobs_page)),
        Route("/jobs/{job_id}", _handler(job_page)),
        Route("/api/jobs", _handler(api_jobs)),
        Route("/api/jobs/{job_id}/logs", _handler(api_logs)),
        Route("/api/jobs/{job_id}/loss", _handler(api_loss)),
        Route("/api/jobs/{job_id}", _handler(api_job)),
    ]


def _html(request: Request, title: str, fragment: str) -> HTMLResponse:
    body = fragment if request.query_params.get("fragment") == "1" else render.page(title, fragment)
    return HTMLResponse(body, headers=_html_headers())


def allowed_hosts(bind: str) -> tuple[str, ...]:
    """As for the MCP HTTP transport, but never "any Host": the dashboard binds loopback only."""
    return allowed_hosts_for(bind) or LOOPBACK_HOSTS


def build_app(
    bind: str = "127.0.0.1", service: Service = job_service, token: HttpToken | None = None
) -> ASGIApp:
    """The guarded ASGI app; `service` is looked up per request (tests switch state dirs);
    `token` defaults to the one `serve --http` uses (OUMI_MCP_TOKEN or the state folder's)."""
    app = Starlette(routes=build_routes(service), exception_handlers={HTTPException: _http_error})
    return HttpGuard(
        app, token=token or load_token(), allowed_hosts=allowed_hosts(bind), browser_login=True
    )
