"""Is the SkyPilot cloud the user named enabled? One bounded, cached `sky check` per process.

Slurm and the HPC clusters (polaris, frontier, perlmutter), modal and local are not SkyPilot
clouds: they are never judged by it. `sky` prints; its stdout goes to stderr here, because in
stdio mode stdout carries the protocol.
"""

from __future__ import annotations

import contextlib
import logging
import sys
import threading
import time
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout

from oumi_mcp_server.core.redact import redact_text
from oumi_mcp_server.preflight.context import NON_SKY_TARGETS, CheckContext, SkipCheck
from oumi_mcp_server.preflight.models import Finding

SKY_TIMEOUT_S = 20.0
SKY_CACHE_TTL_S = 600.0
# Oumi launcher names -> SkyPilot cloud names.
SKY_NAMES = {"k8s": "kubernetes", "sky-slurm": "slurm"}
logger = logging.getLogger(__name__)

_lock = threading.Lock()
_cache: tuple[float, Future[list[str]]] | None = None


def _sky_enabled_clouds() -> list[str]:
    import sky.check
    from sky.clouds.cloud import CloudCapability

    with contextlib.redirect_stdout(sys.stderr):
        clouds = sky.check.get_cached_enabled_clouds_or_refresh(CloudCapability.COMPUTE)
    return sorted(str(c).lower() for c in clouds)


def _run(fut: Future[list[str]]) -> None:
    try:
        fut.set_result(_sky_enabled_clouds())
    except BaseException as exc:
        fut.set_exception(exc if isinstance(exc, Exception) else RuntimeError(repr(exc)))


def enabled_clouds(timeout: float | None = None) -> list[str]:
    """SkyPilot's enabled clouds; one check runs at a time and its answer is kept a while."""
    global _cache
    with _lock:
        if (
            _cache is None
            or time.monotonic() - _cache[0] > SKY_CACHE_TTL_S
            or (_cache[1].done() and _cache[1].exception() is not None)
        ):
            fut: Future[list[str]] = Future()
            threading.Thread(target=_run, args=(fut,), name="sky-check", daemon=True).start()
            _cache = (time.monotonic(), fut)
        fut = _cache[1]
    return fut.result(timeout=SKY_TIMEOUT_S if timeout is None else timeout)


def clear_cache() -> None:
    global _cache
    with _lock:
        _cache = None


def check_cloud_enabled(ctx: CheckContext) -> list[Finding]:
    cloud = (ctx.cloud or "").lower()
    if not ctx.remote:
        raise SkipCheck("local run")
    if cloud in NON_SKY_TARGETS:
        raise SkipCheck(f"{cloud} is not a SkyPilot cloud; access is checked at launch")
    sky_name = SKY_NAMES.get(cloud, cloud)
    try:
        enabled = enabled_clouds()
    except ImportError:
        return [
            ctx.finding(
                "error",
                "skypilot_missing",
                f"SkyPilot is not installed here; it launches jobs on {cloud}.",
                "pip install 'skypilot[" + sky_name + "]'",
            )
        ]
    except FutureTimeout:
        raise SkipCheck(f"timed out: `sky check` took over {SKY_TIMEOUT_S:.0f}s") from None
    except Exception as exc:
        raise SkipCheck(
            redact_text(f"sky check failed: {type(exc).__name__}: {exc}")[:200]
        ) from None
    if sky_name in enabled:
        return [ctx.finding("info", "cloud_enabled", f"SkyPilot: {cloud} is enabled.")]
    return [
        ctx.finding(
            "error",
            "cloud_not_enabled",
            f"SkyPilot has no working credentials for {cloud} "
            f"(enabled: {', '.join(enabled) or 'none'}).",
            f"Set up {cloud} credentials, then run `sky check {sky_name}`.",
        )
    ]
