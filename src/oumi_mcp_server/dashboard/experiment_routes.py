"""Routes of the experiment views: a run's evaluation, runs compared, a sweep (and its cancel)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from oumi_mcp_server.dashboard.compare_view import compare_fragment, compare_page, parse_ids
from oumi_mcp_server.dashboard.eval_view import eval_fragment, eval_page
from oumi_mcp_server.dashboard.respond import handler, html, json_answer
from oumi_mcp_server.dashboard.sweep_page import (
    cancel_sweep,
    check_csrf,
    sweep_fragment,
    sweep_page,
)
from oumi_mcp_server.jobs.states import JobState

Call = Callable[..., Awaitable[Any]]


CSRF_HEADER = "x-dashboard-csrf"


def routes(call: Call, key: bytes) -> list[BaseRoute]:
    """`key` signs each sweep page's cancel token (made once per dashboard process)."""

    async def eval_view(request: Request) -> Response:
        page = await call(eval_page, request.path_params["job_id"])
        live = not JobState(page.results.status).is_terminal()
        return html(request, f"{page.results.job_id} · evaluation", eval_fragment(page, live))

    async def compare_view(request: Request) -> Response:
        q = request.query_params
        page = await call(compare_page, parse_ids(q.get("ids", "")), q.get("metric") or None)
        return html(request, "Compare runs", compare_fragment(page))

    async def api_compare(request: Request) -> Response:
        q = request.query_params
        page = await call(compare_page, parse_ids(q.get("ids", "")), q.get("metric") or None)
        curves = {
            m: [{"label": c.label, "points": c.points} for c in cs] for m, cs in page.curves.items()
        }
        return json_answer({"comparison": page.answer.model_dump(mode="json"), "curves": curves})

    async def sweep_view(request: Request) -> Response:
        page = await call(sweep_page, request.path_params["sweep_id"], key)
        return html(request, f"{page.view.sweep_id} · sweep", sweep_fragment(page))

    async def api_sweep(request: Request) -> Response:
        page = await call(sweep_page, request.path_params["sweep_id"], key)
        return json_answer(page.view.model_dump(mode="json"))

    async def api_cancel(request: Request) -> Response:
        sweep_id = request.path_params["sweep_id"]
        check_csrf(key, sweep_id, request.headers.get(CSRF_HEADER), request.headers.get("origin"))
        result = await call(cancel_sweep, sweep_id)
        return json_answer(result.model_dump(mode="json"))

    return [
        Route("/jobs/{job_id}/eval", handler(eval_view)),
        Route("/sweeps/{sweep_id}", handler(sweep_view)),
        Route("/api/sweeps/{sweep_id}", handler(api_sweep)),
        Route("/api/sweeps/{sweep_id}/cancel", handler(api_cancel), methods=["POST"]),
        Route("/compare", handler(compare_view)),
        Route("/api/compare", handler(api_compare)),
    ]
