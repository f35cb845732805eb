"""How every dashboard route answers: JSON or HTML with the security headers (the CSP allows only
the page's own inline script, by hash), service errors as structured answers, and service calls
off the event loop."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response

from oumi_mcp_server.core.blocking import run_blocking
from oumi_mcp_server.core.errors import ServiceError
from oumi_mcp_server.dashboard import render
from oumi_mcp_server.jobs.service import JobService

STATUS = {"unknown_job": 404, "unknown_sweep": 404, "forbidden": 403}
HEADERS = {
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}
Service = Callable[[], JobService]
Handler = Callable[[Request], Awaitable[Response]]
T = TypeVar("T")


def html_headers() -> dict[str, str]:
    csp = (
        f"default-src 'none'; script-src {render.script_hash()}; style-src 'unsafe-inline'; "
        "connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; "
        "frame-ancestors 'none'"
    )
    return {**HEADERS, "Content-Security-Policy": csp}


def json_answer(data: Any, status: int = 200) -> JSONResponse:
    return JSONResponse(data, status_code=status, headers=HEADERS)


def error(exc: ServiceError) -> JSONResponse:
    return json_answer({"error": exc.to_dict()}, STATUS.get(exc.code, 400))


def html(request: Request, title: str, fragment: str, status: int = 200) -> HTMLResponse:
    body = fragment if request.query_params.get("fragment") == "1" else render.page(title, fragment)
    return HTMLResponse(body, status_code=status, headers=html_headers())


def handler(fn: Handler) -> Handler:
    """Service errors become a structured JSON error (under /api/) or a message page."""

    async def wrapped(request: Request) -> Response:
        try:
            return await fn(request)
        except ServiceError as exc:
            if request.url.path.startswith("/api/"):
                return error(exc)
            return HTMLResponse(
                render.page("Oumi jobs", render.message_fragment(exc.message)),
                status_code=STATUS.get(exc.code, 400),
                headers=html_headers(),
            )

    return wrapped


async def http_error(request: Request, exc: Exception) -> Response:
    """Unrouted paths and methods get the same structured answer as a service error."""
    assert isinstance(exc, HTTPException)
    code = "not_found" if exc.status_code == 404 else "bad_request"
    if exc.status_code == 405:
        code = "method_not_allowed"
    err = ServiceError(code, str(exc.detail), "GET / or /api/jobs.")
    if request.url.path.startswith("/api/"):
        return json_answer({"error": err.to_dict()}, exc.status_code)
    return HTMLResponse(
        render.page("Oumi jobs", render.message_fragment(err.message)),
        status_code=exc.status_code,
        headers=html_headers(),
    )


def caller(service: Service) -> Callable[..., Awaitable[Any]]:
    async def call(fn: Callable[..., T], *args: Any) -> T:
        """`fn(service, *args)` in a worker thread (opening the store is blocking too)."""
        return await run_blocking(lambda: fn(service(), *args))

    return call


def int_param(request: Request, name: str, default: int) -> int:
    raw = request.query_params.get(name)
    if raw is None:
        return default
    try:
        return int(raw)
    except ValueError:
        raise ServiceError(
            f"bad_{name}", f"{name} must be an integer, got {raw[:20]!r}.", f"Omit {name}."
        ) from None
